"""The double-entry ledger: customers, accounts, transfers, balances and statements."""
