"""Paths shared by the top-level tests."""

from __future__ import annotations

from pathlib import Path

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
