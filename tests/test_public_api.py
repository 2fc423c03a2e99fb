"""Every public name the package had before the layers moved still imports from the same module.

``tests/data/public_api.json`` is a snapshot taken from the package as it was before the move to
``protocol/`` and ``session/`` (each module's ``__all__``; for ``errors`` its public classes).  A name may be
added; one that disappears, or moves to another module without staying importable here, breaks users.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

SNAPSHOT = json.loads((Path(__file__).parent / "data" / "public_api.json").read_text())


@pytest.mark.parametrize("module", sorted(SNAPSHOT))
def test_every_public_name_still_imports_from_its_module(module: str) -> None:
    mod = importlib.import_module(module)
    missing = [name for name in SNAPSHOT[module] if not hasattr(mod, name)]
    assert missing == []


@pytest.mark.parametrize("module", sorted(m for m in SNAPSHOT if m != "realtime_sdk.errors"))
def test_every_public_name_is_still_declared_public(module: str) -> None:
    # ``from module import *`` and the docs follow ``__all__``; a name kept but dropped from it is half gone.
    declared = set(importlib.import_module(module).__all__)
    assert set(SNAPSHOT[module]) - declared == set()
