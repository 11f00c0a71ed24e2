"""Entry script for the frozen build: the same as the ``qenex`` console script (app.cli:main)."""
import multiprocessing
import sys

from app.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the demo bank trains its first model in a child process
    sys.exit(main())
