"""Every Python block of the README and docs/ type-checks, and every runnable one runs offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from doc_blocks import Block, all_blocks, blocks

BLOCKS = all_blocks()


def test_the_marker_rules_are_enforced(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("intro\n<!-- doc-check: continue -->\n```python\nx = 1\n```\n")
    with pytest.raises(ValueError, match="needs a block before it"):
        blocks(page)
    page.write_text("<!-- doc-check: maybe -->\n```python\nx = 1\n```\n")
    with pytest.raises(ValueError, match="unknown doc-check marker"):
        blocks(page)
    page.write_text(
        "```python\nx = 1\n```\n<!-- doc-check: continue -->\n```python\nprint(x)\n```\n"
        "<!-- doc-check: typecheck -->\n```python\ny = 2\n```\n"
    )
    found = blocks(page)
    assert [(b.code, b.run) for b in found] == [("x = 1\nprint(x)\n", True), ("y = 2\n", False)]
    page.write_text("<!-- doc-check: fragment -->\n```python\nawait session.close()\n```\n")
    (fragment,) = blocks(page)
    assert fragment.fragment and not fragment.run


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.fragment], ids=lambda b: b.name)
def test_fragment_compiles_inside_an_async_function(block: Block) -> None:
    body = "".join(f"    {line}\n" if line.strip() else "\n" for line in block.code.splitlines())
    compile(f"async def fragment() -> None:\n{body}    pass\n", block.name, "exec")


def test_every_block_passes_mypy_strict(tmp_path: Path) -> None:
    from mypy import api

    files = []
    for index, block in enumerate(BLOCKS):
        if block.fragment:
            continue
        target = tmp_path / f"block_{index}.py"
        target.write_text(block.code)
        files.append(str(target))
    if not files:
        pytest.skip("no code blocks")
    out, err, status = api.run(["--strict", "--no-incremental", *files])
    named = out
    for index, block in enumerate(BLOCKS):
        named = named.replace(str(tmp_path / f"block_{index}.py"), block.name)
    assert status == 0, named + err


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.run], ids=lambda b: b.name)
def test_block_runs_against_the_local_server(block: Block, tmp_path: Path) -> None:
    script = tmp_path / "program.py"
    script.write_text(block.code)
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{block.name} failed:\n{done.stdout}\n{done.stderr}"
