"""Image inputs: MIME type from the bytes, encodings, downscaling, and every refusal before sending."""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from realtime_sdk import ConfigurationError, ImageError, image_message
from realtime_sdk._generated import RealtimeConversationItemMessageContentItem as Part
from realtime_sdk.vision import (
    ImageInfo,
    check_image_part,
    decode_data_url,
    encode_frame,
    encode_image,
    fit_size,
    image_part,
    probe,
)

from .conftest import decoded, encoded, gradient


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_probe_reads_format_and_size_from_the_bytes(fmt: str, mime: str) -> None:
    info = probe(encoded(37, 21, fmt))
    assert info is not None
    assert (info.mime, info.width, info.height) == (mime, 37, 21)


def test_probe_reads_lossless_and_extended_webp() -> None:
    lossless = io.BytesIO()
    Image.fromarray(gradient(300, 7)).save(lossless, format="WEBP", lossless=True)
    assert lossless.getvalue()[12:16] == b"VP8L"
    assert probe(lossless.getvalue()) == ImageInfo("image/webp", 300, 7)
    out = io.BytesIO()
    Image.fromarray(gradient(45, 61, channels=4)).save(out, format="WEBP")  # translucent
    alpha = out.getvalue()
    assert alpha[12:16] == b"VP8X"  # alpha makes Pillow write the extended header
    assert probe(alpha) == ImageInfo("image/webp", 45, 61)
    assert encoded(45, 61, "WEBP")[12:16] == b"VP8 "


def test_probe_refuses_what_is_not_an_image() -> None:
    assert probe(b"hello, world") is None
    assert probe(b"") is None
    assert probe(encoded(10, 10, "PNG")[:20]) is None  # cut inside the header
    assert probe(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 6 + b"\xff\xd9") is None  # no frame


def test_bytes_keep_their_encoding_and_the_name_is_never_trusted(tmp_path: Path) -> None:
    jpeg = encoded(64, 48, "JPEG")
    path = tmp_path / "looks_like.png"  # a JPEG under a PNG name
    path.write_bytes(jpeg)
    for source in (jpeg, bytearray(jpeg), memoryview(jpeg), path, str(path)):
        image = encode_image(source)  # type: ignore[arg-type]
        assert (image.data, image.mime, image.width, image.height) == (jpeg, "image/jpeg", 64, 48)
    assert image.data_url() == "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()


def test_webp_and_gif_become_png_because_the_realtime_api_lists_png_and_jpeg() -> None:
    for fmt in ("WEBP", "GIF"):
        image = encode_image(encoded(40, 30, fmt))
        assert image.mime == "image/png"
        assert decoded(image.data).format == "PNG" and decoded(image.data).size == (40, 30)


def test_a_data_url_is_taken_apart_and_checked() -> None:
    png = encoded(5, 6, "PNG")
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    assert decode_data_url(url) == png
    assert encode_image(url).data == png


@pytest.mark.parametrize("channels", [3, 4])
def test_arrays_are_encoded_and_decode_back_to_their_size(channels: int) -> None:
    pixels = gradient(64, 40, channels)
    png = encode_image(pixels)
    assert png.mime == "image/png" and (png.width, png.height) == (64, 40)
    back = decoded(png.data)
    assert back.format == "PNG" and back.size == (64, 40)
    assert np.array_equal(np.asarray(back), pixels)  # PNG is lossless, alpha included

    jpeg = encode_frame(pixels)
    assert jpeg.mime == "image/jpeg"
    back = decoded(jpeg.data)
    assert back.format == "JPEG" and back.size == (64, 40) and back.mode == "RGB"
    assert np.abs(np.asarray(back).astype(int) - pixels[..., :3].astype(int)).mean() < 8


def test_a_non_contiguous_array_and_a_pillow_image_are_accepted() -> None:
    pixels = gradient(80, 60)[::2, ::2]  # a strided view
    assert decoded(encode_image(pixels).data).size == (40, 30)
    picture = Image.fromarray(gradient(33, 17)).convert("P")  # palette mode, converted on the way
    image = encode_image(picture)
    assert decoded(image.data).size == (33, 17)
    assert decoded(encode_frame(picture).data).format == "JPEG"


@pytest.mark.parametrize(
    ("size", "detail", "expected"),
    [
        # The documented examples: 1024×1024 high → 768×768; 2048×4096 high → 768×1536.
        ((1024, 1024), "high", (768, 768)),
        ((2048, 4096), "high", (768, 1536)),
        ((4096, 8192), "low", (256, 512)),
        ((1920, 1080), "high", (1365, 768)),
        ((1920, 1080), "auto", (1365, 768)),
        ((1920, 1080), "low", (512, 288)),
        ((640, 480), "high", (640, 480)),  # never scaled up
        ((300, 200), "low", (300, 200)),
        ((5000, 100), "high", (2048, 41)),  # the 2048 box binds before the short side
    ],
)
def test_fit_size_follows_the_documented_sizes(
    size: tuple[int, int], detail: str, expected: tuple[int, int]
) -> None:
    assert fit_size(*size, detail) == expected  # type: ignore[arg-type]


def test_pixels_are_downscaled_to_what_the_detail_level_uses() -> None:
    pixels = gradient(1280, 720)
    assert decoded(encode_frame(pixels, detail="low").data).size == (512, 288)
    assert decoded(encode_frame(pixels, detail="high").data).size == (1280, 720)
    assert decoded(encode_image(gradient(1600, 1200), detail="auto").data).size == (1024, 768)


def test_encoded_bytes_are_never_resized() -> None:
    big = encoded(1600, 1200, "JPEG")
    assert encode_image(big, detail="low").data == big


def test_image_message_builds_the_item_the_api_expects() -> None:
    png = encoded(8, 8, "PNG")
    item = image_message(png, text="What is this?", detail="high")
    assert item.role == "user"
    assert [p.type for p in item.content] == ["input_text", "input_image"]
    assert item.content[0].text == "What is this?"
    assert item.content[1].image_url == "data:image/png;base64," + base64.b64encode(png).decode()
    assert item.content[1].detail == "high"
    only = image_message(png)
    assert [p.type for p in only.content] == ["input_image"] and only.content[0].detail == "auto"


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (b"GIF-ish but not really", "not a PNG, JPEG, WebP or GIF"),
        (b"", "not a PNG, JPEG, WebP or GIF"),
        ("http://example.com/cat.png", "only data: URLs"),
        ("https://example.com/cat.png", "only data: URLs"),
        ("data:text/plain;base64,aGVsbG8=", "must declare an image type"),
        ("data:image/png,rawtext", "must be base64"),
        ("data:image/png;base64,@@not base64@@", "malformed"),
        ("data:image/png;base64,aGVsbG8=", "not a PNG, JPEG, WebP or GIF"),  # base64 of "hello"
        (np.zeros((4, 4, 3), dtype=np.float32), "must be uint8"),
        (np.zeros((4, 4), dtype=np.uint8), "H×W×3"),
        (np.zeros((4, 4, 2), dtype=np.uint8), "H×W×3"),
        (np.zeros((0, 4, 3), dtype=np.uint8), "H×W×3"),
        (12345, "cannot send a int"),
        (None, "cannot send a NoneType"),
    ],
)
def test_every_bad_input_is_an_image_error(image: object, words: str) -> None:
    with pytest.raises(ImageError, match=words):
        image_message(image)  # type: ignore[arg-type]
    with pytest.raises(ImageError, match=words):
        encode_frame(image)  # type: ignore[arg-type]


@pytest.mark.parametrize("detail", ["ultra", "original", "HIGH", "", None, 1])
def test_a_detail_level_the_realtime_api_refuses_is_an_image_error(detail: object) -> None:
    with pytest.raises(ImageError, match="detail must be 'auto', 'low' or 'high'"):
        image_message(encoded(4, 4, "PNG"), detail=detail)  # type: ignore[arg-type]
    with pytest.raises(ImageError):
        encode_frame(gradient(4, 4), detail=detail)  # type: ignore[arg-type]


def test_errors_are_configuration_errors_and_value_errors() -> None:
    with pytest.raises(ConfigurationError):
        image_message(b"nope")
    with pytest.raises(ValueError):
        image_message(b"nope")


def test_only_user_messages_hold_images() -> None:
    with pytest.raises(ImageError, match="user messages"):
        image_message(encoded(4, 4, "PNG"), role="system")  # type: ignore[arg-type]


def test_a_missing_file_is_an_image_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="cannot read the image file"):
        image_message(tmp_path / "absent.png")


def test_check_image_part_refuses_hand_built_parts() -> None:
    good = image_part(encoded(4, 4, "PNG"))
    check_image_part(good)
    check_image_part(Part(type="input_text", text="not an image: passes"))
    webp_url = "data:image/webp;base64," + base64.b64encode(encoded(4, 4, "WEBP")).decode()
    for part, words in [
        (Part(type="input_image", image_url=good.image_url, detail="ultra"), "detail"),
        (Part(type="input_image"), "needs an image_url"),
        (Part(type="input_image", image_url="https://example.com/x.png"), "must be a data: URL"),
        (Part(type="input_image", image_url="data:image/png;base64,!!"), "malformed"),
        (Part(type="input_image", image_url=webp_url), "PNG or JPEG"),
    ]:
        with pytest.raises(ImageError, match=words):
            check_image_part(part)


def test_without_pillow_pixels_need_the_extra_but_bytes_do_not(monkeypatch: pytest.MonkeyPatch) -> None:
    png, pixels = encoded(4, 4, "PNG"), gradient(4, 4)
    for name in [m for m in sys.modules if m == "PIL" or m.startswith("PIL.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "PIL", None)  # makes `from PIL import Image` raise ImportError
    assert encode_image(png).data == png
    with pytest.raises(ConfigurationError, match=r"realtime-sdk\[video\]") as info:
        encode_frame(pixels)
    assert not isinstance(info.value, ImageError)  # a missing extra, not a bad image
