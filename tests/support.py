"""Paths and small helpers shared by the tests."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared"


def shared_or_skip(relative: str) -> Path:
    """A file from the shared reference material, or a skip when this clone has none beside it."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"heavy reference data {relative} is not beside this clone (../shared absent)")
    return path


def parked(task: asyncio.Task[Any]) -> bool:
    """Whether ``task`` has run and now waits at an ``await`` (False before its first step and once done).

    For a call whose first suspension is the wait a test cares about (a send held at the reconnect gate,
    ``create_response`` held by an active response, ``input_transcript`` before its event): the call has
    got there, read from the task, not from the SDK's insides.
    """
    coro = task.get_coro()
    return inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == inspect.CORO_SUSPENDED


def noise(frames: int, seed: int = 1) -> np.ndarray[Any, np.dtype[np.int16]]:
    """Full-scale random PCM16, both extremes included (a float round trip would have to be exact)."""
    x = np.random.default_rng(seed).integers(-32768, 32768, frames, dtype=np.int16)
    x[:2] = (-32768, 32767)
    return x
