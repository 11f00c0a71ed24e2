"""A recommendation's evidence as a chart (pyqtgraph), drawn from the figures stored with it (no database).

- promote: precision-recall curves of champion and challenger on the evaluation window;
- threshold: alerts a day over the shadow run's 30 days, current vs proposed, with the analysts' capacity;
- rule: the rule's decided alerts per day, confirmed and false positive;
- terminal: the counterparty's payments and confirmed frauds per day;
- drift: the share of payments per bin (in %), last week vs this week, bins labelled with their units.

Every axis says what it counts and in which unit; the legend sits in the top-left corner with head room
kept above the data so it never covers a bar or a line; with no card selected the chart is hidden and the
page shows a hint instead (``EvidenceChart.draw`` returns whether it drew).
"""
from __future__ import annotations

from datetime import datetime, timezone

import pyqtgraph as pg
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QVBoxLayout, QWidget

from core.ai import words
from core.ai.store import Rec
from core.words import counted

HEADROOM = 1.35  # the y range reaches this much above the highest value: room for the legend

COLORS = {"champion": "#9aa5b1", "challenger": "#1f6feb", "current": "#9aa5b1", "proposed": "#1f6feb",
          "capacity": "#d97706", "fp": "#b42318", "tp": "#067647", "fraud": "#b42318", "payments": "#1f6feb"}


class EvidenceChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        dark = QGuiApplication.palette().window().color().lightness() < 128
        pg.setConfigOptions(antialias=True, background="#1b2230" if dark else "w",
                            foreground="#d5dce4" if dark else "#3d4a58")
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.2)
        self.legend = self.plot.addLegend(offset=(60, 8))  # top-left, over the head room
        self.kind: str | None = None
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.plot)
        self.setMinimumHeight(220)

    def clear(self) -> None:
        self.plot.clear()
        self.legend.clear()
        self.plot.setTitle("")
        self.plot.getAxis("bottom").setTicks(None)
        self.plot.setLabel("bottom", "")
        self.plot.setLabel("left", "")
        self.plot.enableAutoRange()  # a previous chart may have fixed the ranges
        self.kind = None

    def draw(self, rec: Rec | None) -> bool:
        """Draw ``rec``'s evidence; False (nothing drawn) without a card or a chart."""
        self.clear()
        if rec is None:
            return False
        ev = rec.evidence
        self.kind = ev.get("chart")
        draw = {"pr_curve": self._pr, "shadow": self._shadow, "rule": self._rule, "terminal": self._terminal,
                "drift": self._drift}.get(self.kind or "")
        if draw is None:
            return False
        if self.kind == "drift":
            self._drift(ev, rec.subject)
        else:
            draw(ev)
        return True

    def _room(self, highest: float) -> None:
        """A fixed y range from 0 with head room for the legend."""
        self.plot.setYRange(0, max(highest, 1e-9) * HEADROOM, padding=0)

    def _line(self, xs, ys, name: str, color: str, width: int = 2, dash: bool = False) -> None:  # noqa: ANN001
        pen = pg.mkPen(color, width=width, style=pg.QtCore.Qt.DashLine if dash else pg.QtCore.Qt.SolidLine)
        self.plot.plot(list(xs), list(ys), pen=pen, name=name)

    def _bars(self, xs, heights, color: str, name: str, width: float = 0.8, offset: float = 0.0) -> None:  # noqa: ANN001
        shown = [(x + offset, float(h)) for x, h in zip(xs, heights) if h]  # an empty day draws nothing, not a dash
        if not shown:
            return
        item = pg.BarGraphItem(x=[x for x, _ in shown], height=[h for _, h in shown], width=width, brush=color,
                               pen=pg.mkPen(color), name=name)
        self.plot.addItem(item)  # the legend picks it up by its name

    def _pr(self, ev: dict) -> None:
        e = ev["evaluation"]
        self.plot.setTitle(f"Frauds caught vs alerts that were fraud, last {counted(e['days'], 'day')} "
                           f"({counted(e['frauds'], 'fraud')})")
        for side, name in (("champion", "model in force"), ("challenger", "new model")):
            card = e.get(side)
            if card and card.get("curve"):
                ap = card.get("average_precision")
                self._line([p[0] * 100 for p in card["curve"]], [p[1] * 100 for p in card["curve"]],
                           f"{name} (average precision {ap:.2f})" if ap is not None else name, COLORS[side])
        self.plot.setLabel("bottom", "frauds caught (recall, %)")
        self.plot.setLabel("left", "alerts that were fraud (precision, %)")
        self.plot.setXRange(0, 100)
        self._room(100)

    def _days(self, starts: list[int], every: int = 5) -> None:
        ticks = [(i, f"{datetime.fromtimestamp(s, timezone.utc):%d %b}") for i, s in enumerate(starts) if i % every == 0]
        self.plot.getAxis("bottom").setTicks([ticks])

    def _shadow(self, ev: dict) -> None:
        sh = ev["shadow"]
        self.plot.setTitle(f"Shadow run: alerts a day, last {counted(sh['days'], 'day')}")
        xs = range(len(sh["current"]["daily_alerts"]))
        self._line(xs, sh["current"]["daily_alerts"], f"now (threshold {ev.get('current', '')})", COLORS["current"])
        self._line(xs, sh["proposed"]["daily_alerts"], f"proposed (threshold {ev.get('proposed', '')})",
                   COLORS["proposed"])
        cap = (ev.get("capacity") or {}).get("per_day") or 0
        if cap:
            self._line([0, len(xs) - 1], [cap, cap], f"analysts' capacity, {cap} a day", COLORS["capacity"], dash=True)
        self._days(sh["day_starts"])
        self.plot.setLabel("left", "alerts a day")
        self.plot.setLabel("bottom", "day (UTC)")
        self._room(max([cap, *sh["current"]["daily_alerts"], *sh["proposed"]["daily_alerts"]]))

    def _rule(self, ev: dict) -> None:
        daily = ev.get("daily", [])
        self.plot.setTitle(f"The rule's decided alerts per day ({ev['false_positives']}/{ev['decided']} false)")
        xs = list(range(len(daily)))
        self._bars(xs, [d[1] for d in daily], COLORS["tp"], "confirmed", 0.4, -0.2)
        self._bars(xs, [d[2] for d in daily], COLORS["fp"], "false positive", 0.4, 0.2)
        self.plot.getAxis("bottom").setTicks([[(i, d[0][5:]) for i, d in enumerate(daily) if i % 3 == 0]])
        self.plot.setLabel("left", "decided alerts a day")
        self.plot.setLabel("bottom", "day closed (month-day)")
        self._room(max([1, *(d[1] for d in daily), *(d[2] for d in daily)]))

    def _terminal(self, ev: dict) -> None:
        daily = ev.get("daily", [])
        self.plot.setTitle("The terminal's payments a day")
        xs = list(range(len(daily)))
        self._bars(xs, [d[1] for d in daily], COLORS["payments"], "payments", 0.4, -0.2)
        self._bars(xs, [d[2] for d in daily], COLORS["fraud"], "confirmed fraud", 0.4, 0.2)
        # from a week before its first payment (no empty month), every day with payments dated where there is room
        busy = [i for i, d in enumerate(daily) if d[1]]
        start = max(0, (busy[0] if busy else 0) - 7)
        gap, ticks, last = max(1, -(-(len(daily) - start) // 10)), [], -99
        for i in sorted({start, len(daily) - 1, *busy}):
            if i - last >= gap:
                ticks.append((i, f"{datetime.fromtimestamp(daily[i][0], timezone.utc):%d %b}"))
                last = i
        self.plot.getAxis("bottom").setTicks([ticks])
        self.plot.setXRange(start - 1, len(daily), padding=0)
        self.plot.setLabel("left", "payments a day")
        self.plot.setLabel("bottom", "day (UTC)")
        self._room(max([1, *(d[1] for d in daily)]))

    def _drift(self, ev: dict, subject: str = "") -> None:
        name = ev.get("feature") or words.feature(subject)
        # the feature's name is on the bottom axis: a short title is never cut at the page's width
        self.plot.setTitle(f"Share of payments per bin (shift index {ev['psi']:.2f})")
        last = [v * 100 for v in ev["last_week"]]
        this = [v * 100 for v in ev["this_week"]]
        xs = list(range(len(last)))
        self._bars(xs, last, COLORS["current"], "last week", 0.4, -0.2)
        self._bars(xs, this, COLORS["proposed"], "this week", 0.4, 0.2)
        labels = words.bins(subject, ev["edges"]) if ev.get("edges") else (ev.get("bins") or ["all"])
        every = 1 if len(labels) <= 6 else 2  # room for the labels at the page's default size
        self.plot.getAxis("bottom").setTicks([[(i, t) for i, t in enumerate(labels) if i % every == 0 or i == len(labels) - 1]])
        self.plot.setLabel("left", "share of the week's payments (%)")
        self.plot.setLabel("bottom", name)
        self.plot.setXRange(-0.7, len(xs) - 0.3, padding=0)  # the first and last bars whole
        self.plot.setYRange(0, min(100.0, max([1, *last, *this]) * HEADROOM), padding=0)  # a share ends at 100 %
