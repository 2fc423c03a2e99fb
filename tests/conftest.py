"""Suite-wide settings.

Every ``LocalRealtimeServer`` started by any test (server scenarios, SDK sessions, openai-python, the
README quickstart, servers in other threads) is strict: each event it sends is decoded with
``realtime_sdk.events.decode`` right where it leaves, and a server that sent anything a client would
see as ``UnknownServerEvent`` fails when it stops.  One place that every scenario passes through.
"""

from __future__ import annotations

import os

from realtime_sdk.server.app import STRICT_ENV

os.environ.setdefault(STRICT_ENV, "1")
