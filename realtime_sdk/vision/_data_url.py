"""``data:`` URLs, the only way the Realtime API takes an image: ``data:image/png;base64,<bytes>``.

Parsing returns ``None`` on anything malformed rather than raising, because the client and the local
server answer a bad URL differently (an ``ImageError`` here, an ``error`` event there).
"""

from __future__ import annotations

import base64
import binascii
import re

import msgspec

__all__ = ["DataUrl", "data_url", "decode_payload", "has_scheme", "split_data_url"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


class DataUrl(msgspec.Struct, frozen=True):
    mime: str
    """The declared media type, lower case (``""`` when the URL declares none)."""
    base64: bool
    payload: str


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def has_scheme(text: str) -> bool:
    """Whether ``text`` starts like a URL (``http:``, ``file:``...); a Windows drive (``C:``) does not."""
    match = _SCHEME.match(text)
    return match is not None and len(match.group(0)) > 2


def split_data_url(url: str) -> DataUrl | None:
    """The parts of ``data:[<mime>][;param...][;base64],<payload>``, or ``None`` for another URL."""
    if not url[:5].lower() == "data:":
        return None
    comma = url.find(",")
    if comma < 0:
        return None
    params = url[5:comma].split(";")
    return DataUrl(
        params[0].strip().lower(), "base64" in (p.strip().lower() for p in params[1:]), url[comma + 1 :]
    )


def decode_payload(payload: str) -> bytes | None:
    """Strict base64 (no stray characters, correct padding), or ``None``."""
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
