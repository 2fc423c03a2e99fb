"""Pixels to PNG or JPEG, downscaled to the detail level: the only part that needs Pillow.

Pillow is the optional extra ``video`` (``pip install 'realtime-sdk[video]'``) and is imported on the
first image that has to be encoded, never at import time.  Encoded PNG and JPEG bytes are sent as they
are and need nothing.  This is CPU work: the session runs it in a worker thread, off the event loop.
"""

from __future__ import annotations

import io
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ConfigurationError, ImageError
from ._sizes import Detail, fit_size

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image as PillowImage
    from typing_extensions import TypeIs

__all__ = ["JPEG_QUALITY", "Format", "encode_pixels", "is_array", "is_pillow_image", "pillow", "transcode"]


def is_array(value: object) -> TypeIs[np.ndarray[Any, Any]]:
    """A numpy array, without importing numpy: an app that holds one has imported numpy already."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


Format = Literal["png", "jpeg"]

JPEG_QUALITY = 80
"""Frames go out once a second or more often: 80 keeps text legible at a fraction of the bytes of 95."""


def pillow() -> ModuleType:
    """``PIL.Image``, or a ``ConfigurationError`` that names the extra to install."""
    try:
        from PIL import Image
    except ImportError:
        raise ConfigurationError(
            "encoding images (numpy arrays, Pillow images, WebP or GIF) needs Pillow: "
            "pip install 'realtime-sdk[video]'"
        ) from None
    return Image


def is_pillow_image(obj: object) -> bool:
    """Whether ``obj`` is a Pillow image; never imports Pillow (an app holding one has imported it)."""
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(obj, module.Image)


def check_array(array: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.uint8]]:
    import numpy as np  # loaded already: the app made the array

    if array.dtype != np.uint8:
        raise ImageError(f"an image array must be uint8 (0-255 per channel), not {array.dtype}")
    if array.ndim != 3 or array.shape[2] not in (3, 4) or array.shape[0] == 0 or array.shape[1] == 0:
        raise ImageError(f"an image array must be H×W×3 (RGB) or H×W×4 (RGBA), not shape {array.shape}")
    return np.ascontiguousarray(array)


def encode_pixels(
    image: np.ndarray[Any, Any] | PillowImage, detail: Detail, fmt: Format
) -> tuple[bytes, int, int]:
    """``image`` (an RGB/RGBA array or a Pillow image) encoded as ``fmt``: (bytes, width, height)."""
    Image = pillow()
    picture = Image.fromarray(check_array(image)) if is_array(image) else image
    if fmt == "jpeg":
        # JPEG has no alpha channel: it is dropped (the model sees the colours as they are).
        picture = picture.convert("RGB") if picture.mode != "RGB" else picture
    elif picture.mode not in ("RGB", "RGBA", "L", "LA"):
        picture = picture.convert("RGBA")
    size = fit_size(picture.width, picture.height, detail)
    if size != (picture.width, picture.height):
        picture = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    out = io.BytesIO()
    if fmt == "jpeg":
        picture.save(out, format="JPEG", quality=JPEG_QUALITY)
    else:
        picture.save(out, format="PNG")
    return out.getvalue(), picture.width, picture.height


def transcode(data: bytes, detail: Detail) -> tuple[bytes, int, int]:
    """WebP or GIF bytes as PNG: the Realtime API document lists PNG and JPEG only (a GIF's first frame)."""
    Image = pillow()
    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.seek(0)
            picture.load()
            return encode_pixels(picture, detail, "png")
    except (OSError, ValueError, EOFError) as exc:
        raise ImageError(f"the image bytes cannot be decoded: {exc}") from None
