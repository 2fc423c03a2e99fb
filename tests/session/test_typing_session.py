"""The session's public API checks under mypy --strict as a user would write it (tests/typing/session_api.py).

The snippet asserts the types of ``async for event in session`` after narrowing, of ``session.on(...)``
handlers and of ``handle.done()``; its ``type: ignore`` lines are mistakes mypy must keep catching.
"""

from __future__ import annotations

from pathlib import Path

from mypy import api

SNIPPET = Path(__file__).resolve().parent.parent / "typing" / "session_api.py"


def test_session_api_types_under_mypy_strict() -> None:
    out, err, status = api.run(["--strict", "--warn-unused-ignores", "--no-incremental", str(SNIPPET)])
    assert status == 0, out + err


def test_a_handler_for_the_wrong_event_is_an_error(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        SNIPPET.read_text().replace(
            "session.on(ResponseDone, text)  # type: ignore[arg-type]", "session.on(ResponseDone, text)"
        )
    )
    out, _, status = api.run(["--strict", "--no-incremental", str(wrong)])
    assert status == 1 and "[arg-type]" in out, out
