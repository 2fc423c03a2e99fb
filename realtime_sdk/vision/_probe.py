"""What an encoded image is, read from its bytes alone: the format (from the magic bytes) and the size.

A file name or a declared MIME type is never trusted: the bytes decide.  Only the headers are read, so
this needs no decoder and is shared by the client (to label a data URL) and the local server (to check
one and to count its tokens).  ``None`` means "not an image we know": the caller raises its own error.
"""

from __future__ import annotations

import struct

import msgspec

__all__ = ["ImageInfo", "probe"]


class ImageInfo(msgspec.Struct, frozen=True):
    """What the bytes of an image say about it: MIME type and size in pixels."""

    mime: str
    """``image/png``, ``image/jpeg``, ``image/webp`` or ``image/gif``."""
    width: int
    height: int


def probe(data: bytes) -> ImageInfo | None:
    """The format and pixel size of an encoded image, or ``None`` when the bytes are not one."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data)
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return _gif(data)
    return None


def _sized(mime: str, width: int, height: int) -> ImageInfo | None:
    return ImageInfo(mime, width, height) if width > 0 and height > 0 else None


def _png(data: bytes) -> ImageInfo | None:
    # The first chunk must be IHDR: length 13, then width and height as big-endian 32-bit integers.
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return _sized("image/png", width, height)


# Start-of-frame markers carry the size; C4 (Huffman tables), C8 (reserved) and CC (arithmetic
# coding conditioning) share the range but are not frames.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(data: bytes) -> ImageInfo | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2:
            return None
        if marker in _SOF:
            if i + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return _sized("image/jpeg", width, height)
        if marker in (0xD9, 0xDA):  # end of image, or entropy-coded data before any frame header
            return None
        i += 2 + length
    return None


def _webp(data: bytes) -> ImageInfo | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return _sized("image/webp", width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return _sized("image/webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return _sized("image/webp", width, height)
    return None


def _gif(data: bytes) -> ImageInfo | None:
    if len(data) < 10:
        return None
    width, height = struct.unpack("<HH", data[6:10])
    return _sized("image/gif", width, height)
