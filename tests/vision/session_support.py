"""Shared by the session-level vision tests: the local server, waiting for what it received, reading images."""

from __future__ import annotations

import asyncio
import base64
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from realtime_sdk import ReconnectPolicy
from realtime_sdk._generated import ConversationItemCreate, RealtimeConversationItemMessage
from realtime_sdk.server import LocalRealtimeServer
from realtime_sdk.server.connection import ServerConnection

KEY = "sk-local-test"


def sdk_tasks() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if t.get_name().startswith("realtime_sdk")}


@pytest.fixture
async def server() -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer(KEY) as srv:
        yield srv


def image_creates(conn: ServerConnection) -> list[ConversationItemCreate]:
    """The ``conversation.item.create`` events with an image that the server received, in order."""
    return [
        e
        for e in conn.received
        if isinstance(e, ConversationItemCreate)
        and isinstance(e.item, RealtimeConversationItemMessage)
        and any(p.type == "input_image" for p in e.item.content)
    ]


async def wait_image_creates(conn: ServerConnection, count: int) -> list[ConversationItemCreate]:
    """Until the server has received ``count`` items with images (the timeout is a hang guard)."""
    async with asyncio.timeout(10):
        while len(image_creates(conn)) < count:
            await conn.wait_received(len(conn.received) + 1)
    return image_creates(conn)


def image_of(url: str) -> tuple[str, bytes]:
    """``data:<mime>;base64,<payload>`` taken apart by hand: (mime, bytes)."""
    head, _, payload = url.partition(",")
    assert head.startswith("data:") and head.endswith(";base64"), url[:40]
    return head[5 : -len(";base64")], base64.b64decode(payload, validate=True)


def plain_png(width: int, height: int, grey: int = 128) -> bytes:
    """A ``width``×``height`` PNG of one grey level, written by hand (no Pillow): signature, IHDR, IDAT, IEND."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale, no interlace
    rows = b"".join(b"\x00" + bytes([grey]) * width for _ in range(height))  # filter 0 on every row
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def no_wait(_: float) -> None:
    return None


def instant_reconnect() -> ReconnectPolicy:
    return ReconnectPolicy(sleep=no_wait, random=lambda: 0.5, rollover=False)
