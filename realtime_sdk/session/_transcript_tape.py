"""The input audio a transcription session may have to send again; no I/O.

Theory of operation
-------------------
When a connection is lost, the server forgets the items it had committed but not transcribed yet.  To
get their transcripts all the same, the client must still have their audio.  :class:`AudioTape` keeps
the wire audio appended on the current connection (``appended``), on the clock the server's times use:
every byte appended since the connection opened.

Where each item's audio lies on that clock:

- server VAD tells it: ``speech_started.audio_start_ms`` (prefix padding included) to
  ``speech_stopped.audio_end_ms``;
- a commit the client sent takes everything since the previous commit (or clear): the client notes the
  position when it sends ``input_audio_buffer.commit`` (``commit_sent``), and the acknowledgements come
  back in order.

An item's audio is dropped once its transcript is final (``done``), and the tape is trimmed to what an
unfinished item (or the uncommitted buffer) still needs; it never keeps more than ``limit_ms``, oldest
audio going first (such an item is then reported lost instead of sent again).  ``lost`` hands over the
audio of every unfinished item and starts a new, empty clock for the next connection.
"""

from __future__ import annotations

from collections import deque

__all__ = ["AudioTape"]


class AudioTape:
    def __init__(self, *, limit_ms: float = 600_000.0) -> None:
        self.limit_ms = limit_ms
        self._reset()

    def _reset(self) -> None:
        self._data = bytearray()
        self._base = 0
        """Byte position of ``_data[0]`` on the connection's clock."""
        self._bytes_per_ms = 48.0
        self._buffer_start = 0
        """Where the audio not committed yet begins."""
        self._commits: deque[int] = deque()
        self._speech: dict[str, list[int | None]] = {}
        self._ranges: dict[str, tuple[int, int]] = {}

    @property
    def position(self) -> int:
        return self._base + len(self._data)

    def appended(self, chunk: bytes, bytes_per_ms: float) -> None:
        self._bytes_per_ms = bytes_per_ms
        self._data += chunk
        self._trim()

    def commit_sent(self) -> None:
        self._commits.append(self.position)

    def commit_refused(self) -> None:
        """The last commit sent was refused (an empty buffer): no acknowledgement will take its place."""
        if self._commits:
            self._commits.pop()

    def speech(self, item_id: str, *, start_ms: int | None = None, end_ms: int | None = None) -> None:
        marks = self._speech.setdefault(item_id, [None, None])
        if start_ms is not None:
            marks[0] = self._at(start_ms)
        if end_ms is not None:
            marks[1] = self._at(end_ms)

    def committed(self, item_id: str) -> None:
        start, end = self._speech.pop(item_id, [None, None])
        if start is None or end is None:  # no VAD: the client's commit, in order
            end = self._commits.popleft() if self._commits else self.position
            start = self._buffer_start
        self._ranges[item_id] = (start, end)
        self._buffer_start = max(self._buffer_start, end)
        self._trim()

    def cleared(self) -> None:
        self._buffer_start = self.position
        self._commits.clear()
        self._trim()

    def done(self, item_id: str) -> None:
        self._ranges.pop(item_id, None)
        self._trim()

    def lost(self) -> dict[str, bytes | None]:
        """The audio of every committed item not done yet (``None`` when the tape no longer has all of
        it), by item id in commit order; then a fresh clock for the next connection."""
        audio: dict[str, bytes | None] = {}
        for item_id, (start, end) in self._ranges.items():
            if start < self._base or end > self.position:
                audio[item_id] = None
            else:
                audio[item_id] = bytes(self._data[start - self._base : end - self._base])
        self._reset()
        return audio

    # -- internals -----------------------------------------------------------------------------------

    def _at(self, ms: int) -> int:
        # Whole 16-bit samples for PCM (2 bytes); G.711 bytes are samples already.
        step = 2 if self._bytes_per_ms > 8 else 1
        return round(ms * self._bytes_per_ms / step) * step

    def _trim(self) -> None:
        keep = min([self._buffer_start, *(start for start, _ in self._ranges.values())])
        open_speech = [m[0] for m in self._speech.values() if m[0] is not None]
        keep = min([keep, *open_speech])
        cap = self.position - int(self.limit_ms * self._bytes_per_ms)
        cap -= cap % 2
        keep = max(keep, cap, self._base)
        if keep > self._base:
            del self._data[: keep - self._base]
            self._base = keep
