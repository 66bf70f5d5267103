"""``python -m commonprosperity``: the command line."""

import sys

from commonprosperity.cli import main

if __name__ == "__main__":
    sys.exit(main())
