"""Entry script for the frozen build: the same as the ``qenex`` console script (app.cli:main)."""
import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
