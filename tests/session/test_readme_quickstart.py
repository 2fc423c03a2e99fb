"""The quickstart, run as a new user would: a file on its own, a fresh interpreter, no API key."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "docs" / "quickstart.py"


async def test_quickstart_runs_against_the_local_server(tmp_path: Path) -> None:
    # Copied elsewhere, so nothing but the installed package is importable.
    script = tmp_path / "quickstart.py"
    script.write_text(QUICKSTART.read_text())
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
