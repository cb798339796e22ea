"""``python -m bot`` runs the ``tanya`` command line."""

import sys

from bot.cli import main

sys.exit(main())
