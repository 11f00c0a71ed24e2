"""The rules a recommendation's life follows, in one place (pure functions; ``core.ai.store`` applies them).

- **What a card depends on** (``DEPENDS``): a model promotion on the model in force (its comparison was
  against that champion); a threshold on the model and the review threshold (its shadow run scored with
  that model); a rule or terminal card on the settings it changes. A drift card depends on nothing.
- **Out of date** (``out_of_date``): an open card whose model or settings are no longer the ones in force
  can no longer be accepted; the reason says what changed and that a retrain makes a fresh one.
- **Rollback order** (``CHANGES``): a rollback restores only what the card changed (the model, or the
  settings); a model promotion and a settings change are independent, so either can be rolled back
  without the other. Two changes of the same thing are dependent: the later must be rolled back first.
- **A reject reason** (``check_reason``) is at least MIN_REASON_CHARS characters and MIN_REASON_WORDS words
  (``"false alarm"`` is too short; ``"seasonal traffic, not fraud"`` is fine): the reason is audited and
  read by the next supervisor, so it must say something.
- **No re-proposals** (``materially_changed``): a retrain does not propose again what a supervisor rejected
  or rolled back in the last REPEAT_DAYS days (same kind and subject) unless its evidence changed
  materially: the figure that raised it (drift index, the terminal's confirmed frauds this week, the rule's
  false positives) is at least REPEAT_FACTOR times what it was; a threshold card proposes a value at least
  0.02 away; a model card's challenger beats the rejected one's average precision by 0.01 or more; or the
  model in force is another one.
"""
from __future__ import annotations

from typing import Any

from core import reasons
from core.errors import ValidationError

MAX_REASON = reasons.MAX_CHARS  # the one rule for a decision's reason (core.reasons)
MIN_REASON_CHARS, MIN_REASON_WORDS = reasons.MIN_CHARS, reasons.MIN_WORDS
REPEAT_DAYS = 30
REPEAT_FACTOR = 1.5
DEPENDS = {"promote": ("model",), "threshold": ("model", "settings"), "rule": ("settings",),
           "terminal": ("settings",), "drift": ()}
CHANGES = {"promote": "model", "threshold": "settings", "rule": "settings", "terminal": "settings"}
WHAT = {"model": "the fraud model", "settings": "the fraud settings"}


def check_reason(reason: str | None) -> str:
    """The reason with its spaces tidied; ValidationError when it is missing, too short or too long."""
    text = " ".join((reason or "").split())
    if not text:
        raise ValidationError("Say why the recommendation is rejected: a reason is required.")
    if len(text) <= MAX_REASON and not reasons.acceptable(text):
        raise ValidationError(f"Say why in a few words (at least {MIN_REASON_CHARS} characters and "
                              f"{MIN_REASON_WORDS} words): the reason is audited and shown with the card.")
    if len(text) > MAX_REASON:
        raise ValidationError(f"The reason is {len(text)} characters; keep it within {MAX_REASON}.")
    return text


def _v(version: int | None) -> str:
    return "none" if version is None else f"v{version}"


# a setting's plain name where a person reads it (a card's "out of date" line said "(blocked_counterparties)")
SETTING_WORDS = {
    "blocked_counterparties": "the counterparty block list", "blocked_countries": "the country block list",
    "review_threshold": "the review threshold", "decline_threshold": "the decline threshold",
    "velocity_limit_1h": "the hourly velocity limit", "velocity_action": "what the velocity limit does",
    "amount_limits": "the amount limits", "amount_limit_action": "what the amount limits do",
    "anomaly_weight": "the anomaly score's weight",
}


def out_of_date(kind: str, change: dict, evidence: dict, state: dict, values: dict) -> str | None:
    """Why an open card can no longer be applied (None: it still can). ``state``: the versions in force
    ({"model", "settings"}); ``values``: the settings in force (``versions.plain``)."""
    based = evidence.get("based_on")
    if based is None:
        return None
    deps = DEPENDS.get(kind, ())
    if "model" in deps and based.get("model") != state.get("model"):
        return (f"Out of date: computed for model {_v(based.get('model'))}, but model {_v(state.get('model'))} "
                "scores payments now. Retrain for a fresh recommendation.")
    if "settings" in deps:
        then = based.get("values")
        keys = sorted((change.get("settings") or {}).keys())
        if then is not None:
            changed = [k for k in keys if k in then and then[k] != values.get(k)]
        else:  # a card stored before the values were recorded: any new settings version counts
            changed = keys if based.get("settings") != state.get("settings") else []
        if changed:
            named = ", ".join(SETTING_WORDS.get(k, k.replace("_", " ")) for k in changed)
            return (f"Out of date: the settings it was computed with ({named}) have changed since. "
                    "Retrain for a fresh recommendation.")
    return None


def measure(kind: str, evidence: dict) -> float | None:
    """The figure that raised a card (compared by ``materially_changed``)."""
    if kind == "drift":
        return evidence.get("psi")
    if kind == "terminal":
        return evidence.get("frauds", evidence.get("share"))
    if kind == "rule":
        return evidence.get("false_positives")
    if kind == "threshold":
        return evidence.get("proposed")
    if kind == "promote":
        return ((evidence.get("evaluation") or {}).get("challenger") or {}).get("average_precision")
    return None


def key(kind: str, subject: str) -> tuple[str, str]:
    """Cards about the same thing: a model card's subject is a new version each run, so kind alone."""
    return (kind, "" if kind == "promote" else subject)


def materially_changed(kind: str, new_evidence: dict, old_evidence: dict) -> bool:
    """Whether a new draft differs enough from a rejected or rolled-back card to be proposed again."""
    new_model = (new_evidence.get("based_on") or {}).get("model")
    old_model = (old_evidence.get("based_on") or {}).get("model")
    if kind in ("promote", "threshold") and new_model != old_model:
        return True
    new, old = measure(kind, new_evidence), measure(kind, old_evidence)
    if new is None or old is None:
        return True
    if kind == "threshold":
        return abs(new - old) >= 0.02
    if kind == "promote":
        return new >= old + 0.01
    return new >= old * REPEAT_FACTOR


def history(status: str, decided_at: Any, decided_by: str | None, reason: str | None, rolled_back_at: Any,
            rolled_back_by: str | None) -> list[dict]:
    """Each decision with its own who and when, oldest first: accepted or rejected, then rolled back."""
    out: list[dict] = []
    if decided_at is not None:
        out.append({"action": "rejected" if status == "rejected" else "accepted", "by": decided_by,
                    "at": decided_at, "reason": reason})
    if rolled_back_at is not None:
        out.append({"action": "rolled back", "by": rolled_back_by, "at": rolled_back_at, "reason": None})
    return out
