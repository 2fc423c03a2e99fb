"""Audio for the Realtime API: wire formats, G.711, resampling, conversion, chunking and WAV files.

Theory of operation
-------------------
The Realtime API carries audio in one of three *wire formats*, base64-encoded inside JSON events:

========================  ===========  ==============================  ============
wire format               sample rate  sample encoding                 bytes per ms
========================  ===========  ==============================  ============
``"audio/pcm"``           24 000 Hz    16-bit signed little-endian     48
``"audio/pcmu"``          8 000 Hz     G.711 μ-law, one byte a sample  8
``"audio/pcma"``          8 000 Hz     G.711 A-law, one byte a sample  8
========================  ===========  ==============================  ============

All wire audio is mono. Audio sent at the wrong rate is not rejected by the server, it is just played
or heard at the wrong speed, so every conversion here is explicit about rates.

Applications have audio in other shapes: 16 or 48 kHz microphones, stereo sound cards, float32 arrays
from numpy-based libraries, 8 kHz μ-law from a telephone line. Two streaming converters bridge the gap:

* :class:`InputConverter` turns application audio (PCM16 bytes, int16/float32/float64 arrays, 1-D or
  ``(frames, channels)``, μ-law or A-law bytes, any rate) into the session's wire format;
* :class:`OutputConverter` turns wire audio from ``response.output_audio.delta`` into what a speaker or
  a phone line wants.

Inside, every path runs through the same steps: decode to float32 samples in [-1, 1) (int16 is divided
by 32768, G.711 is expanded by table look-up), average the channels down to mono, resample with soxr
(:class:`Resampler`) and encode again (float to int16 multiplies by 32768, rounds to nearest with
``numpy.rint`` and clips; G.711 compresses by a vectorised segment search). Working in float32 matters:
soxr's int16 mode adds dither, so digital silence would come out as noise; in float32 silence stays
exactly zero. When nothing needs to change (μ-law at 8 kHz into an ``"audio/pcmu"`` session, 24 kHz mono
PCM16 to or from an ``"audio/pcm"`` session) the bytes pass through untouched, without a float pass.

Resampling is streaming: each :meth:`Resampler.process` call returns what is ready, and the filter holds
back some tens of milliseconds (numbers in :class:`Resampler`). Call ``flush()`` at the end of a stream
(for example when the user stops talking, before ``input_audio_buffer.commit``) to get the held-back
tail, and ``reset()`` to throw it away (for example when the assistant is interrupted). After ``flush``
the total output length is exactly ``round(frames_in * out_rate / in_rate)`` (halves round up), and
feeding the same audio in any chunking gives bit-identical output.

Byte streams may be cut anywhere: a partial sample or frame at the end of one chunk is carried over to
the next call. Bad input (unknown format, 0 Hz rate, a 3-D array, int32 samples, ...) raises
:class:`AudioFormatError`, a :class:`ValueError`, with a message saying what was wrong.

Everything here is plain synchronous computation without I/O, except :func:`read_wav` and
:func:`write_wav`. Converters hold state and are not thread-safe: use one per stream and direction.
A 20 ms chunk takes 10 to 30 µs to convert, so conversion can run inline on an asyncio event loop.

Where it lives
--------------
This package is the public face; the work is split by responsibility into private modules:
``_sizes`` (formats, sizes, argument checks; no numpy), ``_bytes`` (pass-through and chunking; no
numpy), ``_formats`` (sample representations), ``_g711`` (the codec), ``_resample``
(:class:`Resampler`), ``_convert`` (the converters) and ``_wav`` (WAV files).

The numpy-free names are imported with the package; the others load their module (and numpy, and soxr
for the resampler) the first time one of them is looked up, so that the session, which imports the
numpy-free modules at start-up, does not load numpy for a text session or audio at the session's
format.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes
from ..errors import AudioFormatError
from ._bytes import Chunker, iter_chunks
from ._sizes import (
    API_SAMPLE_RATE,
    AUDIO_FORMATS,
    ENCODINGS,
    G711_SAMPLE_RATE,
    MAX_CHANNELS,
    MAX_SAMPLE_RATE,
    MIN_SAMPLE_RATE,
    QUALITIES,
    AudioFormat,
    Encoding,
    Quality,
    SampleDType,
    bytes_per_ms,
    bytes_per_sample,
    bytes_to_ms,
    bytes_to_samples,
    chunk_bytes_for,
    ms_to_bytes,
    ms_to_samples,
    sample_rate_of,
    samples_to_bytes,
    samples_to_ms,
    silence,
)

if TYPE_CHECKING:
    from ._convert import InputConverter, OutputConverter, from_wire, to_wire
    from ._formats import AudioChunk
    from ._g711 import (
        ALAW_DECODE_TABLE,
        ULAW_DECODE_TABLE,
        alaw_decode,
        alaw_encode,
        ulaw_decode,
        ulaw_encode,
    )
    from ._resample import Resampler, resample
    from ._wav import WavSource, read_wav, sample_wav_path, write_wav

_LAZY: dict[str, str] = {
    "InputConverter": "_convert",
    "OutputConverter": "_convert",
    "from_wire": "_convert",
    "to_wire": "_convert",
    "AudioChunk": "_formats",
    "ALAW_DECODE_TABLE": "_g711",
    "ULAW_DECODE_TABLE": "_g711",
    "alaw_decode": "_g711",
    "alaw_encode": "_g711",
    "ulaw_decode": "_g711",
    "ulaw_encode": "_g711",
    "Resampler": "_resample",
    "resample": "_resample",
    "WavSource": "_wav",
    "read_wav": "_wav",
    "sample_wav_path": "_wav",
    "write_wav": "_wav",
}
"""The public names whose module needs numpy, and that module: loaded on first look-up."""


__getattr__, __dir__ = lazy_attributes(__name__, globals(), _LAZY)


__all__ = [
    "ALAW_DECODE_TABLE",
    "API_SAMPLE_RATE",
    "AUDIO_FORMATS",
    "ENCODINGS",
    "G711_SAMPLE_RATE",
    "MAX_CHANNELS",
    "MAX_SAMPLE_RATE",
    "MIN_SAMPLE_RATE",
    "QUALITIES",
    "ULAW_DECODE_TABLE",
    "AudioChunk",
    "AudioFormat",
    "AudioFormatError",
    "Chunker",
    "Encoding",
    "InputConverter",
    "OutputConverter",
    "Quality",
    "Resampler",
    "SampleDType",
    "WavSource",
    "alaw_decode",
    "alaw_encode",
    "bytes_per_ms",
    "bytes_per_sample",
    "bytes_to_ms",
    "bytes_to_samples",
    "chunk_bytes_for",
    "from_wire",
    "iter_chunks",
    "ms_to_bytes",
    "ms_to_samples",
    "read_wav",
    "resample",
    "sample_rate_of",
    "sample_wav_path",
    "samples_to_bytes",
    "samples_to_ms",
    "silence",
    "to_wire",
    "ulaw_decode",
    "ulaw_encode",
    "write_wav",
]
