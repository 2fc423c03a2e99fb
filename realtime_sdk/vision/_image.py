"""Any image an app holds, as the bytes and MIME type the Realtime API takes (PNG or JPEG).

Accepted: encoded bytes (PNG, JPEG, WebP, GIF: the type is read from the bytes), a ``data:`` image URL,
a path to such a file, a numpy array (H×W×3 RGB or H×W×4 RGBA, ``uint8``) and a Pillow image.
PNG and JPEG bytes are sent untouched; everything else is encoded (and downscaled to what the detail
level can use) with Pillow, the ``video`` extra.  Every refusal is an ``ImageError`` raised here, before
anything is sent.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import msgspec

from ..errors import ImageError
from ._data_url import data_url, decode_payload, has_scheme, split_data_url
from ._encode import Format, encode_pixels, is_array, is_pillow_image, transcode
from ._probe import probe
from ._sizes import Detail, check_detail

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image as PillowImage

__all__ = ["SENDABLE_MIME", "EncodedImage", "ImageInput", "decode_data_url", "encode_frame", "encode_image"]

ImageInput: TypeAlias = (
    "bytes | bytearray | memoryview | str | os.PathLike[str] | np.ndarray[Any, Any] | PillowImage"
)
"""What ``image_message`` and the session's image and frame senders take."""

SENDABLE_MIME = ("image/png", "image/jpeg")
"""What the Realtime API document lists for ``input_image``; other formats are converted to PNG."""


class EncodedImage(msgspec.Struct, frozen=True):
    """An image ready to send: encoded bytes, MIME type and size in pixels."""

    data: bytes
    mime: str
    width: int
    height: int

    def data_url(self) -> str:
        """The image as a ``data:`` URL, the form ``input_image`` parts take."""
        return data_url(self.mime, self.data)


def encode_image(image: ImageInput, *, detail: str = "auto", fmt: Format = "png") -> EncodedImage:
    """``image`` ready to send.  ``fmt`` is the encoding of pixels (arrays, Pillow images); bytes keep theirs."""
    level = check_detail(detail)
    if is_array(image) or is_pillow_image(image):
        data, width, height = encode_pixels(image, level, fmt)  # type: ignore[arg-type]
        return EncodedImage(data, "image/png" if fmt == "png" else "image/jpeg", width, height)
    if isinstance(image, str) and split_data_url(image) is not None:
        return _from_bytes(decode_data_url(image), level)
    if isinstance(image, str | os.PathLike):
        return _from_bytes(_read(image), level)
    if isinstance(image, bytes | bytearray | memoryview):
        return _from_bytes(bytes(image), level)
    raise ImageError(f"cannot send a {type(image).__name__} as an image")


def encode_frame(frame: ImageInput, detail: str = "auto") -> EncodedImage:
    """A video frame ready to send: pixels become JPEG (small, sent often); PNG/JPEG bytes stay as they are."""
    return encode_image(frame, detail=detail, fmt="jpeg")


def decode_data_url(url: str) -> bytes:
    """The image bytes of a ``data:image/...;base64,`` URL; ``ImageError`` for anything else."""
    parts = split_data_url(url)
    if parts is None:
        raise ImageError(f"not a data: URL: {url[:40]!r}")
    if not parts.mime.startswith("image/"):
        raise ImageError(f"a data: URL for an image must declare an image type, not {parts.mime or 'none'!r}")
    if not parts.base64:
        raise ImageError("a data: URL for an image must be base64 (data:image/png;base64,...)")
    data = decode_payload(parts.payload)
    if data is None:
        raise ImageError("the data: URL's base64 payload is malformed")
    return data


def _read(path: str | os.PathLike[str]) -> bytes:
    text = os.fspath(path)
    if has_scheme(text):
        raise ImageError(
            f"only data: URLs can be sent, not {text[:40]!r}: the Realtime API takes images inline "
            "(download the image and pass its bytes)"
        )
    try:
        return Path(text).read_bytes()
    except OSError as exc:
        raise ImageError(f"cannot read the image file {text!r}: {exc.strerror or exc}") from None


def _from_bytes(data: bytes, detail: Detail) -> EncodedImage:
    info = probe(data)
    if info is None:
        raise ImageError(f"not a PNG, JPEG, WebP or GIF image (it starts with {data[:8]!r})")
    if info.mime in SENDABLE_MIME:
        return EncodedImage(data, info.mime, info.width, info.height)
    png, width, height = transcode(data, detail)
    return EncodedImage(png, "image/png", width, height)
