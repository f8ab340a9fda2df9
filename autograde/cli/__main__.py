"""``python -m autograde.cli``: the ``bptt`` command."""

import sys

from . import main

sys.exit(main())
