"""Fraud engine: online features, learned models, rules, reasons, and the posting-path screen.

Entry points: screen.FraudScreen (the ledger's screen), labels.record_labels, dbtrain.train_from_database,
backtest.run (handbook files), registry (skops model registry). Modules import nothing from ui or app.
"""
