"""``import realtime_sdk`` stays light: numpy and soxr load when audio is first converted, the local server
and the command line when used.

Two views: a fresh interpreter's ``sys.modules`` after ``import realtime_sdk`` (what really loads), and the
source's import graph (``ast``, module-level imports outside ``if TYPE_CHECKING:``), which names the module
that pulls a heavy dependency in.  The image modules tell an array by ``sys.modules``' numpy: an app that
holds an array has imported numpy itself.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from test_import_graph import MODULES

HEAVY = ("numpy", "soxr")
NOT_AT_IMPORT = (
    "numpy",
    "soxr",
    "realtime_sdk.server",
    "realtime_sdk.cli",
    "realtime_sdk.audio._convert",
    "realtime_sdk.audio._resample",
    "realtime_sdk.audio._formats",
    "realtime_sdk.audio._g711",
    "realtime_sdk.audio._wav",
)


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(module: str) -> set[str]:
    """What ``module`` imports when it is executed: module level, not under ``if TYPE_CHECKING:``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    stack: list[ast.AST] = list(ast.parse(path.read_text()).body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rsplit(".", 1)[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else (node.module or "")
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES)
        else:
            stack.extend(ast.iter_child_nodes(node))
    # Importing a.b.c runs a and a.b first.
    return found | {t.rsplit(".", i)[0] for t in found for i in range(1, t.count(".") + 1)}


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        if module in seen or module not in MODULES:
            continue
        seen.add(module)
        todo.extend(runtime_imports(module))
    return seen


def test_import_realtime_sdk_loads_no_converter_resampler_server_or_cli() -> None:
    loaded = loaded_after("import realtime_sdk")
    assert "realtime_sdk.session" in loaded  # the check sees what did load
    assert sorted(m for m in loaded if m.startswith(NOT_AT_IMPORT)) == []


OTHER_KINDS = (
    "realtime_sdk.session._transcription",
    "realtime_sdk.session._transcript_state",
    "realtime_sdk.session._translation",
    "realtime_sdk.session._client_secrets",
    "realtime_sdk.recording",
    "importlib.metadata",
)


def test_a_conversation_session_loads_no_other_session_kind_secrets_or_recording() -> None:
    loaded = loaded_after("from realtime_sdk import RealtimeSession")
    assert "realtime_sdk.session._session" in loaded
    assert sorted(m for m in loaded if m.startswith(OTHER_KINDS)) == []


def test_the_other_session_kinds_load_on_first_use_from_either_package() -> None:
    loaded = loaded_after(
        "import realtime_sdk, realtime_sdk.session as session\n"
        "from realtime_sdk import TranscriptionSession, create_translation_client_secret\n"
        "assert realtime_sdk.TranscriptionSession is session.TranscriptionSession\n"
        "assert create_translation_client_secret is session.create_translation_client_secret\n"
        "missing = [n for n in realtime_sdk.__all__ + session.__all__\n"
        "           if n not in dir(realtime_sdk) and n not in dir(session)]\n"
        "assert missing == [], missing\n"
        "ns = {}\n"
        "exec('from realtime_sdk import *', ns)\n"
        "assert set(realtime_sdk.__all__) <= set(ns), set(realtime_sdk.__all__) - set(ns)\n"
    )
    assert {"realtime_sdk.session._transcription", "realtime_sdk.session._translation"} <= loaded


def test_no_module_reached_at_import_pulls_numpy_or_soxr_in() -> None:
    at_import = reachable("realtime_sdk")
    assert "realtime_sdk.session._session" in at_import
    pulling = {m for m in at_import if any(t.split(".")[0] in HEAVY for t in runtime_imports(m))}
    assert pulling == set()


def test_the_graph_sees_a_heavy_import_and_skips_type_checking_blocks() -> None:
    assert "numpy" in runtime_imports("realtime_sdk.audio._formats")
    assert "realtime_sdk.audio._convert" not in runtime_imports("realtime_sdk.session._audio_send")
    assert "realtime_sdk.audio._resample" in reachable("realtime_sdk.audio._convert")
    # The public package names the numpy modules only under TYPE_CHECKING and loads them on first use.
    assert "realtime_sdk.audio._formats" not in reachable("realtime_sdk.audio")


def test_the_audio_package_loads_numpy_on_the_first_numpy_name() -> None:
    loaded = loaded_after(
        "import sys\n"
        "from realtime_sdk.audio import Chunker, bytes_per_ms\n"
        "assert 'numpy' not in sys.modules\n"
        "from realtime_sdk.audio import InputConverter\n"
        "import realtime_sdk.audio as audio\n"
        "assert audio.InputConverter is InputConverter\n"
    )
    assert {"numpy", "realtime_sdk.audio._convert"} <= loaded


def test_every_public_audio_name_is_listed_and_star_imports() -> None:
    names = loaded_after(
        "import realtime_sdk.audio as audio\n"
        "missing = [n for n in audio.__all__ if n not in dir(audio)]\n"
        "assert missing == [], missing\n"
        "ns = {}\n"
        "exec('from realtime_sdk.audio import *', ns)\n"
        "assert set(audio.__all__) <= set(ns), set(audio.__all__) - set(ns)\n"
    )
    assert "numpy" in names


def after_sending(*steps: str) -> set[str]:
    """The modules loaded once a fresh interpreter ran ``steps`` on an ``AudioSender`` ``s`` (``sent``)."""
    body = "".join(f"    {step}\n" for step in steps)
    return loaded_after(
        "import realtime_sdk\n"
        "from realtime_sdk.session._audio_send import AudioSender\n"
        "import asyncio\n"
        "async def main():\n"
        "    sent = []\n"
        "    async def append(chunk): sent.append(chunk)\n"
        "    s = AudioSender(append, lambda: 'audio/pcm')\n"
        f"{body}"
        "asyncio.run(main())\n"
    )


def test_converting_audio_loads_numpy_and_soxr_then() -> None:
    loaded = after_sending("await s.send(bytes(3200), 16000, 1, None)")
    assert {"numpy", "soxr", "realtime_sdk.audio._convert"} <= loaded


def test_audio_at_the_session_format_loads_no_resampler() -> None:
    loaded = after_sending(
        "await s.send(bytes(1921), 24000, 1, None)",
        "await s.send(bytes(1919), 24000, 1, None)",
        "await s.flush()",
        "assert b''.join(sent) == bytes(3840), len(b''.join(sent))",
    )
    assert {"soxr", "realtime_sdk.audio._convert", "realtime_sdk.audio._resample"} & loaded == set()
