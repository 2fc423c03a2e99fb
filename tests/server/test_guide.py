"""The program at the end of docs/local-server.md runs and prints what the page says it prints."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "local-server.md"


def test_the_guide_program_prints_what_the_guide_says(tmp_path: Path) -> None:
    text = GUIDE.read_text()
    program = re.findall(r"```python\n(import asyncio.*?)```", text, re.DOTALL)[-1]
    printed = text.split("It prints:\n\n```\n", 1)[1].split("```", 1)[0]
    (tmp_path / "prog.py").write_text(program)
    proc = subprocess.run(
        [sys.executable, str(tmp_path / "prog.py")], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == printed
