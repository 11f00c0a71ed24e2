"""The rules of a recommendation's life (core.ai.rules, QA round R3-R22): who decided what and when, cards
that went out of date, reasons that say something, no re-proposals of what a supervisor turned down, a
model promoted only when it catches at least as many frauds within capacity, plain words, and a retrain
that never holds SQLite's write lock while it reads the history."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from core.ai import rules, store, words
from core.ai.drafts import Draft
from core.ai.evaluate import Evaluation, Scorecard
from core.errors import ValidationError
from core.events import EventBus
from core.persistence.base import utcnow
from core.security.roles import Actor, Role

SAM = Actor("sam", Role.SUPERVISOR, 1)


def _ev(ap_new, ap_old, rc_new, rc_old) -> Evaluation:  # noqa: ANN001
    card = lambda ap, rc: Scorecard(ap, 0.3, rc, {})  # noqa: E731
    return Evaluation(0, 14 * 86400, 100, 10, 20, card(ap_old, rc_old), card(ap_new, rc_new),
                      SimpleNamespace(classifier=object(), kind="hgb", metrics={}), None)


def test_a_model_is_promoted_only_when_it_catches_at_least_as_many_frauds_within_capacity():
    assert not _ev(0.32, 0.31, 0.067, 0.075).better()  # QA's case: AP barely up, recall at capacity down
    assert not _ev(0.40, 0.31, 0.067, 0.075).better()  # much better AP, still fewer frauds caught
    assert not _ev(0.315, 0.31, 0.09, 0.075).better()  # within the margin
    assert _ev(0.40, 0.31, 0.075, 0.075).better()
    assert _ev(0.40, None, None, None).better()


def test_recall_changes_are_points_and_frauds_caught():
    assert words.recall_change(0.65, 0.47) == "recall 65 % → 47 % (-18 points): about a quarter fewer frauds caught"
    assert words.recall_change(0.30, 0.45) == "recall 30 % → 45 % (+15 points): about 50 % more frauds caught"
    assert words.recall_change(0.60, 0.30) == "recall 60 % → 30 % (-30 points): about half as many frauds caught"
    assert words.feature("country_risk_30d") == "the country's fraud share over the last 30 days"
    assert words.bins("amount", [81000.0, 120000.0]) == ["under 81k", "81k–120k", "120k+"]
    assert words.bins("cp_risk_7d", [0.05, 0.2])[1] == "5.0 %–20 %"
    # QA 31: neighbouring edges never read the same ("0.5 %–0.5 %"): more digits until they differ
    labels = words.bins("country_risk_30d", [0.0049, 0.0051, 0.2])
    assert labels == ["under 0.49 %", "0.49 %–0.51 %", "0.51 %–20.0 %", "20.0 %+"]
    # edges the same as stored (rounded): a narrow bin around that value, the others at the usual digits
    assert words.bins("country_risk_30d", [0.0044, 0.005, 0.005, 0.0053]) == [
        "under 0.44 %", "0.44 %–0.50 %", "about 0.50 %", "0.50 %–0.53 %", "0.53 %+"]


def test_a_reason_must_say_something():
    for bad in ("", "x", "no", "seasonal", "!!! ???"):
        with pytest.raises(ValidationError, match="^Say why"):
            rules.check_reason(bad)
    assert rules.check_reason("  seasonal   traffic ") == "seasonal traffic"
    with pytest.raises(ValidationError, match="^The reason is 504 characters"):
        rules.check_reason("word " * 101)


def test_history_keeps_each_decision():
    t1, t2 = datetime(2026, 11, 30, 10, 58, tzinfo=timezone.utc), datetime(2026, 11, 30, 10, 59, tzinfo=timezone.utc)
    assert rules.history("rolled_back", t1, "system", None, t2, "sam") == [
        {"action": "accepted", "by": "system", "at": t1, "reason": None},
        {"action": "rolled back", "by": "sam", "at": t2, "reason": None}]
    assert rules.history("rejected", t1, "sam", "seasonal traffic", None, None)[0]["action"] == "rejected"


def test_out_of_date_names_what_changed():
    based = {"based_on": {"model": 1, "settings": None, "values": {"review_threshold": 0.5}}}
    change = {"settings": {"review_threshold": 0.4}}
    assert rules.out_of_date("threshold", change, based, {"model": 1, "settings": None}, {"review_threshold": 0.5}) is None
    assert rules.out_of_date("threshold", change, based, {"model": 2, "settings": None},
                             {"review_threshold": 0.5}).startswith("Out of date: computed for model v1, but model v2")
    words = rules.out_of_date("threshold", change, based, {"model": 1, "settings": 3}, {"review_threshold": 0.45})
    assert "(the review threshold)" in words and "_" not in words  # plain words, not the key (QA4 #11)
    blocked = rules.out_of_date("terminal", {"settings": {"blocked_counterparties": ["C9"]}},
                                {"based_on": {"model": 1, "settings": None, "values": {"blocked_counterparties": []}}},
                                {"model": 1, "settings": 3}, {"blocked_counterparties": ["K1"]})
    assert "(the counterparty block list)" in blocked
    # a promotion depends on the model only; a rule card on the settings it changes only
    assert rules.out_of_date("promote", {"model": 2}, based, {"model": 1, "settings": 9}, {}) is None
    rule = {"based_on": {"model": 1, "settings": None, "values": {"velocity_limit_1h": 5}}}
    assert rules.out_of_date("rule", {"settings": {"velocity_limit_1h": 10}}, rule, {"model": 2, "settings": 4},
                             {"velocity_limit_1h": 5}) is None


def test_a_retrain_does_not_propose_again_what_was_turned_down(sqlite_engine):
    engine, now = sqlite_engine, utcnow()
    drift = Draft("drift", "amount", "drift: payment amount shifted", {}, {"psi": 0.4, "based_on": {"model": 1}})
    terminal = Draft("terminal", "T9", "terminal T9", {"settings": {"blocked_counterparties": ["T9"]}},
                     {"frauds": 4, "based_on": {"model": 1, "settings": None, "values": {}}})
    with engine.begin() as conn:
        first = store.store(conn, 1, [drift, terminal], now)
        store.reject(conn, SAM, first[0], "seasonal traffic, expected", now)
        store.accept(conn, SAM, first[1], store.FraudConfig(), now)
    with engine.begin() as conn:
        store.rollback(conn, SAM, first[1], now)
    same = [Draft("drift", "amount", "again", {}, {"psi": 0.45}), Draft("terminal", "T9", "again", {}, {"frauds": 5})]
    stronger = [Draft("drift", "amount", "again", {}, {"psi": 0.7}), Draft("terminal", "T9", "again", {}, {"frauds": 9})]
    other = [Draft("drift", "hour", "another feature", {}, {"psi": 0.3})]
    with engine.connect() as conn:
        kept, repeated = store.repeats(conn, same + stronger + other, now + timedelta(days=1))
        assert [d.title for d in repeated] == ["again", "again"] and len(kept) == 3
        assert store.repeats(conn, same, now + timedelta(days=rules.REPEAT_DAYS + 1))[1] == []  # long ago


def test_a_long_read_never_holds_sqlites_write_lock(sqlite_engine):
    """The retrain reads its history on a read-only connection: a desk's write goes through meanwhile."""
    with sqlite_engine.connect() as reader:
        reader.execution_options(qenex_read_only=True)
        rows = reader.execute(text("SELECT 1 FROM ai_runs UNION ALL SELECT 2"))
        rows.fetchone()  # a read transaction is open
        with sqlite_engine.begin() as writer:  # BEGIN IMMEDIATE: would time out behind a write lock
            writer.execute(text("DELETE FROM ai_runs WHERE id < 0"))
        rows.fetchall()


def test_runs_and_decisions_are_published(sqlite_engine):
    from core.ai import runs

    bus = EventBus(sqlite_engine)
    seen = []
    bus.subscribe(lambda e: seen.append((e.name, e.payload.get("status"))), ("recommendation.*",))
    run_id = runs.start(sqlite_engine, "scheduler", "schedule")
    runs._finish(sqlite_engine, run_id, "cancelled", {"error": "test"})
    assert seen == [("recommendation.run", "running"), ("recommendation.run", "cancelled")]


def test_a_shadow_run_is_measurable_only_when_a_figure_the_card_shows_moves():
    from core.ai.shadow import Decisions, ShadowRun

    def run(cur: Decisions, new: Decisions) -> ShadowRun:
        return ShadowRun(30, 2000, 100, cur, new, [])

    now = Decisions(3.2, 1.1, 0.8101, [3] * 30)
    assert not run(now, now).measurable()
    moved_a_day = Decisions(3.2, 1.1, 0.8101, [2, 4] + [3] * 28)  # the same alerts, on other days
    assert run(now, moved_a_day).changes_anything() and not run(now, moved_a_day).measurable()
    assert not run(now, Decisions(3.2, 1.1, 0.8123, [3] * 30)).measurable()  # 81 % -> 81 %
    assert run(now, Decisions(3.1, 1.1, 0.8101, [3] * 30)).measurable()
    assert run(now, Decisions(3.2, 1.2, 0.8101, [3] * 30)).measurable()
    assert run(now, Decisions(3.2, 1.1, 0.8201, [3] * 30)).measurable()
    assert not run(Decisions(3.2, 1.1, None, [3] * 30), Decisions(3.2, 1.1, None, [3] * 30)).measurable()
