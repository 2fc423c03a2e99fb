"""Images and video frames for the Realtime API, without any I/O: everything here is pure.

- ``image_message(image, text=None, detail="auto")``: a user message item holding an image, beside
  ``text_message``; ``image_part`` for one content part.
- ``encode_image``: any image (bytes, ``data:`` URL, path, numpy array, Pillow image) as the PNG or JPEG
  bytes the API takes, downscaled to what the detail level can use (``fit_size``).
- ``check_image_part``: refuse a hand-built ``input_image`` part before it is sent.
- ``FrameScheduler``: which video frames go out (rate, latest wins, pause) and which frame items leave
  the conversation.

Every refusal is an ``ImageError`` (a ``ConfigurationError``).  Encoding pixels needs Pillow, the
``video`` extra: ``pip install 'realtime-sdk[video]'``.
"""

from __future__ import annotations

from ._encode import JPEG_QUALITY
from ._frames import DEFAULT_KEEP, FrameScheduler, Slot
from ._image import SENDABLE_MIME, EncodedImage, ImageInput, decode_data_url, encode_frame, encode_image
from ._message import check_image_part, copy_image_part, frame_message, image_message, image_part
from ._probe import ImageInfo, probe
from ._sizes import DETAIL_LEVELS, Detail, check_detail, fit_size

__all__ = [
    "DEFAULT_KEEP",
    "DETAIL_LEVELS",
    "JPEG_QUALITY",
    "SENDABLE_MIME",
    "Detail",
    "EncodedImage",
    "FrameScheduler",
    "ImageInfo",
    "ImageInput",
    "Slot",
    "check_detail",
    "check_image_part",
    "copy_image_part",
    "decode_data_url",
    "encode_frame",
    "encode_image",
    "fit_size",
    "frame_message",
    "image_message",
    "image_part",
    "probe",
]
