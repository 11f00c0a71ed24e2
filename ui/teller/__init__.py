"""The teller page: accounts, balances, statements, transfers and cash."""
