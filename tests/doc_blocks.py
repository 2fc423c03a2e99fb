"""Code blocks of the README and the guides, as a reader copies them.

Every ```python block is a whole program. The line just before its fence may hold one marker:

- `<!-- doc-check: typecheck -->`: the block needs an API key or a sound device, so the suite checks it
  with `mypy --strict` only;
- `<!-- doc-check: continue -->`: the block continues the previous one (a guide building a program up
  step by step); the two are checked and run as one program;
- `<!-- doc-check: fragment -->`: a few lines showing one call inside a larger program (names such as
  `session` come from the surrounding text); the suite only checks that it compiles as the body of an
  async function, so a full program elsewhere on the page must run the same calls.

Every other block is checked with `mypy --strict` and run in a fresh interpreter against the local server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.M | re.S)
_MARKER = re.compile(r"<!--\s*doc-check:\s*([a-z-]+)\s*-->\s*$")


@dataclass
class Block:
    """One program made of one or more fenced blocks of a page."""

    page: Path
    line: int
    code: str
    run: bool
    fragment: bool = False

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    found = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [p for p in found if p.exists()]


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    out: list[Block] = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = _MARKER.search(before)
        kind = marker.group(1) if marker else "run"
        if kind not in {"run", "typecheck", "continue", "fragment"}:
            raise ValueError(f"{page}: unknown doc-check marker {kind!r}")
        line = text.count("\n", 0, match.start()) + 1
        if kind == "continue":
            if not out:
                raise ValueError(f"{page}:{line}: a continued block needs a block before it")
            out[-1].code += match.group(1)
            continue
        out.append(Block(page, line, match.group(1), run=kind == "run", fragment=kind == "fragment"))
    return out


def all_blocks() -> list[Block]:
    return [block for page in pages() for block in blocks(page)]
