"""Without Pillow (the ``video`` extra): pixels are refused naming the extra, encoded bytes still go out.

Pillow is made missing by putting ``None`` in ``sys.modules["PIL"]`` (what the import system reads as
"cannot be imported"), so these tests run the same whether or not Pillow is installed.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest

from realtime_sdk import ConfigurationError, ImageError, RealtimeSession
from realtime_sdk.server import LocalRealtimeServer

from .session_support import KEY, image_creates, image_of, plain_png, sdk_tasks, server, wait_image_creates

__all__ = ["server"]

TEXT_ONLY = {"output_modalities": ["text"]}
EXTRA = r"pip install 'realtime-sdk\[video\]'"


@pytest.fixture
def no_pillow(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in [m for m in sys.modules if m == "PIL" or m.startswith("PIL.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError):
        from PIL import Image  # noqa: F401 - the simulation works
    yield


def pixels() -> np.ndarray:
    return np.zeros((48, 64, 3), dtype=np.uint8)


def test_importing_the_sdk_does_not_import_pillow() -> None:
    code = (
        "import sys, realtime_sdk, realtime_sdk.vision, realtime_sdk.session, realtime_sdk.server; "
        "print(sorted(m for m in sys.modules if m == 'PIL' or m.startswith('PIL.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.usefixtures("no_pillow")
async def test_pixels_need_the_extra_and_nothing_is_sent(server: LocalRealtimeServer) -> None:
    async with asyncio.timeout(15), RealtimeSession(KEY, base_url=server.url, video_fps=50.0) as s:
        conn = server.connections[0]
        before = len(conn.received)
        with pytest.raises(ConfigurationError, match=EXTRA) as frame_error:
            await s.send_video_frame(pixels())
        with pytest.raises(ConfigurationError, match=EXTRA) as image_error:
            await s.send_image(pixels(), "what is this?")
        for error in (frame_error, image_error):  # a missing extra, not a bad image
            assert not isinstance(error.value, ImageError)
        # Nothing left the client: a round trip after the refusals is the next thing the server sees.
        await s.add_item("after")
        assert [e.type for e in conn.received[before:]] == ["conversation.item.create"]
        assert image_creates(conn) == []
    assert not sdk_tasks()


@pytest.mark.usefixtures("no_pillow")
async def test_encoded_bytes_go_out_without_pillow(server: LocalRealtimeServer) -> None:
    image, frame = plain_png(64, 48, 10), plain_png(32, 24, 200)
    async with (
        asyncio.timeout(15),
        RealtimeSession(KEY, base_url=server.url, video_fps=50.0, session_properties=TEXT_ONLY) as s,
    ):
        conn = server.connections[0]
        await s.send_image(image, "what is this?", detail="low")
        assert await s.send_video_frame(frame)
        first, second = await wait_image_creates(conn, 2)
        assert image_of(str(first.item.content[-1].image_url)) == ("image/png", image)  # type: ignore[union-attr]
        assert image_of(str(second.item.content[-1].image_url)) == ("image/png", frame)  # type: ignore[union-attr]
        handle = await s.create_response()
        assert await handle.text() == "I see a 32×24 image"  # the frame is the last item
        assert "PIL" not in {m.partition(".")[0] for m, mod in sys.modules.items() if mod is not None}
    assert not sdk_tasks()


async def test_with_pillow_pixels_become_a_jpeg_frame(server: LocalRealtimeServer) -> None:
    pytest.importorskip("PIL.Image", reason="encoding pixels needs Pillow (realtime-sdk[video])")
    async with asyncio.timeout(15), RealtimeSession(KEY, base_url=server.url, video_fps=50.0) as s:
        assert await s.send_video_frame(pixels())
        (created,) = await wait_image_creates(server.connections[0], 1)
        mime, data = image_of(str(created.item.content[-1].image_url))  # type: ignore[union-attr]
        assert mime == "image/jpeg" and data.startswith(b"\xff\xd8\xff")
