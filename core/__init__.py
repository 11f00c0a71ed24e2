"""The domain of QENEX Console. Pure Python: never imports Qt, ui or app."""
