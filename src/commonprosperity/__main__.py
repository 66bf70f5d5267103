"""``python -m commonprosperity``: the command line."""

import sys

from commonprosperity.cli import console_main

if __name__ == "__main__":
    sys.exit(console_main())
