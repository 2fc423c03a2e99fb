"""``input_image`` parts in the local server: checked as the real service checks them, counted, described.

Checks (on ``conversation.item.create``), each one ``error`` event and no item:

- ``detail`` other than ``auto``/``low``/``high`` → ``invalid_value`` naming the supported values;
- no ``image_url`` → ``missing_required_parameter``;
- an ``image_url`` that is not a ``data:`` URL → ``invalid_value``, worded as the real service words it
  ("Invalid image URL ... but got a value without the 'data:' prefix");
- a ``data:`` URL that is not base64 of an image type, or whose base64 is broken → ``invalid_base64_image``;
- bytes that are not a PNG or JPEG image → ``invalid_image_format`` (the Realtime API document lists
  PNG and JPEG for ``input_image``).

The codes are those of the API's documented error-code list (``ResponseErrorCode`` in the OpenAPI
document).  Tokens follow OpenAI's published rule for image inputs (see ``image_tokens``).
"""

from __future__ import annotations

import math

from .._generated import RealtimeConversationItem, RealtimeConversationItemMessage
from .._generated import RealtimeConversationItemMessageContentItem as Part
from ..vision._data_url import decode_payload, split_data_url
from ..vision._probe import ImageInfo, probe
from ..vision._sizes import DETAIL_LEVELS, fit_size
from ._errors import ClientError

__all__ = ["check_images", "describe_images", "image_tokens", "message_image_tokens"]

_FORMATS = ("image/png", "image/jpeg")

# OpenAI's image input guide, "Calculating costs" (platform.openai.com/docs/guides/images-vision):
# detail low costs 85 tokens whatever the size; detail high is scaled to fit 2048×2048, then to a
# shortest side of 768 px, and costs 170 tokens per 512 px tile plus 85.  ``auto`` counts as high
# (the Realtime API document: "auto will default to high").
_BASE_TOKENS = 85
_TILE_TOKENS = 170
_TILE = 512


def check_images(item: RealtimeConversationItem) -> None:
    """Raise ``ClientError`` for the first ``input_image`` part of ``item`` the real service would refuse."""
    if not isinstance(item, RealtimeConversationItemMessage):
        return
    for i, part in enumerate(item.content):
        if part.type == "input_image":
            _check(part, f"item.content[{i}]")


def _check(part: Part, where: str) -> None:
    if isinstance(part.detail, str) and part.detail not in DETAIL_LEVELS:
        raise ClientError(
            "invalid_value",
            f"Invalid value: '{part.detail}'. Supported values are: 'auto', 'low', and 'high'.",
            f"{where}.detail",
        )
    param = f"{where}.image_url"
    if not isinstance(part.image_url, str):
        raise ClientError("missing_required_parameter", f"Missing required parameter: '{param}'.", param)
    url = split_data_url(part.image_url)
    if url is None:
        raise ClientError(
            "invalid_value",
            f"Invalid image URL: '{param}'. Expected a base64-encoded data URL with an image MIME type "
            "(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got a value without the 'data:' prefix.",
            param,
        )
    data = decode_payload(url.payload) if url.base64 and url.mime.startswith("image/") else None
    if data is None:
        raise ClientError(
            "invalid_base64_image",
            f"Invalid '{param}': expected a base64-encoded data URL with an image MIME type "
            "(e.g. 'data:image/png;base64,...').",
            param,
        )
    info = probe(data)
    if info is None or info.mime not in _FORMATS:
        raise ClientError(
            "invalid_image_format",
            "You uploaded an unsupported image. Please make sure your image is valid and has one of the "
            "following formats: ['png', 'jpeg'].",
            param,
        )


def _info(part: Part) -> ImageInfo | None:
    """The image of a part already checked (``None`` for anything else)."""
    if part.type != "input_image" or not isinstance(part.image_url, str):
        return None
    url = split_data_url(part.image_url)
    data = decode_payload(url.payload) if url is not None else None
    return probe(data) if data is not None else None


def image_tokens(width: int, height: int, detail: str) -> int:
    if detail == "low":
        return _BASE_TOKENS
    w, h = fit_size(width, height, "high")
    return _BASE_TOKENS + _TILE_TOKENS * math.ceil(w / _TILE) * math.ceil(h / _TILE)


def message_image_tokens(item: RealtimeConversationItemMessage) -> int:
    total = 0
    for part in item.content:
        info = _info(part)
        if info is not None:
            total += image_tokens(
                info.width, info.height, part.detail if isinstance(part.detail, str) else "auto"
            )
    return total


def describe_images(item: RealtimeConversationItemMessage) -> str | None:
    """``"I see a 640×480 image"`` (``"... and a 32×32 image"``) for a message with images, else ``None``."""
    sizes = [f"a {info.width}×{info.height} image" for info in map(_info, item.content) if info is not None]
    return "I see " + " and ".join(sizes) if sizes else None
