"""``python -m models.bkt fit-bkt|export-events ...``: see :mod:`models.bkt.cli`."""

import sys

from attune.models.bkt.cli import main

sys.exit(main())
