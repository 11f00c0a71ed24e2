"""Documents the bank prints: the shared PDF builder (``pdf.py``) and what is built on it."""
