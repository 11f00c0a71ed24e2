"""A realistic demo bank: customers, accounts and months of history with known fraud patterns."""
