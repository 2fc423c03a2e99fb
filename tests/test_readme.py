"""The README tells the truth: its set-up commands exist, its code parses and its imports resolve."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re

from support import ROOT

README = (ROOT / "README.md").read_text()


def python_blocks() -> list[str]:
    """The README's blocks and its guides' (the README links them; most code lives there)."""
    pages = [README, *(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))]
    return [b for page in pages for b in re.findall(r"```python\n(.*?)```", page, flags=re.S)]


def test_first_screen_gives_exactly_two_setup_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, flags=re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    assert README.index("make demo") < 1500  # on the first screen
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, flags=re.M) and re.search(r"^test:", makefile, flags=re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_python_blocks_parse_and_their_imports_exist() -> None:
    blocks = python_blocks()
    assert len(blocks) >= 5
    imported = 0
    for block in blocks:
        tree = ast.parse(block)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("realtime_sdk"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    # ``from realtime_sdk import calls`` names a submodule, which the import itself loads.
                    found = hasattr(module, alias.name) or importlib.util.find_spec(
                        f"{node.module}.{alias.name}"
                    )
                    assert found, f"{node.module}.{alias.name} named in the README"
                    imported += 1
    assert imported >= 10


def test_names_used_in_prose_exist() -> None:
    import realtime_sdk
    from realtime_sdk import server

    for name in (
        "AudioInterrupted",
        "ReconnectPolicy",
        "Reconnected",
        "ToolCallStarted",
        "UnknownServerEvent",
    ):
        assert hasattr(realtime_sdk, name), name
    for name in ("LocalRealtimeServer", "ScriptedModel", "Reply", "EchoModel"):
        assert hasattr(server, name), name
    for method in (
        "send_audio",
        "output_audio",
        "playback_tracker",
        "mark_played",
        "interrupt",
        "push_to_talk",
        "send_tool_result",
        "update_session",
        "retrieve_item",
        "azure",
        "attach",
    ):
        assert hasattr(realtime_sdk.RealtimeSession, method), method
