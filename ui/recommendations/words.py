"""The figures behind a recommendation in plain words (the page's detail text; no Qt). The field's terms
(champion, challenger, average precision, card precision@k, recall at capacity, PSI) are in ``GLOSSARY``,
shown as the detail's tooltip, never instead of the plain words."""
from __future__ import annotations

from datetime import datetime

from app.zone import local
from core.ai import words
from core.ai.store import Rec
from core.ai.words import STATUS
from core.words import counted

KIND = {"promote": "Model", "threshold": "Threshold", "rule": "Rule", "terminal": "Terminal", "drift": "Drift"}
GLOSSARY = {
    "promote": "The new model is the challenger, the model in force the champion. Frauds caught within capacity = "
               "recall at capacity. Average precision (AP) = area under the precision-recall curve, 0 to 1. "
               "Top cards that were fraud = card precision@k, k = the analysts' capacity. Genuine payments "
               "flagged = false-positive rate per channel at the review threshold.",
    "drift": f"PSI = population stability index: {words.PSI_MEANING}.",
    "threshold": "Shadow run: the last 30 days replayed with the current and the proposed settings. Recall = share "
                 "of labelled frauds sent for review or declined; a change in points is the difference of the two.",
}
_TRIGGER = {"schedule": "on the schedule", "demand": "by {by}", "drift": "by {by} (accepting a drift card)"}


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def _promote(rec: Rec) -> list[str]:
    e = rec.evidence["evaluation"]
    mine, theirs = e["challenger"], e.get("champion") or {}
    pct = words.percent
    lines = [f"Both models scored {e['payments']:,} payments ({counted(e['frauds'], 'fraud')}) of the last "
             f"{counted(e['days'], 'day')}, which neither trained on. The analysts clear {counted(e['capacity'], 'alert')} "
             "a day.",
             f"Frauds caught within that capacity: {pct(mine['recall_at_capacity'])} with the new model, "
             f"{pct(theirs.get('recall_at_capacity'))} with the model in force.",
             f"Of each day's {e['capacity']} highest-scored cards, fraud: {pct(mine['card_precision_at_k'])} vs "
             f"{pct(theirs.get('card_precision_at_k'))}.",
             f"Ranking quality overall (average precision, 0 to 1): {_num(mine['average_precision'])} vs "
             f"{_num(theirs.get('average_precision'))}."]
    channels = sorted(set(mine["fpr_by_channel"]) | set(theirs.get("fpr_by_channel") or {}))
    if channels:
        lines.append("Genuine payments flagged for review, per channel: " + ", ".join(
            f"{c} {pct(mine['fpr_by_channel'].get(c))} vs {pct((theirs.get('fpr_by_channel') or {}).get(c))}"
            for c in channels) + " (new model vs model in force).")
    lines.append(f"Accepting makes model {rec.subject} the one that scores every payment, at once.")
    return lines


def details(rec: Rec) -> list[str]:
    ev = rec.evidence
    lines: list[str] = []
    if rec.stale:
        lines.append(rec.stale)
    if rec.kind == "promote":
        lines += _promote(rec)
    if "shadow" in ev:
        text = words.shadow(ev["shadow"], "→")
        lines.append(f"{text[0].upper()}{text[1:]}.")
    if rec.kind == "threshold":
        lines.append(f"Accepting sets the review threshold from {ev['current']:.2f} to {ev['proposed']:.2f}, at once.")
    if rec.kind == "rule":
        lines.append(f"{ev['false_positives']} of {ev['decided']} decided alerts of this rule ({ev['words']}) were false "
                     f"positives. Proposal: {ev['proposal']}.")
    if rec.kind == "terminal":
        before = (f"{words.percent(ev['base_share'])} over the 30 days before" if ev.get("base_payments", 1)
                  else "no payments in the 30 days before")
        lines.append(f"Confirmed fraud share this week {words.percent(ev['share'])}; {before}. "
                     f"Proposal: {ev['proposal']}.")
    if rec.kind == "drift":
        name = ev.get("feature") or words.feature(rec.subject)
        lines.append(f"{name[0].upper()}{name[1:]}: this week's values are distributed differently from last "
                     f"week's. {words.PSI_MEANING[0].upper()}{words.PSI_MEANING[1:]} (this one: {ev['psi']:.2f}). "
                     f"Accepting: {ev['proposal']}.")
    based = ev.get("based_on")
    if based is not None and rec.kind != "drift":
        model = f"model v{based['model']}" if based.get("model") else "no model"
        settings = f"settings v{based['settings']}" if based.get("settings") else "the default settings"
        lines.append(f"Figures computed with {model} and {settings} in force.")
    lines += history(rec)
    return lines


def history(rec: Rec) -> list[str]:
    """Each decision on its own line with its own who and when."""
    return [f"{h['action'].capitalize()} by {h['by']} at {local(h['at'])}" + (f": {h['reason']}" if h["reason"] else "")
            + "." for h in rec.history]


def restores(rec: Rec) -> str:
    """What rolling ``rec`` back puts in force again, for the confirmation."""
    before = rec.before or {}
    if rec.kind == "promote":
        model = before.get("model")
        return f"model v{model} scores payments again" if model else "no model scores payments (rules only)"
    settings = before.get("settings")
    return (f"settings v{settings} are in force again" if settings else "the default settings are in force again")


def state_words(state: dict) -> str:
    v = state.get("values", {})
    model = f"model v{state['model']}" if state.get("model") else "no model (rules only)"
    settings = f"settings v{state['settings']}" if state.get("settings") else "default settings"
    return (f"In force: {model} · {settings} (review at {v.get('review_threshold', 0):.2f}, decline at "
            f"{v.get('decline_threshold', 0):.2f}, velocity limit {v.get('velocity_limit_1h')} an hour)")


def started(run: dict) -> str:
    """"started by sam at 10:58" / "started on the schedule at 10:58"."""
    how = _TRIGGER.get(run["trigger"], "by {by}").format(by=run["started_by"])
    return f"started {how} at {local(datetime.fromisoformat(run['started_at']))}"


def run_words(run: dict | None) -> str:
    if run is None:
        return "No retrain yet."
    what = {"done": "finished", "running": "is running", "failed": "failed", "cancelled": "was cancelled"}[run["status"]]
    error = (run.get("summary", {}).get("error") or "").strip().rstrip(":").strip()
    if error.lower() in ("cancelled", "canceled", "keyboardinterrupt"):  # a reaped run says why it ended
        error = ""
    return f"Last retrain #{run['id']}, {started(run)}, {what}" + (f": {error}" if error else ".")
