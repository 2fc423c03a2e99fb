"""The assistant's audio on its way to a player: converted streams, interruption markers, a playback clock.

Theory of operation
-------------------
``session.output_audio(sample_rate=48000)`` registers an :class:`OutputAudioStream`.  The reader hands
every ``response.output_audio.delta`` to every registered stream; each stream converts it with one
:class:`~realtime_sdk.audio.OutputConverter` per (item, content index) — so two items never share a
resampler's held-back tail — and queues an :class:`OutputAudioChunk`.  ``response.output_audio.done``
flushes that part's converter (the tail, some tens of ms at HQ, comes out as one last chunk).
The reader puts chunks straight into the stream's queue, in its own step; the app's task waiting on
the stream is woken through one bare future (no shield, no extra task), once per burst of deltas.

The queue never pushes back on the reader: the server sends audio faster than real time and a player
consumes it at real time, so waiting for room would stall the reader for seconds and with it
``speech_started``, the very event that must interrupt playback at once.  It is bounded in audio seconds
instead (``max_buffered_seconds``, 60 by default, far more than a reply): when a chunk would take it past
the bound, the oldest chunks unread go (``dropped_seconds`` counts them, and a warning is logged once per
stream).  Audio that old was never going to be heard in time; a server sending audio far faster than real
time, or an app that stopped reading, cannot make the client hold it all.

On an interruption every stream drops what it still holds (the app never took it, so nobody heard it),
resets its converters and queues one :class:`AudioInterrupted` marker: when the app reads it, it must flush
its own player buffer.  Audio still arriving for the interrupted response is dropped before it gets here.
Reading the marker flushes the stream's tracker once more: bytes the player reported between the
interruption and the app's flush were of the cut audio and must not be credited to the next reply.

Playback clock.  A :class:`PlaybackTracker` learns, in the app's own format, which bytes went to the
player (``queued``; a stream does that by itself for every chunk it yields) and how many the player has
consumed (``played``, callable from any thread, e.g. a sound card callback).  Bytes become milliseconds
with the app format's bytes per ms; a part's position in ms is the same whatever the rate, so it goes
straight to ``Conversation.mark_played``.  The tracker reports only once the app called ``played``: an
app that never reports leaves the conversation on its wall-clock estimate.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from typing import TYPE_CHECKING

import msgspec

from ..audio._bytes import PcmPassThrough, same_pcm
from ..audio._sizes import (
    ENCODING_SAMPLE_BYTES,
    AudioFormat,
    Encoding,
    Quality,
    check_channels,
    check_encoding,
    check_quality,
    check_rate,
    default_sample_rate,
)
from ..errors import AudioFormatError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..audio._convert import OutputConverter

__all__ = ["AudioInterrupted", "OutputAudioChunk", "OutputAudioStream", "PlaybackTracker"]

log = logging.getLogger("realtime_sdk")

DEFAULT_MAX_BUFFERED_SECONDS = 60.0


class OutputAudioChunk(msgspec.Struct, frozen=True):
    """A piece of the assistant's audio in the stream's format (rate, encoding, channels)."""

    response_id: str
    item_id: str
    content_index: int
    data: bytes


class AudioInterrupted(msgspec.Struct, frozen=True):
    """Playback was interrupted: flush the player; the audio after this point was cut.

    ``item_id`` / ``content_index`` name the part that was playing and ``audio_end_ms`` how much of it was
    heard (the ``audio_end_ms`` of the truncate sent; 0 when it was dropped unheard).  All three are
    ``None`` when a response was interrupted before any of its audio was playing.
    """

    response_id: str | None
    item_id: str | None
    content_index: int | None
    audio_end_ms: int | None


def bytes_per_ms_of(sample_rate: int, encoding: Encoding, channels: int) -> float:
    """Bytes per millisecond of application audio (``sample_rate`` Hz, ``encoding``, ``channels``)."""
    if encoding not in ENCODING_SAMPLE_BYTES:
        raise AudioFormatError(f"unknown encoding {encoding!r}")
    if sample_rate <= 0 or channels <= 0:
        raise AudioFormatError("sample_rate and channels must be positive")
    return sample_rate * ENCODING_SAMPLE_BYTES[encoding] * channels / 1000


class _Pending(msgspec.Struct):
    key: tuple[str, int]
    waiting: int
    """Bytes of this part handed to the player and not yet played."""


class PlaybackTracker:
    """Counts the bytes a player consumed and tells the conversation how much of each part was heard.

    ``queued(item_id, nbytes)`` when bytes of a part go to the player (in order); ``played(nbytes)`` as the
    player consumes them (thread-safe); ``flush()`` when the player's buffer was thrown away.  Formats are
    the app's: ``sample_rate``, ``encoding`` and ``channels`` say how many bytes a millisecond takes
    (``sample_rate`` defaults to 8000 for G.711 encodings, else 24000).
    """

    def __init__(
        self,
        sample_rate: int | None = None,
        encoding: Encoding = "pcm16",
        channels: int = 1,
        *,
        report: Callable[[str, float, int], None] | None = None,
    ) -> None:
        self.bytes_per_ms = bytes_per_ms_of(default_sample_rate(sample_rate, encoding), encoding, channels)
        self._report = report
        self._lock = threading.Lock()
        self._consumed = 0  # played() bytes not yet attributed to parts
        self._used = False
        self._queue: deque[_Pending] = deque()
        self._played: dict[tuple[str, int], int] = {}

    def queued(self, item_id: str, nbytes: int, content_index: int = 0) -> None:
        """``nbytes`` of this part went to the player, after everything queued before."""
        if nbytes <= 0:
            return
        key = (item_id, content_index)
        self._played.setdefault(key, 0)
        last = self._queue[-1] if self._queue else None
        if last is not None and last.key == key:
            last.waiting += nbytes
        else:
            self._queue.append(_Pending(key, nbytes))

    def played(self, nbytes: int) -> None:
        """The player consumed ``nbytes`` more.  Callable from any thread."""
        with self._lock:
            self._consumed += max(0, int(nbytes))
            self._used = True

    def flush(self) -> None:
        """The player dropped everything it held (after an :class:`AudioInterrupted`)."""
        with self._lock:
            self._consumed = 0
        self._queue.clear()

    def position_ms(self, item_id: str, content_index: int = 0) -> float:
        """Milliseconds of this part the player has consumed."""
        self.sync()
        return self._played.get((item_id, content_index), 0) / self.bytes_per_ms

    def sync(self) -> None:
        """Attribute consumed bytes to parts and report positions (event loop thread only)."""
        with self._lock:
            consumed, self._consumed = self._consumed, 0
            used = self._used
        touched: dict[tuple[str, int], None] = {}
        while consumed > 0 and self._queue:
            entry = self._queue[0]
            take = min(entry.waiting, consumed)
            self._played[entry.key] = self._played.get(entry.key, 0) + take
            consumed -= take
            touched[entry.key] = None
            entry.waiting -= take
            if not entry.waiting:
                self._queue.popleft()
        if used and touched and self._report is not None:
            for item_id, index in touched:  # in play order: the conversation marks earlier parts played
                self._report(item_id, self._played[(item_id, index)] / self.bytes_per_ms, index)


class OutputAudioStream:
    """``async for chunk in session.output_audio(...)``: :class:`OutputAudioChunk` and
    :class:`AudioInterrupted`, in order.  Ends with the session (raising its ``ConnectionClosed``) or when
    closed (``close()``, or leaving ``async with``).  ``tracker`` is its :class:`PlaybackTracker`."""

    def __init__(
        self,
        sample_rate: int,
        encoding: Encoding,
        channels: int,
        quality: Quality,
        *,
        report: Callable[[str, float, int], None] | None,
        on_close: Callable[[OutputAudioStream], None],
        max_buffered_seconds: float = DEFAULT_MAX_BUFFERED_SECONDS,
    ) -> None:
        # Validate now, not at the first delta inside the reader.
        check_rate(sample_rate, "out_rate")
        check_encoding(encoding, "out_encoding")
        check_channels(channels)
        check_quality(quality)
        self._same = same_pcm(encoding, "audio/pcm", sample_rate, channels)
        if not self._same:
            # Conversion needs numpy and soxr: load them in the app's call, not in the reader at the
            # first delta.  Audio already at the session's format never loads them.
            from ..audio._convert import OutputConverter  # noqa: F401
        if not max_buffered_seconds > 0:
            raise AudioFormatError(f"max_buffered_seconds must be positive, not {max_buffered_seconds!r}")
        self.max_buffered_seconds = float(max_buffered_seconds)
        """The most unread audio the stream holds; beyond it the oldest unread chunks are dropped."""
        self.dropped_seconds = 0.0
        """Audio dropped because nobody read it in time (see ``max_buffered_seconds``)."""
        self._bytes_per_second = bytes_per_ms_of(sample_rate, encoding, channels) * 1000.0
        self._buffered = 0  # bytes of audio in the queue
        self.sample_rate = sample_rate
        self.encoding: Encoding = encoding
        self.channels = channels
        self.quality: Quality = quality
        self.tracker = PlaybackTracker(sample_rate, encoding, channels, report=report)
        self._on_close = on_close
        self._queue: deque[OutputAudioChunk | AudioInterrupted] = deque()
        self._converters: dict[tuple[str, str, int], OutputConverter | PcmPassThrough] = {}
        self._finished = False
        self._exc: BaseException | None = None
        self._wake: asyncio.Future[None] | None = None

    # -- the app's side ----------------------------------------------------------------------------

    def __aiter__(self) -> OutputAudioStream:
        return self

    async def __anext__(self) -> OutputAudioChunk | AudioInterrupted:
        while not self._queue:
            if self._finished:
                if self._exc is not None:
                    raise self._exc
                raise StopAsyncIteration
            wake = self._wake
            if wake is None or wake.done():
                wake = self._wake = asyncio.get_running_loop().create_future()
            try:
                # Awaited bare, not through asyncio.shield: the shield's second future and callbacks
                # cost more than the rest of a delta's trip through the stream.
                await wake
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is None or task.cancelling():
                    raise
                # Another reader of this stream was cancelled while waiting on the same future: not us.
        item = self._queue.popleft()
        self._handed_out(item)
        return item

    async def __aenter__(self) -> OutputAudioStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop receiving audio; iteration ends once what is queued is read."""
        self._end(None)
        self._on_close(self)

    def read_nowait(self) -> list[OutputAudioChunk | AudioInterrupted]:
        """Everything queued now, without waiting (for players that poll)."""
        items = []
        while self._queue:
            item = self._queue.popleft()
            self._handed_out(item)
            items.append(item)
        return items

    def _handed_out(self, item: OutputAudioChunk | AudioInterrupted) -> None:
        if isinstance(item, OutputAudioChunk):
            self._buffered -= len(item.data)
            self.tracker.queued(item.item_id, len(item.data), item.content_index)
        else:
            # The app flushes its player now.  What the player consumed between the interruption (when the
            # tracker was flushed) and now was of the cut audio: it must not count for the next reply.
            self.tracker.flush()

    # -- the reader's side -------------------------------------------------------------------------

    def _audio(
        self, response_id: str, item_id: str, content_index: int, wire: AudioFormat, data: bytes
    ) -> None:
        if self._finished:
            return
        key = (response_id, item_id, content_index)
        converter = self._converters.get(key)
        if converter is None or converter.wire_format != wire:
            converter = self._converters[key] = self._converter(wire)
        self._put(OutputAudioChunk(response_id, item_id, content_index, converter.convert(data)))

    def _converter(self, wire: AudioFormat) -> OutputConverter | PcmPassThrough:
        if self._same and wire == "audio/pcm":
            return PcmPassThrough()
        from ..audio._convert import OutputConverter

        return OutputConverter(wire, self.sample_rate, self.encoding, self.channels, quality=self.quality)

    def _audio_done(
        self, response_id: str, item_id: str | None = None, content_index: int | None = None
    ) -> None:
        """End of a part (or, with only ``response_id``, of every part of the response): flush."""
        for key in [k for k in self._converters if k[0] == response_id]:
            if item_id is not None and (key[1], key[2]) != (item_id, content_index):
                continue
            tail = self._converters.pop(key).flush()
            if not self._finished:
                self._put(OutputAudioChunk(key[0], key[1], key[2], tail))

    def _interrupted(self, marker: AudioInterrupted) -> None:
        self._converters.clear()
        self._queue = deque(i for i in self._queue if isinstance(i, AudioInterrupted))
        self._buffered = 0
        self.tracker.flush()
        if not self._finished:
            self._queue.append(marker)
            self._notify()

    def _end(self, exc: BaseException | None) -> None:
        if not self._finished:
            self._finished = True
            self._exc = exc
            self._converters.clear()
            self._notify()

    def _put(self, item: OutputAudioChunk) -> None:
        if item.data:
            self._queue.append(item)
            self._buffered += len(item.data)
            limit = self.max_buffered_seconds * self._bytes_per_second
            if self._buffered > limit:
                self._drop_oldest(limit)
            self._notify()

    def _drop_oldest(self, limit: float) -> None:
        if self.dropped_seconds == 0.0:
            log.warning(
                "output audio: more than %.0f s unread; dropping the oldest (max_buffered_seconds)",
                self.max_buffered_seconds,
            )
        kept: deque[OutputAudioChunk | AudioInterrupted] = deque()
        for queued in self._queue:  # oldest first; markers stay, in order
            if self._buffered > limit and isinstance(queued, OutputAudioChunk):
                self._buffered -= len(queued.data)
                self.dropped_seconds += len(queued.data) / self._bytes_per_second
            else:
                kept.append(queued)
        self._queue = kept

    def _notify(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)
