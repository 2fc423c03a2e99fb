"""The public types check under mypy --strict: matching a decoded event narrows it."""

from __future__ import annotations

from pathlib import Path

from mypy import api

HERE = Path(__file__).parent


def test_decoded_events_narrow_under_mypy_strict() -> None:
    out, err, status = api.run(
        ["--strict", "--warn-unused-ignores", "--no-incremental", str(HERE / "typing" / "narrowing.py")]
    )
    assert status == 0, out + err


def test_mypy_catches_a_wrong_type(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from typing import assert_type\n"
        "from realtime_sdk import _generated as gen\n"
        "from realtime_sdk.events import decode\n"
        "e = decode(b'')\n"
        "if isinstance(e, gen.ResponseOutputAudioDelta):\n"
        "    assert_type(e.delta, str)\n"
        "def g(e: gen.ServerEvent) -> None:\n"
        "    if e.type == 'response.output_text.delta':\n"
        "        assert_type(e, gen.ResponseOutputAudioDelta)\n"
    )
    out, _, status = api.run(["--strict", "--no-incremental", str(bad)])
    assert status == 1 and out.count("[assert-type]") == 2, out
