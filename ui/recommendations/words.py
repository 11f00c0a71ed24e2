"""The figures behind a recommendation in plain words (the page's detail text; no Qt)."""
from __future__ import annotations

from app.zone import local
from core.ai.store import Rec

STATUS = {"open": "open", "accepted": "accepted", "rejected": "rejected", "rolled_back": "rolled back",
          "superseded": "superseded by a later run"}
KIND = {"promote": "Model", "threshold": "Threshold", "rule": "Rule", "terminal": "Terminal", "drift": "Drift"}


def _pct(v: float | None) -> str:
    if v is None:
        return "n/a"
    return f"{v:.1%}" if 0 < abs(v) < 0.1 else f"{v:.0%}"


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def details(rec: Rec) -> list[str]:
    ev = rec.evidence
    lines: list[str] = []
    if rec.kind == "promote":
        e = ev["evaluation"]
        mine, theirs = e["challenger"], e.get("champion") or {}
        lines.append(f"Both models scored {e['payments']:,} payments ({e['frauds']} frauds) of the last {e['days']} "
                     f"days, which neither trained on; capacity {e['capacity']} alerts a day.")
        lines.append(f"Average precision {_num(mine['average_precision'])} vs {_num(theirs.get('average_precision'))} · "
                     f"card precision@{e['capacity']} {_num(mine['card_precision_at_k'])} vs "
                     f"{_num(theirs.get('card_precision_at_k'))} · recall at capacity {_pct(mine['recall_at_capacity'])} "
                     f"vs {_pct(theirs.get('recall_at_capacity'))}")
        channels = sorted(set(mine["fpr_by_channel"]) | set(theirs.get("fpr_by_channel") or {}))
        if channels:
            lines.append("False positives per channel: " + ", ".join(
                f"{c} {_pct(mine['fpr_by_channel'].get(c))} vs {_pct((theirs.get('fpr_by_channel') or {}).get(c))}"
                for c in channels))
        lines.append(f"Accepting makes model {rec.subject} the one that scores every payment, at once.")
    if "shadow" in ev:
        sh = ev["shadow"]
        cur, new = sh["current"], sh["proposed"]
        lines.append(f"Shadow run over the last {sh['days']} days ({sh['payments']:,} payments, {sh['frauds']} frauds): "
                     f"alerts a day {cur['alerts_per_day']:g} → {new['alerts_per_day']:g}, declines a day "
                     f"{cur['declines_per_day']:g} → {new['declines_per_day']:g}, recall {_pct(cur['recall'])} → "
                     f"{_pct(new['recall'])}.")
    if rec.kind == "threshold":
        lines.append(f"Accepting sets the review threshold from {ev['current']:.2f} to {ev['proposed']:.2f}, at once.")
    if rec.kind == "rule":
        lines.append(f"{ev['false_positives']} of {ev['decided']} decided alerts of this rule ({ev['words']}) were false "
                     f"positives. Proposal: {ev['proposal']}.")
    if rec.kind == "terminal":
        lines.append(f"Confirmed fraud share this week {_pct(ev['share'])}, {_pct(ev['base_share'])} over the 30 days "
                     f"before. Proposal: {ev['proposal']}.")
    if rec.kind == "drift":
        lines.append(f"Payments this week are distributed differently from last week (PSI {ev['psi']:.2f}; above 0.2 "
                     f"counts as a significant shift). {ev['proposal'].capitalize()}.")
    based = ev.get("based_on")
    if based is not None and rec.kind != "drift":
        model = f"model v{based['model']}" if based.get("model") else "no model"
        settings = f"settings v{based['settings']}" if based.get("settings") else "the default settings"
        lines.append(f"Figures computed with {model} and {settings} in force.")
    if rec.decided_at:
        lines.append(f"{STATUS[rec.status].capitalize()} by {rec.decided_by} at {local(rec.decided_at)}"
                     + (f": {rec.reason}" if rec.reason else "") + ".")
    if rec.rolled_back_at:
        lines.append(f"Rolled back by {rec.rolled_back_by} at {local(rec.rolled_back_at)}.")
    return lines


def state_words(state: dict) -> str:
    v = state.get("values", {})
    model = f"model v{state['model']}" if state.get("model") else "no model (rules only)"
    settings = f"settings v{state['settings']}" if state.get("settings") else "default settings"
    return (f"In force: {model} · {settings} (review at {v.get('review_threshold', 0):.2f}, decline at "
            f"{v.get('decline_threshold', 0):.2f}, velocity limit {v.get('velocity_limit_1h')} an hour)")


def run_words(run: dict | None) -> str:
    if run is None:
        return "No retrain yet."
    from datetime import datetime

    started = datetime.fromisoformat(run["started_at"])
    what = {"done": "finished", "running": "running", "failed": "failed", "cancelled": "cancelled"}[run["status"]]
    error = run.get("summary", {}).get("error")
    return (f"Last retrain #{run['id']} ({run['trigger']}, {run['started_by']}) {what}, started {local(started)}"
            + (f": {error}" if error else ""))
