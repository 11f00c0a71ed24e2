"""The fraud queue: open alerts and why each payment was held."""
