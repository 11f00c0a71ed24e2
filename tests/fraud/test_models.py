"""Compiled scorers match scikit-learn; the registry round-trips through skops and refuses the unknown."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
import skops.io as sio
from sklearn.ensemble import IsolationForest
from threadpoolctl import threadpool_limits

from core.errors import NotFound, ValidationError
from core.fraud import registry
from core.fraud.compiled import compile_anomaly, compile_classifier
from core.fraud.replay import memory_replay
from core.fraud.training import CANDIDATES, train, validation_days

from .synth import traffic

UTC = timezone.utc


@pytest.fixture(scope="module")
def data():
    txns, frauds = traffic(1500)
    X, _ = memory_replay(txns, frauds, 7)
    return X, np.array(frauds, dtype=int), np.array([t.ts for t in txns])


@pytest.mark.parametrize("kind", sorted(CANDIDATES))
def test_compiled_classifier_matches_sklearn(data, kind):
    X, y, _ = data
    with threadpool_limits(limits=1, user_api="openmp"):
        model = CANDIDATES[kind](len(y)).fit(X, y)
    assert np.allclose(compile_classifier(model).predict(X), model.predict_proba(X)[:, 1], atol=1e-9)


def test_compiled_isolation_forest_matches_sklearn(data):
    X, _, _ = data
    for model in (IsolationForest(n_estimators=20, random_state=0).fit(X),
                  IsolationForest(n_estimators=20, max_features=0.5, random_state=0).fit(X)):
        assert np.allclose(compile_anomaly(model).score(X), -model.score_samples(X), atol=1e-9)


def test_selection_is_prequential_and_recorded(data):
    X, y, ts = data
    trained = train(X, y, ts, candidates=("hgb", "logistic"))
    assert trained.kind in ("hgb", "logistic")
    assert {"validation_ap_hgb", "validation_ap_logistic", "validation_days"} <= set(trained.metrics)
    assert validation_days(7) == 2 and validation_days(60) == 7


def test_too_few_labels_gives_an_anomaly_only_model(data):
    X, _, ts = data
    trained = train(X, np.zeros(len(X), dtype=int), ts)
    assert trained.classifier is None and trained.anomaly is not None and trained.kind == "anomaly-only"


def test_registry_round_trip_and_activation(sqlite_engine, data):
    X, y, ts = data
    trained = train(X, y, ts, candidates=("logistic",))
    now = datetime.now(UTC)
    first = registry.register(sqlite_engine, trained, actor_name="tester", trained_from=now, trained_to=now,
                              label_delay_days=7)
    second = registry.register(sqlite_engine, trained, actor_name="tester", trained_from=now, trained_to=now,
                               label_delay_days=7, activate=False)
    with sqlite_engine.connect() as conn:
        assert registry.active_version(conn) == first.version
        loaded = registry.load(conn, second.version)
        assert [m.version for m in registry.list_models(conn)] == [2, 1]
        with pytest.raises(NotFound):
            registry.load(conn, 99)
    expected = compile_classifier(trained.classifier).predict(X[:50])
    assert np.allclose(loaded.classifier.predict(X[:50]), expected)
    assert loaded.info.metrics == trained.metrics and loaded.info.created_by == "tester"
    registry.activate(sqlite_engine, second.version)
    with sqlite_engine.connect() as conn:
        assert registry.active_version(conn) == second.version
        assert [m.active for m in registry.list_models(conn)] == [True, False]


class Sneaky:
    """Stands in for any type a model file should never be able to smuggle in."""


def test_loading_refuses_untrusted_types():
    blob = sio.dumps({"classifier": Sneaky(), "anomaly": None})
    with pytest.raises(ValidationError, match="not trusted"):
        registry.loads(blob)


@pytest.mark.parametrize("kind", sorted(CANDIDATES))
def test_group_variants_score_as_scoring_every_row(data, kind):
    """Reasons score a row's group variants by walking again only the trees whose path a group's columns flip."""
    X, y, _ = data
    with threadpool_limits(limits=1, user_api="openmp"):
        model = compile_classifier(CANDIDATES[kind](len(y)).fit(X, y))
    rng = np.random.default_rng(3)
    groups = ((0, 1), (2,), (5, 7, 9), (11,), tuple(range(12, X.shape[1])))
    for x in X[rng.choice(len(X), 25, replace=False)]:
        reference = X[rng.integers(len(X))]
        variants = np.repeat(x[None, :], len(groups), axis=0)
        for i, cols in enumerate(groups):
            variants[i, list(cols)] = reference[list(cols)]
        p0, p = model.group_predict(x, reference, groups)
        assert np.isclose(p0, model.predict(x[None, :])[0], atol=1e-12)
        assert np.allclose(p, model.predict(variants), atol=1e-12)
        assert np.isclose(model.forest.row_sum(x), model.forest.leaf_sum(x[None, :])[0]) if model.forest else True


@pytest.mark.parametrize("kind", ["hgb", "logistic"])
def test_a_model_trained_before_features_were_added_reads_its_columns_by_name(data, kind):
    """A registered model keeps scoring after an upgrade adds features: it reads its own columns by name
    (the new ones it never reads); a model using a feature that no longer exists asks to be retrained."""
    from dataclasses import replace

    from core.fraud.features import FEATURE_NAMES
    from core.fraud.reasons import ranked_groups

    X, y, _ = data
    keep = [i for i, n in enumerate(FEATURE_NAMES) if not n.startswith("cp_run") and "fraud_day" not in n]
    old_names = tuple(FEATURE_NAMES[i] for i in keep)
    with threadpool_limits(limits=1, user_api="openmp"):
        model = CANDIDATES[kind](len(y)).fit(X[:, keep], y)
    reference = np.median(X[:, keep], axis=0)
    info = registry.ModelInfo(1, kind, datetime.now(UTC), "tester", datetime.now(UTC), datetime.now(UTC), 7,
                              old_names, {}, True)
    loaded = registry.compile_bundle(info, {"classifier": model, "anomaly": None, "anomaly_floor": 0.5,
                                            "reference": reference})
    assert np.allclose(loaded.classifier.predict(X), model.predict_proba(X[:, keep])[:, 1], atol=1e-9)
    assert len(keep) < len(FEATURE_NAMES) and loaded.reference[keep].tolist() == reference.tolist()
    for row in X[:20]:  # reasons: the variants' scores equal scoring every variant row
        p0, p = loaded.classifier.group_predict(row, loaded.reference, ((0, 1), (keep[-2],)))
        assert np.isclose(p0, loaded.classifier.predict(row[None, :])[0])
        assert isinstance(ranked_groups(loaded.classifier, loaded.reference, list(row), 3), list)
    with pytest.raises(ValidationError, match="no longer computes"):
        registry.compile_bundle(replace(info, feature_names=old_names[:-1] + ("retired_feature",)),
                                {"classifier": model, "anomaly": None, "anomaly_floor": 0.5, "reference": reference})


@pytest.mark.parametrize("kind", sorted(CANDIDATES))
def test_one_payment_scores_as_the_matrix_bit_for_bit(data, kind):
    """The posting path scores one row with plain floats (decision.row_scores): the same bits as model_scores
    on the one-row matrix, for every channel, with and without per-channel scales; the reasons' variants give
    the row's own probability as predict does, also for groups sharing a column."""
    from core.fraud.config import FraudConfig
    from core.fraud.decision import model_scores, row_scores
    from core.fraud.features import FEATURE_NAMES, INDEX
    from core.fraud.training import ANOMALY_FEATURES
    from core.fraud.txn import CHANNELS

    X, y, _ = data
    with threadpool_limits(limits=1, user_api="openmp"):
        classifier = CANDIDATES[kind](len(y)).fit(X, y)
        anomaly = IsolationForest(n_estimators=30, random_state=0).fit(X[:, [INDEX[f] for f in ANOMALY_FEATURES]])
    info = registry.ModelInfo(1, kind, datetime.now(UTC), "tester", datetime.now(UTC), datetime.now(UTC), 7,
                              FEATURE_NAMES, {}, True)
    rng = np.random.default_rng(5)
    scales = {"channel_ceiling": rng.uniform(0.01, 0.9, len(CHANNELS) + 1),
              "channel_floor": rng.uniform(0.3, 0.7, len(CHANNELS) + 1)}
    config = FraudConfig(review_threshold=0.2, decline_threshold=0.9, anomaly_weight=0.8)
    rows = X[rng.choice(len(X), 120, replace=False)].copy()
    rows[:, INDEX["channel"]] = rng.integers(0, len(CHANNELS) + 2, len(rows))  # unknown codes fold into "other"
    for bundle in ({"classifier": classifier, "anomaly": anomaly, "anomaly_floor": 0.55, "reference": X[0], **scales},
                   {"classifier": classifier, "anomaly": None, "anomaly_floor": 0.5, "reference": X[0]},
                   {"classifier": None, "anomaly": anomaly, "anomaly_floor": 0.5, "reference": X[0]}):
        model = registry.compile_bundle(info, bundle)
        for row in rows:
            score, p, excess = model_scores(model, row[None, :], config)
            expected = (float(score[0]), None if p is None else float(p[0]),
                        None if excess is None else float(excess[0]))
            assert row_scores(model, list(row), config) == expected
    compiled = compile_classifier(classifier)
    for groups in (((0, 1), (2,), (5, 7)), ((0, 1), (1, 2), (2, 3, 4))):  # disjoint, then sharing columns
        for x in rows[:20]:
            reference = X[rng.integers(len(X))]
            p0, p = compiled.group_predict(x, reference, groups)
            variants = np.repeat(x[None, :], len(groups), axis=0)
            for i, cols in enumerate(groups):
                variants[i, list(cols)] = reference[list(cols)]
            assert compiled.predict_row(x) == compiled.predict(x[None, :])[0]
            if compiled.forest is not None:  # a linear model scores the variants as one matrix product
                assert p0 == compiled.predict_row(x)
            assert np.isclose(p0, compiled.predict_row(x), atol=1e-12)
            assert np.allclose(p, compiled.predict(variants), atol=1e-12)


@pytest.mark.parametrize("kind", ["hgb", "rf"])
def test_reasons_skip_the_variants_only_when_no_group_can_be_named(data, kind):
    """A compiled forest's row under MIN_WEIGHT names no group without scoring the variants (a variant's
    probability is >= 0, so none lowers it by MIN_WEIGHT): the same answer as scoring them, for every row."""
    from core.fraud.reasons import _GROUP_COLUMNS, GROUPS, MIN_WEIGHT, ranked_groups

    X, y, _ = data
    with threadpool_limits(limits=1, user_api="openmp"):
        model = compile_classifier(CANDIDATES[kind](len(y)).fit(X, y))
    reference = np.median(X, axis=0)
    low = 0
    for row in X[:300]:
        p0, p = model.group_predict(row, reference, _GROUP_COLUMNS)
        weights = p0 - p
        names = list(GROUPS)
        expected = [names[i] for i in np.argsort(-weights)[:3] if weights[i] >= MIN_WEIGHT]
        assert ranked_groups(model, reference, list(row), 3) == expected
        low += p0 < MIN_WEIGHT
    assert 0 < low < 300  # both kinds of rows were met
