"""The self-improving fraud loop: retrain a challenger from analysts' labels, evaluate it against the
champion, watch drift, and turn what it finds into recommendations a supervisor accepts, rejects or rolls
back. Qt-free; the console starts it on a worker (ui.recommendations) and ``qenex ai`` on the command line;
the training works in a child process (``runs.execute``).
"""
