"""A websocket server of our own for fault tests: asyncio streams and hand-written RFC 6455 framing.

Deliberately independent of aiohttp's server and of the SDK's local server, so it can do what a polite
implementation never would: stop reading, put a ping and a FIN in one write, send an empty close frame,
redirect the handshake, echo secrets, drift known events.  Each accepted connection runs a scenario
coroutine (``Scenario``) given a ``Peer``; ``polite`` answers the few requests a test needs answered.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import socket
import ssl as _ssl
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded" / "openai_ga.server.jsonl"

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def recorded_events() -> list[dict[str, Any]]:
    """Real server traffic (tests/data/recorded, see its PROVENANCE.md)."""
    return [json.loads(line) for line in _RECORDED.read_text().splitlines() if line.strip()]


def greeting(expires_in: float = 3600.0) -> dict[str, Any]:
    """The recorded ``session.created``, with an ``expires_at`` relative to now."""
    event = next(e for e in recorded_events() if e["type"] == "session.created")
    event["session"]["expires_at"] = int(time.time() + expires_in)
    return event


def frame(opcode: int, payload: bytes = b"", *, fin: bool = True) -> bytes:
    """A server frame (unmasked)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 2**16:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


def close_payload(code: int | None, reason: str = "") -> bytes:
    return b"" if code is None else struct.pack("!H", code) + reason.encode()


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names


class Peer:
    """One client connection, as the scenario sees it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request) -> None:
        self.reader = reader
        self.writer = writer
        self.request = request
        self.received: list[dict[str, Any]] = []

    # -- handshake --------------------------------------------------------------------------------------

    async def accept(self) -> None:
        key = self.request.headers.get("sec-websocket-key", "").encode()
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest()).decode()
        self.writer.write(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        await self.writer.drain()

    async def http(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        lines = [f"HTTP/1.1 {status} Hostile", f"Content-Length: {len(body)}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        self.writer.close()

    # -- frames -----------------------------------------------------------------------------------------

    async def send(self, event: dict[str, Any] | str | bytes) -> None:
        if isinstance(event, dict):
            event = json.dumps(event)
        data = event.encode() if isinstance(event, str) else event
        await self.raw(frame(TEXT, data))

    async def raw(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def close(self, code: int | None = 1000, reason: str = "") -> None:
        await self.raw(frame(CLOSE, close_payload(code, reason)))

    def drop(self) -> None:
        """Gone without a goodbye (RST where the OS allows it)."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    async def recv_frame(self) -> tuple[int, bytes]:
        b1, b2 = await self.reader.readexactly(2)
        n = b2 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", await self.reader.readexactly(8))
        mask = await self.reader.readexactly(4) if b2 & 0x80 else b"\0\0\0\0"
        data = bytearray(await self.reader.readexactly(n))
        for i in range(n):
            data[i] ^= mask[i % 4]
        return b1 & 0x0F, bytes(data)

    async def recv(self) -> dict[str, Any] | None:
        """The next client event (pings answered, fragments joined); ``None`` once the client closed."""
        parts: list[bytes] = []
        while True:
            try:
                opcode, data = await self.recv_frame()
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
            if opcode == PING:
                await self.raw(frame(PONG, data))
            elif opcode == CLOSE:
                # Echo the close, as RFC 6455 asks; the client then closes the TCP connection.
                try:
                    await self.raw(frame(CLOSE, data[:2]))
                except ConnectionError:
                    pass
                return None
            elif opcode in (TEXT, BINARY, 0):
                parts.append(data)
                event = json.loads(b"".join(parts))
                parts.clear()
                self.received.append(event)
                return event  # type: ignore[no-any-return]

    async def recv_type(self, kind: str) -> dict[str, Any] | None:
        while (event := await self.recv()) is not None:
            if event.get("type") == kind:
                return event
        return None


Scenario = Callable[[Peer], Awaitable[None]]


async def polite(
    peer: Peer, *, on: dict[str, Callable[[Peer, dict[str, Any]], Awaitable[None]]] | None = None
) -> None:
    """Accept, greet, and answer the requests the tests make; ``on`` overrides per event type."""
    await peer.accept()
    await peer.send(greeting())
    await answer(peer, on=on)


async def answer(
    peer: Peer, *, on: dict[str, Callable[[Peer, dict[str, Any]], Awaitable[None]]] | None = None
) -> None:
    handlers = {**DEFAULT_ANSWERS, **(on or {})}
    while (event := await peer.recv()) is not None:
        reply = handlers.get(event.get("type", ""))
        if reply is not None:
            await reply(peer, event)


async def _session_updated(peer: Peer, event: dict[str, Any]) -> None:
    session = {**greeting()["session"], **event.get("session", {})}
    await peer.send({"type": "session.updated", "event_id": "ev_u", "session": session})


async def _item_created(peer: Peer, event: dict[str, Any]) -> None:
    item = {"id": "item_1", "object": "realtime.item", "status": "completed", **event.get("item", {})}
    await peer.send(
        {"type": "conversation.item.added", "event_id": "ev_a", "previous_item_id": None, "item": item}
    )
    await peer.send(
        {"type": "conversation.item.done", "event_id": "ev_d", "previous_item_id": None, "item": item}
    )


DEFAULT_ANSWERS: dict[str, Callable[[Peer, dict[str, Any]], Awaitable[None]]] = {
    "session.update": _session_updated,
    "conversation.item.create": _item_created,
}


def response(rid: str | None, event: dict[str, Any], kind: str = "response.created") -> dict[str, Any]:
    """A recorded ``response.created`` (or ``response.done``) re-addressed: id ``rid``, and the metadata
    of the client's ``response.create`` echoed, as the real server does."""
    template = next(e for e in recorded_events() if e["type"] == kind)
    template["response"]["id"] = rid
    template["response"]["metadata"] = (event.get("response") or {}).get("metadata")
    return template


@dataclass
class HostileServer:
    """Listens on loopback; each connection runs ``scenario``.  A tiny receive buffer on request, so a
    client's sends back up quickly when the scenario stops reading."""

    scenario: Scenario
    rcvbuf: int | None = None
    tls: _ssl.SSLContext | None = None
    connections: list[Peer] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/realtime"

    async def __aenter__(self) -> HostileServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        sock.bind(("127.0.0.1", 0))
        self._server = await asyncio.start_server(self._serve, sock=sock, ssl=self.tls)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for peer in self.connections:
            peer.writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        task.set_name("hostile server connection")
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line, *rest = head.decode("latin-1").split("\r\n")
            method, path, _ = line.split(" ", 2)
            headers = {}
            for h in rest:
                if ":" in h:
                    k, v = h.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            peer = Peer(reader, writer, Request(method, path, headers))
            self.connections.append(peer)
            await self.scenario(peer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # stop(): ending quietly keeps asyncio's stream callback from reporting a cancelled task
        finally:
            writer.transport.abort()
            self._tasks.discard(task)


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (openssl CLI), for the wss→http downgrade test."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    rc = os.system(
        f"openssl req -x509 -newkey rsa:2048 -nodes -keyout {key} -out {cert} -days 1 "
        f"-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1"
    )
    if rc != 0:
        raise RuntimeError("openssl could not make a test certificate")
    return cert, key
