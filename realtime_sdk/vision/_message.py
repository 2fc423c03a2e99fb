"""Images as conversation items: ``image_message`` beside ``text_message``, and checks of hand-built parts.

An image travels as an ``input_image`` content part of a *user* message: ``image_url`` is a ``data:``
URL and ``detail`` one of ``auto``/``low``/``high`` (the API refuses images in system and assistant
messages, so the SDK does too, before sending).
"""

from __future__ import annotations

from typing import Literal

from .._generated import RealtimeConversationItemMessage, RealtimeConversationItemMessageContentItem
from ..errors import ImageError
from ._image import SENDABLE_MIME, EncodedImage, ImageInput, decode_data_url, encode_image
from ._probe import probe
from ._sizes import Detail, check_detail

__all__ = ["check_image_part", "copy_image_part", "frame_message", "image_message", "image_part"]


def image_part(image: ImageInput, *, detail: str = "auto") -> RealtimeConversationItemMessageContentItem:
    """One ``input_image`` content part, for building a message with several images or parts."""
    level = check_detail(detail)
    return _part(encode_image(image, detail=level), level)


def image_message(
    image: ImageInput, text: str | None = None, role: Literal["user"] = "user", detail: str = "auto"
) -> RealtimeConversationItemMessage:
    """A user message holding an image (and a question about it), for ``history=`` or ``add_item``::

        history = [image_message(Path("chart.png").read_bytes(), text="What does this chart show?")]

    ``image``: PNG/JPEG/WebP/GIF bytes, a ``data:`` URL, a path, a numpy array (H×W×3 or H×W×4
    ``uint8``) or a Pillow image; arrays and Pillow images are encoded as PNG (Pillow, the ``video``
    extra), downscaled to what ``detail`` can use.  The text, when given, comes before the image.
    Raises ``ImageError`` for anything that cannot be sent.
    """
    if role != "user":
        raise ImageError(f"images can only be sent in user messages, not {role!r} ones")
    part = image_part(image, detail=detail)
    content = [RealtimeConversationItemMessageContentItem(type="input_text", text=text)] if text else []
    return RealtimeConversationItemMessage(role="user", content=[*content, part])


def frame_message(frame: EncodedImage, detail: Detail) -> RealtimeConversationItemMessage:
    """The user message that carries one encoded video frame."""
    return RealtimeConversationItemMessage(role="user", content=[_part(frame, detail)])


def check_image_part(part: RealtimeConversationItemMessageContentItem) -> None:
    """Refuse (``ImageError``) an ``input_image`` part the API would refuse; other parts pass.

    For items an app built by hand, checked before they are sent: the detail level, a ``data:`` URL
    with an image type and valid base64, and bytes that are a PNG or JPEG image.
    """
    if part.type != "input_image":
        return
    if isinstance(part.detail, str):
        check_detail(part.detail)
    if not isinstance(part.image_url, str):
        raise ImageError("an input_image part needs an image_url (a data: URL)")
    if not part.image_url[:5].lower() == "data:":
        raise ImageError(
            f"image_url must be a data: URL, not {part.image_url[:40]!r}: the Realtime API takes images "
            "inline (pass the image bytes to image_message)"
        )
    info = probe(decode_data_url(part.image_url))
    if info is None or info.mime not in SENDABLE_MIME:
        raise ImageError("the data: URL does not hold a PNG or JPEG image")


def copy_image_part(
    part: RealtimeConversationItemMessageContentItem,
) -> RealtimeConversationItemMessageContentItem:
    """The part as history and restore send it again: type, URL and detail, nothing the server added."""
    return RealtimeConversationItemMessageContentItem(
        type="input_image", image_url=part.image_url, detail=part.detail
    )


def _part(image: EncodedImage, detail: Detail) -> RealtimeConversationItemMessageContentItem:
    return RealtimeConversationItemMessageContentItem(
        type="input_image", image_url=image.data_url(), detail=detail
    )
