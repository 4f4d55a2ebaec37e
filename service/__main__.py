"""``python -m service``: the command-line tool (service/cli.py)."""
import sys

from .config import single_threaded_math

# Before the engine imports numpy: the tool runs one process per CPU (--processes), as the server does.
single_threaded_math()

from .cli import main  # noqa: E402

# Guarded: worker processes (spawn) import this module again and must not run the tool.
if __name__ == "__main__":
    sys.exit(main())
