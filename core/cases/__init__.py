"""Fraud case work: the alert queue analysts work (claims, SLA, dispositions), cases, suppressions, charts.

Pure Python; never imports Qt. ``core.cases.service.FraudDesk`` is what the console and the command line call.
"""
