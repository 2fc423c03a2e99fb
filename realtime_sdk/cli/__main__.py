"""``python -m realtime_sdk.cli``: the same as the ``realtime-sdk`` command."""

import sys

from . import main

sys.exit(main())
