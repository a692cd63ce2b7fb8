"""``python -m attune`` is the ``attune`` command."""

import sys

from attune.cli import main

sys.exit(main())
