"""Composition root of QENEX Console: settings, the command line, start-up and worker threads."""
