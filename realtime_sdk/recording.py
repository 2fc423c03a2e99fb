"""Cassettes: every websocket frame of a Realtime session, both ways, as versioned JSONL.

A cassette is one header line, then one line per frame::

    {"cassette": "realtime-sdk", "version": 1, "sdk": "0.1.0", "model": "gpt-realtime",
     "endpoint": "openai", "audio": "kept"}
    {"dir": "sent", "t": 0.0123, "frame": {"type": "session.update", ...}}
    {"dir": "received", "t": 0.0456, "frame": {"type": "session.created", ...}}

``dir`` is the client's point of view (``sent`` by the client, ``received`` from the server), ``t`` the
seconds since the recording began.  A frame that is not a JSON object is kept as ``"text"`` (or
``"binary"``, base64).  Only frames are written: never the API key, the URL's query or any header.

With ``keep_audio=False`` the base64 audio inside frames (``input_audio_buffer.append``, audio content
of items, ``response.output_audio.delta``) is replaced by ``""`` and the record says how many bytes it
had in ``"elided"``: a cassette of a long spoken session shrinks to its events, and it still replays
(a replay then serves silence of the recorded length).

This module is plain synchronous code; a session calls :meth:`Recorder.sent` / :meth:`Recorder.received`
for each frame it writes or reads.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from .errors import ConfigurationError

FORMAT = "realtime-sdk"
VERSION = 1
Direction = Literal["sent", "received"]
_DIRECTIONS = ("sent", "received")


class CassetteError(ConfigurationError):
    """A cassette file that cannot be read: not a cassette, a newer version, or a malformed line."""


def _sdk_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # ~5 ms: only when a cassette opens

    try:
        return version("realtime-sdk")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, slots=True)
class Header:
    """The first line of a cassette: format version, SDK version, model, endpoint kind, audio kept or not."""

    version: int
    sdk: str
    model: str | None
    endpoint: str | None
    audio: Literal["kept", "elided"]


@dataclass(slots=True)
class Record:
    """One frame: ``frame`` is the decoded JSON object, or None when the frame was not one (see ``raw``)."""

    direction: Direction
    t: float
    frame: dict[str, Any] | None
    raw: str | bytes | None = None
    elided: int = 0
    """Bytes of audio removed from this frame (0: none)."""

    @property
    def type(self) -> str | None:
        value = self.frame.get("type") if self.frame is not None else None
        return value if isinstance(value, str) else None


@dataclass(slots=True)
class Cassette:
    """A cassette read back: its header and its records in recorded order."""

    header: Header
    records: list[Record] = field(default_factory=list)

    def sent(self) -> list[Record]:
        """The records of frames the client sent, in order."""
        return [r for r in self.records if r.direction == "sent"]

    def received(self) -> list[Record]:
        """The records of frames the client received, in order."""
        return [r for r in self.records if r.direction == "received"]


def _elide(frame: dict[str, Any]) -> int:
    """Blank the audio of ``frame`` in place; returns the number of audio bytes removed."""
    removed = 0

    def blank(holder: dict[str, Any], key: str) -> None:
        nonlocal removed
        value = holder.get(key)
        if isinstance(value, str) and value:
            removed += len(value) * 3 // 4 - value.endswith("=") - value.endswith("==")
            holder[key] = ""

    kind = frame.get("type")
    if kind == "input_audio_buffer.append":
        blank(frame, "audio")
    elif kind == "response.output_audio.delta":
        blank(frame, "delta")
    items: list[Any] = [frame.get("item")]
    response = frame.get("response")
    if isinstance(response, dict):
        items.extend(response.get("output") or ())
    for item in items:
        if isinstance(item, dict):
            for part in item.get("content") or ():
                if isinstance(part, dict):
                    blank(part, "audio")
    return removed


class Recorder:
    """Writes a cassette as frames go by::

        recorder = Recorder("session.jsonl", model="gpt-realtime", endpoint="openai")
        recorder.sent(frame_text)        # every frame the client writes
        recorder.received(frame_text)    # every frame it reads
        recorder.close()

    ``t`` defaults to the time since the recorder was made (monotonic clock); pass it to record a
    timeline of your own.  Lines are flushed as written, so a crashed session leaves a readable prefix.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        model: str | None = None,
        endpoint: str | None = None,
        keep_audio: bool = True,
    ) -> None:
        self.path = Path(path)
        self.keep_audio = keep_audio
        self._start = time.monotonic()
        try:
            self._file: IO[str] | None = self.path.open("w", encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot write the cassette {self.path}: {exc}") from exc
        header = {
            "cassette": FORMAT,
            "version": VERSION,
            "sdk": _sdk_version(),
            "model": model,
            "endpoint": endpoint,
            "audio": "kept" if keep_audio else "elided",
        }
        self._write(header)

    def sent(self, frame: str | bytes, t: float | None = None) -> None:
        """Record a frame the client is sending (``t``: seconds since the recording started; now when omitted)."""
        self._record("sent", frame, t)

    def received(self, frame: str | bytes, t: float | None = None) -> None:
        """Record a frame the client received (``t`` as for ``sent``)."""
        self._record("received", frame, t)

    def close(self) -> None:
        """Flush and close the file; later frames are dropped without error."""
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def closed(self) -> bool:
        return self._file is None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _record(self, direction: Direction, frame: str | bytes, t: float | None) -> None:
        if self._file is None:
            return  # frames racing a close are dropped rather than raising inside the session
        offset = time.monotonic() - self._start if t is None else t
        line: dict[str, Any] = {"dir": direction, "t": round(offset, 6)}
        decoded: Any = None
        if isinstance(frame, str) or _is_utf8(frame):
            text = frame if isinstance(frame, str) else frame.decode()
            try:
                decoded = json.loads(text)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                if not self.keep_audio:
                    removed = _elide(decoded)
                    if removed:
                        line["elided"] = removed
                line["frame"] = decoded
            else:
                line["text"] = text
        else:
            line["binary"] = base64.b64encode(frame).decode()
        self._write(line)

    def _write(self, obj: dict[str, Any]) -> None:
        assert self._file is not None
        self._file.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._file.flush()


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


def _lines(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CassetteError(f"cannot read the cassette {path}: {exc}") from exc
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as exc:
            raise CassetteError(f"{path}:{number}: not JSON ({exc})") from exc


def read_cassette(path: str | Path) -> Cassette:
    """Read a cassette written by :class:`Recorder` (raises :class:`CassetteError` when it is not one)."""
    path = Path(path)
    lines = _lines(path)
    first = next(lines, None)
    if first is None or not isinstance(first[1], dict) or first[1].get("cassette") != FORMAT:
        raise CassetteError(f"{path} is not a realtime-sdk cassette (no header line)")
    head = first[1]
    if not isinstance(head.get("version"), int) or head["version"] > VERSION:
        raise CassetteError(
            f"{path}: cassette version {head.get('version')!r}; this SDK reads up to {VERSION}"
        )
    header = Header(
        version=head["version"],
        sdk=str(head.get("sdk")),
        model=head.get("model"),
        endpoint=head.get("endpoint"),
        audio="elided" if head.get("audio") == "elided" else "kept",
    )
    cassette = Cassette(header)
    for number, obj in lines:
        if (
            not isinstance(obj, dict)
            or obj.get("dir") not in _DIRECTIONS
            or not isinstance(obj.get("t"), int | float)
        ):
            raise CassetteError(f"{path}:{number}: not a frame record")
        frame = obj.get("frame")
        raw: str | bytes | None = None
        if not isinstance(frame, dict):
            frame = None
            if isinstance(obj.get("text"), str):
                raw = obj["text"]
            elif isinstance(obj.get("binary"), str):
                raw = base64.b64decode(obj["binary"])
        elided = obj.get("elided")
        cassette.records.append(
            Record(obj["dir"], float(obj["t"]), frame, raw, elided if isinstance(elided, int) else 0)
        )
    return cassette
