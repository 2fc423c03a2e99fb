"""The README quickstart, run as a new user would: copied into a file, a fresh interpreter, no API key."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def quickstart_code() -> str:
    """The first Python block after the README's "## Quickstart" heading, exactly as a reader copies it."""
    section = README.read_text().split("## Quickstart", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_quickstart_passes_mypy_strict(tmp_path: Path) -> None:
    from mypy import api

    script = tmp_path / "quickstart.py"
    script.write_text(quickstart_code())
    out, err, status = api.run(["--strict", "--no-incremental", str(script)])
    assert status == 0, out + err


async def test_quickstart_runs_against_the_local_server(tmp_path: Path) -> None:
    # Copied elsewhere, so nothing but the installed package is importable.
    script = tmp_path / "quickstart.py"
    script.write_text(quickstart_code())
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert out.decode().splitlines() == ["You said: Hello! What can you do?", "You said: And in French?"]
    assert err == b""
