"""Audio as bytes, without numpy: pass-through when the formats already match, and cutting into chunks.

Theory of operation
-------------------
Most voice apps already have 24 kHz mono PCM16, the ``audio/pcm`` wire format itself.  Converting it
(int16 to float32 and back, four array passes a chunk) is the identity and was the largest CPU cost of a
session streaming audio.  :class:`PcmPassThrough` forwards such audio as whole samples instead: bytes may
be cut anywhere, an odd byte at the end of a chunk waits for the next one (``pending_bytes``), and
``flush``/``reset`` drop it, as the converters drop a partial frame.  It has the converters' interface
(``convert``, ``flush``, ``reset``, ``pending_bytes``, ``wire_format``), so the session's send path and its
output streams use it in their place when the formats match; ``InputConverter`` and ``OutputConverter``
use it too.

Nothing here imports numpy: a session whose audio is already at its format (or that has no audio) never
loads numpy or soxr.  An int16 array (which means numpy is loaded already) passes through as its bytes; a
float array at 24 kHz still needs encoding to int16, and is handed to an ``InputConverter``.

:class:`Chunker` cuts a byte stream into chunks of exactly one size (an append of ``chunk_ms``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final, Protocol

from ..errors import AudioFormatError
from ._sizes import API_SAMPLE_RATE, AudioFormat, Encoding, as_byte_view, chunk_bytes_for

if TYPE_CHECKING:
    from ._formats import AudioChunk

__all__ = ["Chunker", "PcmPassThrough", "iter_chunks", "same_pcm"]

_PCM_WIRE: Final[AudioFormat] = "audio/pcm"


class _Encoder(Protocol):  # an InputConverter (named structurally: _convert imports this module)
    def _convert(self, chunk: AudioChunk) -> bytes: ...


def same_pcm(encoding: Encoding, wire_format: AudioFormat, rate: int, channels: int) -> bool:
    """Application audio that already is the wire's PCM16 (24 kHz mono): samples pass unchanged."""
    if type(rate) is not int or type(channels) is not int:  # 24000.0 or True: let the converter refuse it
        return False
    return encoding == "pcm16" and wire_format == _PCM_WIRE and rate == API_SAMPLE_RATE and channels == 1


class PcmPassThrough:
    """24 kHz mono PCM16 to or from an ``audio/pcm`` wire, as whole samples, untouched."""

    __slots__ = ("_carry", "_floats")

    wire_format: Final[AudioFormat] = _PCM_WIRE
    passthrough: Final = True

    def __init__(self) -> None:
        self._carry = b""
        self._floats: _Encoder | None = None

    @property
    def pending_bytes(self) -> int:
        """Bytes of an incomplete sample, held until the rest of it arrives."""
        return len(self._carry)

    def convert(self, chunk: AudioChunk) -> bytes:
        """Whole samples of this chunk (and of the odd byte held from the previous one)."""
        if isinstance(chunk, bytes | bytearray | memoryview):
            if type(chunk) is not bytes:
                chunk = as_byte_view(chunk).tobytes()  # a copy: the caller may reuse its buffer
            carry = self._carry
            if not carry and not len(chunk) % 2:
                return chunk
            data = carry + chunk
            usable = len(data) - len(data) % 2
            self._carry = data[usable:]
            return data[:usable]
        np = sys.modules.get("numpy")  # an array means numpy is loaded; anything else is refused
        if np is None or not isinstance(chunk, np.ndarray):
            raise AudioFormatError(f"expected bytes or a numpy array, got {type(chunk).__name__}")
        if self._carry:
            raise AudioFormatError(
                "the previous byte chunk ended inside a frame; continue with bytes, or flush/reset first"
            )
        if chunk.dtype.kind != "i" or chunk.dtype.itemsize != 2:
            return self._encode(chunk)  # float samples at the wire's rate: encoded, nothing resampled
        if chunk.ndim == 2 and chunk.shape[1] != 1:
            raise AudioFormatError(
                f"expected a (frames, 1) array, got shape {chunk.shape} ({chunk.shape[1]} channels)"
            )
        if chunk.ndim not in (1, 2):
            raise AudioFormatError(
                f"expected a 1-D or 2-D (frames, channels) array, got {chunk.ndim}-D shape {chunk.shape}"
            )
        samples: bytes = chunk.astype("<i2", copy=False).tobytes()
        return samples

    def _encode(self, chunk: AudioChunk) -> bytes:
        if self._floats is None:
            from ._convert import InputConverter

            self._floats = InputConverter(_PCM_WIRE, API_SAMPLE_RATE)
        return self._floats._convert(chunk)

    def flush(self) -> bytes:
        """End of the stream: nothing is held back but a stray odd byte, which is dropped."""
        self._carry = b""
        return b""

    def reset(self) -> None:
        """Drop a held odd byte."""
        self._carry = b""


class Chunker:
    """Cut a byte stream into chunks of exactly ``chunk_bytes`` bytes, carrying the remainder over.

    ``Chunker.for_duration(20, "audio/pcm")`` makes 20 ms chunks (960 bytes). :meth:`push` returns the
    complete chunks; :meth:`flush` returns the (shorter, possibly empty) remainder and empties the buffer.
    """

    def __init__(self, chunk_bytes: int) -> None:
        if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, int) or chunk_bytes <= 0:
            raise AudioFormatError(f"chunk_bytes must be a positive integer, got {chunk_bytes!r}")
        self._size = chunk_bytes
        self._buffer = bytearray()

    @classmethod
    def for_duration(cls, ms: float, fmt: AudioFormat) -> Chunker:
        """A chunker for chunks of ``ms`` milliseconds of a wire format."""
        return cls(chunk_bytes_for(ms, fmt))

    @property
    def chunk_bytes(self) -> int:
        return self._size

    @property
    def pending(self) -> int:
        """Bytes waiting for a chunk to fill."""
        return len(self._buffer)

    def push(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Add bytes; return every chunk that is now complete (possibly none)."""
        if not self._buffer and len(data) == self._size and type(data) is bytes:
            return [data]  # exactly one chunk, nothing held: no copy
        self._buffer += data
        size = self._size
        whole = len(self._buffer) - len(self._buffer) % size
        if not whole:
            return []
        chunks = [bytes(self._buffer[i : i + size]) for i in range(0, whole, size)]
        del self._buffer[:whole]
        return chunks

    def flush(self) -> bytes:
        """Return what is left (shorter than a chunk, possibly empty) and empty the buffer."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        return rest

    def reset(self) -> None:
        """Drop what is buffered."""
        self._buffer.clear()


def iter_chunks(data: bytes | bytearray | memoryview, chunk_bytes: int) -> Iterator[bytes]:
    """Split a whole buffer into chunks of ``chunk_bytes`` bytes; the last may be shorter."""
    if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, int) or chunk_bytes <= 0:
        raise AudioFormatError(f"chunk_bytes must be a positive integer, got {chunk_bytes!r}")
    view = as_byte_view(data)
    return (bytes(view[start : start + chunk_bytes]) for start in range(0, len(view), chunk_bytes))
