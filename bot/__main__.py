"""``python -m bot`` runs the ``tanya`` command line."""

import sys

from bot.cli import main

if __name__ == "__main__":  # not when a reading process imports this module again
    sys.exit(main())
