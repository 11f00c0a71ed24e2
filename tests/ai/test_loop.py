"""The self-improving loop on a synthetic stream where terminal T3 turns fraudulent half-way (issue 12).

The champion (v1) was trained before the pattern; the loop's challenger, trained on every label known
so far, catches it and is recommended; accepting and rolling back restores exactly the previous model
and settings; only supervisors can act; everything on SQLite and PostgreSQL.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import select

from core.ai import dataset, runs
from core.ai.service import AiDesk
from core.ai.store import RecommendationConflict
from core.errors import PermissionDenied, ValidationError
from core.fraud import registry, versions
from core.fraud.config import FraudConfig
from core.fraud.screen import FraudScreen
from core.persistence.models import AuditEntry
from core.security.audit import AuditTrail
from core.security.audit_keys import AuditKeys
from core.security.roles import Actor, Role

from .stream import dispositions, seeded

SUPERVISOR = Actor("sam", Role.SUPERVISOR, 1)


@pytest.fixture
def desk(engine, tmp_path):  # noqa: ANN001
    return AiDesk(engine, AuditTrail(AuditKeys(tmp_path / "audit.key")))


def _by_kind(recs) -> dict:  # noqa: ANN001
    return {r.kind if r.kind not in ("drift",) else f"drift:{r.subject}": r for r in recs}


def test_challenger_catches_the_new_pattern_and_is_recommended(engine, desk):
    seeded(engine)
    result = desk.retrain(SUPERVISOR)
    assert result.status == "done" and result.challenger == 2
    recs = _by_kind(desk.recommendations(SUPERVISOR))
    promote = recs["promote"]
    assert promote.title.startswith("promote model v2: catches ") and "within analysts' capacity" in promote.title
    assert "average precision 0.9" in promote.title
    ev = promote.evidence["evaluation"]
    assert ev["challenger"]["average_precision"] > ev["champion"]["average_precision"] + 0.05
    assert ev["days"] == 14 and ev["frauds"] > 0 and ev["champion"]["fpr_by_channel"]["card"] < 0.05
    assert len(ev["challenger"]["curve"]) > 2  # the precision-recall chart's points

    # the challenger scores the compromised terminal's frauds far above the champion
    with engine.connect() as conn:
        data = dataset.load(conn, 7)
        champion, challenger = registry.load(conn, 1), registry.load(conn, 2)
        assert registry.active_version(conn) == 1  # registered inactive: the champion keeps scoring
    t3 = np.flatnonzero((data.counterparty == "T3") & (data.y == 1) & data.since(14))
    config = FraudConfig()
    assert dataset.scores(challenger, data, config, t3).mean() > dataset.scores(champion, data, config, t3).mean() + 0.2
    assert desk.last_run(SUPERVISOR)["status"] == "done"


def test_a_card_that_changes_nothing_measurable_is_not_proposed(engine, desk):
    """The stream's cards make at most 3 payments an hour: doubling the velocity limit (20 -> 40) would decide no
    payment differently, so its rule card is held back (named in the run's summary), not proposed."""
    seeded(engine)
    dispositions(engine, per_day=20, days=10, rule_fp=30)
    result = desk.retrain(SUPERVISOR)
    assert "rule" not in _by_kind(desk.recommendations(SUPERVISOR))
    [held] = result.summary["no_measurable_change"]
    assert held.startswith("rule velocity_limit: 100 % false positives over 30 days (allow 40 payments an hour")
    assert "alerts a day 0.2 → 0.2, declines a day 1.1 → 1.1; recall 36 % → 36 % (+0 points)" in held
    for rec in desk.recommendations(SUPERVISOR):
        if "shadow" in rec.evidence:  # every card proposed moves a figure the supervisor reads
            sh = rec.evidence["shadow"]
            assert (sh["current"]["alerts_per_day"], sh["current"]["declines_per_day"], round(sh["current"]["recall"] * 100)) != (
                sh["proposed"]["alerts_per_day"], sh["proposed"]["declines_per_day"], round(sh["proposed"]["recall"] * 100))


def test_accept_then_rollback_restores_exactly_the_previous_model_and_thresholds(engine, tmp_path):
    seeded(engine)
    dispositions(engine, per_day=20, days=10, rule_fp=30)
    base = FraudConfig(velocity_limit_1h=1)  # a limit the stream's busiest cards (2-3 payments an hour) reach
    desk = AiDesk(engine, AuditTrail(AuditKeys(tmp_path / "audit.key")), base=base)
    screen = FraudScreen(engine, config=base)
    with engine.connect() as conn:
        before_config = screen.current_config(conn)
        before_model = screen.model(conn).info.version
    desk.retrain(SUPERVISOR)
    recs = _by_kind(desk.recommendations(SUPERVISOR))
    assert {"promote", "threshold", "rule"} <= set(recs)
    threshold, rule = recs["threshold"], recs["rule"]
    assert "analysts clear 20 alerts a day" in threshold.title or "to fit analysts' capacity" in threshold.title
    assert " points)" in threshold.title and "frauds caught" in threshold.title
    assert threshold.evidence["shadow"]["days"] == 30 and "alerts_change" in threshold.evidence["shadow"]
    assert rule.title == "rule velocity_limit: 100 % false positives over 30 days"

    promote = recs["promote"]
    for rec in (threshold, rule, promote):
        desk.accept(SUPERVISOR, rec.id)
    with engine.connect() as conn:
        now = screen.current_config(conn)
        assert screen.model(conn).info.version == 2
    assert now.review_threshold == threshold.change["settings"]["review_threshold"]
    assert now.velocity_limit_1h == 2 * before_config.velocity_limit_1h

    # the threshold and the rule both changed the settings: the later one first (in plain words)
    with pytest.raises(RecommendationConflict, match=f"^Roll back #{rule.id} first: it changed the fraud settings"):
        desk.rollback(SUPERVISOR, threshold.id)
    # the model and the settings are independent: the threshold rolls back while model v2 stays
    assert desk.rollback(SUPERVISOR, rule.id).status == "rolled_back"
    assert desk.rollback(SUPERVISOR, threshold.id).status == "rolled_back"
    with engine.connect() as conn:
        assert screen.model(conn).info.version == 2 and screen.current_config(conn) == before_config
    rolled = desk.rollback(SUPERVISOR, promote.id)
    assert rolled.status == "rolled_back"
    # each decision keeps its own who and when
    assert [(h["action"], h["by"]) for h in rolled.history] == [("accepted", "sam"), ("rolled back", "sam")]
    assert rolled.to_dict()["history"][0]["at"] == rolled.decided_at.isoformat()
    with engine.connect() as conn:
        assert screen.current_config(conn) == before_config
        assert screen.model(conn).info.version == before_model
        assert versions.active_version(conn) is None  # exactly the code defaults again, not a copy of them
        actions = [a for (a,) in conn.execute(select(AuditEntry.action).where(AuditEntry.action.like("ai.%")))]
    assert actions.count("ai.accept") == 3 and actions.count("ai.rollback") == 3
    with pytest.raises(RecommendationConflict, match="rolled back"):
        desk.rollback(SUPERVISOR, rule.id)
    with pytest.raises(RecommendationConflict, match="already accepted|already rolled back"):
        desk.accept(SUPERVISOR, rule.id)


def test_a_threshold_computed_for_another_model_is_refused(engine, desk):
    seeded(engine)
    dispositions(engine, per_day=20, days=10)
    desk.retrain(SUPERVISOR)
    recs = _by_kind(desk.recommendations(SUPERVISOR))
    desk.accept(SUPERVISOR, recs["promote"].id)
    shown = desk.get(SUPERVISOR, recs["threshold"].id)
    assert shown.status == "open" and shown.stale.startswith("Out of date: computed for model v1, but model v2")
    assert next(r for r in desk.recommendations(SUPERVISOR) if r.kind == "threshold").stale == shown.stale
    with pytest.raises(RecommendationConflict, match="^Recommendation #.* cannot be accepted. Out of date: computed "
                                                     "for model v1, but model v2 scores payments now. Retrain"):
        desk.accept(SUPERVISOR, recs["threshold"].id)
    assert desk.get(SUPERVISOR, recs["threshold"].id).status == "open"


def test_reject_needs_a_reason_and_accepting_a_drift_card_retrains(engine, desk):
    seeded(engine)
    desk.retrain(SUPERVISOR)
    recs = desk.recommendations(SUPERVISOR)
    drift = [r for r in recs if r.kind == "drift"]
    assert len(drift) >= 2 and drift[0].title.startswith("drift: ") and "shift index" in drift[0].title
    assert "_" not in drift[0].title and "above 0.2 is a real shift" in drift[0].title
    promote = next(r for r in recs if r.kind == "promote")
    with pytest.raises(ValidationError, match="^Say why.*a reason is required"):
        desk.reject(SUPERVISOR, promote.id, "   ")
    for short in ("x", "no way", "seasonal"):  # under 10 characters or 2 words says nothing
        with pytest.raises(ValidationError, match="^Say why in a few words"):
            desk.reject(SUPERVISOR, promote.id, short)
    done = desk.reject(SUPERVISOR, promote.id, "wait for month end")
    assert done.status == "rejected" and done.reason == "wait for month end"

    # while a run is running, accepting a drift card is refused and the card stays open
    other = runs.start(engine, "ivy", "demand")
    with pytest.raises(runs.RunInProgress, match=f"^A retrain is already running \\(#{other}, started by ivy"):
        desk.accept(SUPERVISOR, drift[1].id)
    assert desk.get(SUPERVISOR, drift[1].id).status == "open"
    runs._finish(engine, other, "failed", {"error": "test"})

    # its remedy: accepting starts a retrain, which supersedes what is still open
    accepted = desk.accept(SUPERVISOR, drift[0].id)
    run = desk.last_run(SUPERVISOR)
    assert (run["trigger"], run["status"], run["started_by"]) == ("drift", "done", "sam")
    assert accepted.status == "accepted" and accepted.after == {**accepted.before, "retrain": run["id"]}
    fresh = desk.recommendations(SUPERVISOR)
    assert fresh and all(r.run_id == run["id"] for r in fresh)
    assert desk.run(SUPERVISOR, run["id"]).recommendations == sorted(r.id for r in fresh)
    assert desk.get(SUPERVISOR, drift[0].id).status == "accepted"
    assert desk.get(SUPERVISOR, drift[1].id).status == "superseded"
    with pytest.raises(RecommendationConflict, match="nothing to roll back"):
        desk.rollback(SUPERVISOR, drift[0].id)
    with engine.connect() as conn:
        audited = {a: json.loads(after) for a, after in conn.execute(
            select(AuditEntry.action, AuditEntry.after).where(AuditEntry.target.in_(
                (f"recommendation:{drift[0].id}", f"run:{run['id']}"))))}
    assert audited["ai.accept"]["retrain"] == run["id"] and audited["ai.accept"]["kind"] == "drift"
    assert audited["ai.retrain"] == {"trigger": "drift", "recommendation": drift[0].id}


@pytest.mark.parametrize("role", [Role.TELLER, Role.ANALYST, Role.ADMIN])
def test_only_supervisors_can_act(sqlite_engine, tmp_path, role):
    engine = sqlite_engine
    desk = AiDesk(engine, AuditTrail(AuditKeys(tmp_path / "audit.key")))
    seeded(engine)
    desk.retrain(SUPERVISOR)
    rec = desk.recommendations(SUPERVISOR)[0]
    drift = next(r for r in desk.recommendations(SUPERVISOR) if r.kind == "drift")
    other = Actor("olly", role, 2)
    for call in (lambda: desk.recommendations(other), lambda: desk.accept(other, rec.id),
                 lambda: desk.accept(other, drift.id),
                 lambda: desk.reject(other, rec.id, "not convinced yet"), lambda: desk.rollback(other, rec.id),
                 lambda: desk.retrain(other)):
        with pytest.raises(PermissionDenied):
            call()
    assert desk.get(SUPERVISOR, rec.id).status == desk.get(SUPERVISOR, drift.id).status == "open"
    with engine.connect() as conn:
        denied = conn.scalar(select(AuditEntry.action).where(AuditEntry.action == "permission.denied").limit(1))
    assert denied == "permission.denied"
