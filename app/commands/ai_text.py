"""``qenex ai``'s plain-text output: one card, a card's line, a run's summary (``--json`` keeps the data)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from app.zone import local
from core.ai import words
from core.words import counted

if TYPE_CHECKING:  # the store imports scikit-learn: never on `qenex --help`
    from core.ai.store import Rec


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def history(r: Rec) -> str:
    """"accepted by system at 2026-11-30 10:58 CET; rolled back by sam at …" (each decision its own)."""
    return "; ".join(f"{h['action']} by {h['by']} at {local(h['at'])}" + (f" ({h['reason']})" if h["reason"] else "")
                     for h in r.history)


def line(r: Rec) -> str:
    status = words.STATUS.get(r.status, r.status)
    if r.stale:
        status += ", out of date"
    done = f"  [{history(r)}]" if r.history else ""
    return f"#{r.id:<5} {r.kind:9} {status:12} {r.title}{done}"


def evaluation(e: dict) -> list[str]:
    """Challenger against the model in force, each figure with its unit."""
    mine, theirs = e.get("challenger") or {}, e.get("champion") or {}
    k = e.get("capacity")
    rows = [("frauds caught within analysts' capacity (recall at capacity)",
             words.percent(mine.get("recall_at_capacity")), words.percent(theirs.get("recall_at_capacity"))),
            ("average precision (0 to 1, higher is better)", _num(mine.get("average_precision")),
             _num(theirs.get("average_precision"))),
            (f"share of each day's top {k} cards that were fraud (card precision@{k})",
             words.percent(mine.get("card_precision_at_k")), words.percent(theirs.get("card_precision_at_k"))),
            ("genuine payments flagged, per channel", words.channels(mine.get("fpr_by_channel")),
             words.channels(theirs.get("fpr_by_channel")))]
    out = [f"evaluated on the last {counted(e.get('days') or 0, 'day')} ({counted(e.get('payments') or 0, 'payment')}, "
           f"{counted(e.get('frauds') or 0, 'fraud')}) that neither model trained on, analysts' capacity "
           f"{counted(k or 0, 'alert')} a day:"]
    out += [f"  {name}: new model {a}, model in force {b}" for name, a, b in rows]
    return out


def show(r: Rec) -> list[str]:
    ev = r.evidence
    lines = [line(r), f"change: {words.change(r.kind, r.change)}"]
    if r.kind == "promote" and "evaluation" in ev:
        lines += evaluation(ev["evaluation"])
    if "shadow" in ev:
        lines.append(words.shadow(ev["shadow"]))
    if r.kind == "drift":
        lines.append(f"{ev.get('feature', r.subject)}: {words.PSI_MEANING} (this one {ev.get('psi', 0):.2f})")
    if "proposal" in ev:
        lines.append(f"proposal: {ev['proposal']}")
    if r.stale:
        lines.append(r.stale)
    if r.history:
        lines.append(f"history: {history(r)}")
    return lines


def run_summary(result) -> list[str]:  # noqa: ANN001 - a RunResult
    s = result.summary
    lines = [f"retrain #{result.run_id} {result.status}: {counted(s.get('payments', 0), 'payment')}, "
             f"{counted(s.get('frauds', 0), 'labelled fraud')}"]
    if s.get("evaluation"):
        lines += evaluation(s["evaluation"])
    lines.append(f"new model registered as v{result.challenger} (inactive until a supervisor promotes it)"
                 if result.challenger else "the new model is not better on the figures that matter: not registered")
    again = s.get("not_proposed_again") or []
    if again:
        lines.append(f"not proposed again ({counted(len(again), 'card')} rejected or rolled back, evidence alike): "
                     + "; ".join(again[:5]))
    idle = s.get("no_measurable_change") or []
    if idle:
        lines.append(f"not proposed ({counted(len(idle), 'card')} whose shadow run changes nothing measurable): "
                     + "; ".join(idle[:5]))
    lines.append(f"{counted(len(result.recommendations), 'open recommendation')}: qenex ai recommendations")
    return lines
