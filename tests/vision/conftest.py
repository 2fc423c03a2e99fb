"""Images made with Pillow for the vision tests (a dev dependency): encoded by an independent encoder.

Pillow is imported by the helpers that use it, so tests that need no Pillow run without it.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image


def encoded(width: int, height: int, fmt: str, mode: str = "RGB") -> bytes:
    """A ``width``×``height`` gradient saved by Pillow as ``fmt`` (PNG, JPEG, WEBP, GIF)."""
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(gradient(width, height)).convert(mode).save(out, format=fmt)
    return out.getvalue()


def gradient(width: int, height: int, channels: int = 3) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    planes = [
        x * 255 // max(1, width - 1),
        y * 255 // max(1, height - 1),
        (x + y) % 256,
        np.full_like(x, 200),
    ]
    return np.stack(planes[:channels], axis=-1).astype(np.uint8)


def decoded(data: bytes) -> Image.Image:
    from PIL import Image

    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture
