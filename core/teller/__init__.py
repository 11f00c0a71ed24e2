"""The teller's workspace in core: customers and their search, account holds, statements, transfer
previews and receipts. Pure Python over SQLAlchemy; the console (ui/teller) and the command line call it."""
