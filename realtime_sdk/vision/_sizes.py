"""Detail levels and the pixel sizes each can use.

OpenAI's image input guide ("Calculating costs", platform.openai.com/docs/guides/images-vision) says how
the service sizes an image before the model sees it: with detail ``low`` the model gets a 512×512
version; with ``high`` the image is first scaled to fit in a 2048×2048 square, then so that its
shortest side is 768 px, and is then seen as 512 px tiles.  The Realtime API document adds that
``auto`` defaults to ``high``.  Pixels beyond those sizes are thrown away by the service, so the SDK
downscales to them before encoding (smaller uploads, same picture for the model).  Images are never
scaled up.
"""

from __future__ import annotations

from typing import Literal, TypeGuard

from ..errors import ImageError

__all__ = ["DETAIL_LEVELS", "Detail", "check_detail", "fit_size"]

Detail = Literal["auto", "low", "high"]
DETAIL_LEVELS: tuple[Detail, ...] = ("auto", "low", "high")

LOW_SIDE = 512
HIGH_BOX = 2048
HIGH_SHORT_SIDE = 768


def _is_detail(value: object) -> TypeGuard[Detail]:
    return value in DETAIL_LEVELS


def check_detail(detail: object) -> Detail:
    """``detail`` itself when it is one the Realtime API takes, else ``ImageError``."""
    if not _is_detail(detail):
        raise ImageError(f"detail must be 'auto', 'low' or 'high', not {detail!r}")
    return detail


def fit_size(width: int, height: int, detail: Detail) -> tuple[int, int]:
    """The largest size, at most ``width``×``height`` and with the same aspect, the detail level can use."""
    if detail == "low":
        scale = min(1.0, LOW_SIDE / max(width, height))
    else:
        # Fitting the box and then the short side is one scale: the smaller of the two.
        scale = min(1.0, HIGH_BOX / max(width, height), HIGH_SHORT_SIDE / min(width, height))
    if scale >= 1.0:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))
