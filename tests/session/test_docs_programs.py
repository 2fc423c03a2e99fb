"""The full program at the end of each guide in ``docs/`` runs, against the local server, as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def last_program(page: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), re.S)
    assert blocks, page
    return str(blocks[-1])


@pytest.mark.parametrize(("page", "expected"), [("voice-apps.md", "Hello! How can I help? completed 500 ms")])
def test_the_guides_program_runs(page: str, expected: str, tmp_path: Path) -> None:
    script = tmp_path / "program.py"
    script.write_text(last_program(page))
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
