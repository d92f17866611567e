"""``python -m gdfast``: the same as the ``gdfast`` command."""

import sys

from .cli import main

sys.exit(main())
