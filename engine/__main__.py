"""``python -m engine`` is the ``attune`` command."""

import sys

from engine.cli import main

sys.exit(main())
