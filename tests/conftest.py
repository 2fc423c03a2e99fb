"""Suite-wide settings.

Every ``LocalRealtimeServer`` started by any test (server scenarios, SDK sessions, openai-python, the
README quickstart, servers in other threads) is strict: each event it sends is decoded with
``realtime_sdk.events.decode`` right where it leaves, and a server that sent anything a client would
see as ``UnknownServerEvent`` fails when it stops.  One place that every scenario passes through.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import settings

from realtime_sdk.server.app import STRICT_ENV

os.environ.setdefault(STRICT_ENV, "1")

# Property tests explore new examples on every local run (and remember failures in .hypothesis/).
# Under CI they run a fixed, derandomised set, so a submission's result does not depend on the draw.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def float_path_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the resampler's float conversions: empty when audio went through untouched."""
    from realtime_sdk.audio._resample import Resampler

    calls: list[int] = []
    original = Resampler._process_float

    def spy(self: Resampler, chunk: Any) -> Any:
        calls.append(1)
        return original(self, chunk)

    monkeypatch.setattr(Resampler, "_process_float", spy)
    return calls
