"""``python -m service``: the command-line tool (service/cli.py)."""
import sys

from .cli import main

# Guarded: worker processes (spawn) import this module again and must not run the tool.
if __name__ == "__main__":
    sys.exit(main())
