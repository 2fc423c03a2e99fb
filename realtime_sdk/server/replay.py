"""``ReplayServer``: serve a recorded cassette to a client, checking that the client does what it did then.

The cassette (see ``realtime_sdk.recording``) is a script: frames the client sent are expectations,
frames it received are answers.  The server walks it in order.  An answer is sent as soon as everything
before it has happened (``pace="fast"``, the default) or at its recorded offset after the client frame
it follows (``pace="recorded"``).  An expectation waits for the client's next frame and compares them:

- ``type`` must be equal; so must every other field, except ``event_id`` and audio payloads;
- ids the client made up (``item.id``, ``previous_item_id``, ``call_id``...) may differ: the first time a
  recorded id meets a live one they are paired, the pair must hold from then on, and the recorded
  answers are sent with the live ids put back;
- audio appends match as a run: a run of ``input_audio_buffer.append`` frames matches any run of them,
  whatever the chunking (only the content of audio is not compared).

On the first mismatch the server records a :class:`ReplayDivergence` (which record, expected and got),
sends the client an ``error`` event with code ``replay_divergence`` saying the same, and closes the
connection (code 1008), so a client waiting for an answer that will never come fails at once instead of
hanging.  ``stop()`` (the end of ``async with``) raises the divergence unless ``raise_on_divergence=False``.

Connections share one position in the cassette, so a session that reconnected during the recording
replays its second connection as the next connection.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import WSMsgType, web

from ..errors import RealtimeError
from ..recording import Cassette, Record, read_cassette

if TYPE_CHECKING:
    from .app import SessionEndpoint

__all__ = ["ReplayDivergence", "ReplayServer"]

_APPEND = "input_audio_buffer.append"
_IGNORED = frozenset({"event_id"})
_AUDIO_KEYS = frozenset({"audio"})
_NOTHING = object()


class ReplayDivergence(RealtimeError):
    """The client sent something other than what the cassette expects at ``index`` (a record number)."""

    def __init__(self, index: int | None, expected: dict[str, Any] | None, got: Any, why: str) -> None:
        self.index = index
        self.expected = expected
        self.got = got
        self.why = why
        where = f"record {index}" if index is not None else "after the end of the cassette"
        exp = _short(expected) if expected is not None else "nothing more"
        super().__init__(f"replay diverged at {where}: {why}; expected {exp}, got {_short(got)}")


def _short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


def _is_id_key(key: str) -> bool:
    return key == "id" or key.endswith("_id")


class _Matcher:
    """Compares client frames with recorded ones, pairing recorded ids with live ones."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def compare(self, expected: Any, got: Any, path: str = "") -> str | None:
        """None when ``got`` matches ``expected``, else a sentence saying where they differ."""
        if isinstance(expected, dict) and isinstance(got, dict):
            for key in sorted(set(expected) | set(got)):
                if key in _IGNORED or key in _AUDIO_KEYS:
                    continue
                where = f"{path}.{key}" if path else key
                if key not in got:
                    return f"{where} missing"
                if key not in expected:
                    return f"{where} not expected"
                if _is_id_key(key) and isinstance(expected[key], str) and isinstance(got[key], str):
                    why = self._pair(expected[key], got[key], where)
                else:
                    why = self.compare(expected[key], got[key], where)
                if why is not None:
                    return why
            return None
        if isinstance(expected, list) and isinstance(got, list):
            if len(expected) != len(got):
                return f"{path or 'frame'} has {len(got)} entries, not {len(expected)}"
            for n, (e, g) in enumerate(zip(expected, got, strict=True)):
                why = self.compare(e, g, f"{path}[{n}]")
                if why is not None:
                    return why
            return None
        if expected != got:
            return f"{path or 'frame'} is {_short(got, 80)}, not {_short(expected, 80)}"
        return None

    def _pair(self, recorded: str, live: str, where: str) -> str | None:
        known = self.ids.get(recorded)
        if known is None:
            if recorded != live and live in self.ids.values():
                return f"{where} {live!r} already stands for another recorded id"
            self.ids[recorded] = live
            return None
        return None if known == live else f"{where} is {live!r}, but recorded {recorded!r} was {known!r}"

    def live(self, value: Any) -> Any:
        """``value`` with every paired recorded id replaced by its live id."""
        if not self.ids:
            return value
        if isinstance(value, dict):
            return {k: self.live(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.live(v) for v in value]
        if isinstance(value, str):
            return self.ids.get(value, value)
        return value


class ReplayServer:
    """A websocket server at ``url`` that plays ``cassette`` (a path or a read ``Cassette``).

    Any API key is accepted (a cassette holds none).  ``divergence`` is the first mismatch, or None;
    ``finished`` says whether every record has been played.
    """

    def __init__(
        self,
        cassette: str | Path | Cassette,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        pace: Literal["fast", "recorded"] = "fast",
        raise_on_divergence: bool = True,
    ) -> None:
        self.cassette = cassette if isinstance(cassette, Cassette) else read_cassette(cassette)
        self.host = host
        self.port = port
        self.pace = pace
        self.raise_on_divergence = raise_on_divergence
        self.divergence: ReplayDivergence | None = None
        self.connections = 0
        self._records = self.cassette.records
        self._next = 0
        self._matcher = _Matcher()
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()

    @property
    def finished(self) -> bool:
        return self._next >= len(self._records)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/v1/realtime"

    def session_options(self) -> SessionEndpoint:
        """``RealtimeSession(**server.session_options(), ...)`` connects to this server."""
        return {"api_key": "sk-replay", "base_url": self.url}

    async def __aenter__(self) -> ReplayServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start listening; ``async with`` calls this."""
        app = web.Application()
        app.router.add_get("/v1/realtime", self._serve)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening; raises the ``ReplayDivergence`` seen, if any (unless told not to)."""
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=1001, message=b"server shutting down"), 2)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.divergence is not None and self.raise_on_divergence:
            raise self.divergence

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        protocols = ("realtime",) if "realtime" in request.headers.get("Sec-WebSocket-Protocol", "") else ()
        ws = web.WebSocketResponse(max_msg_size=16 * 2**20, protocols=protocols)
        await ws.prepare(request)
        self.connections += 1
        self._sockets.add(ws)
        incoming: asyncio.Queue[Any] = asyncio.Queue()
        reader = asyncio.create_task(self._read(ws, incoming))
        try:
            await self._play(ws, incoming)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            self._sockets.discard(ws)
        return ws

    async def _read(self, ws: web.WebSocketResponse, incoming: asyncio.Queue[Any]) -> None:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                try:
                    incoming.put_nowait(json.loads(msg.data))
                except ValueError:
                    incoming.put_nowait(msg.data)
            elif msg.type == WSMsgType.BINARY:
                incoming.put_nowait(msg.data)
        incoming.put_nowait(None)  # the client went away

    async def _play(self, ws: web.WebSocketResponse, incoming: asyncio.Queue[Any]) -> None:
        if self.divergence is not None:
            await self._refuse(ws, self.divergence)
            return
        loop = asyncio.get_running_loop()
        anchor = (loop.time(), self._records[self._next].t if not self.finished else 0.0)
        in_run = False  # the last matched client frame was an audio append
        held: Any = _NOTHING  # a client frame read but not matched yet
        while True:
            record = self._records[self._next] if not self.finished else None
            if record is not None and record.direction == "received":
                if self.pace == "recorded":
                    due = anchor[0] + (record.t - anchor[1])
                    if due > loop.time():
                        await asyncio.sleep(due - loop.time())  # recorded pacing, not synchronisation
                self._next += 1
                await self._send(ws, record)
                continue
            if held is not _NOTHING:
                got, held = held, _NOTHING
            else:
                got = await incoming.get()
            if got is None:
                return
            kind = got.get("type") if isinstance(got, dict) else None
            if in_run and kind == _APPEND and (record is None or record.type != _APPEND):
                continue  # more chunks than recorded in this run of audio
            if in_run and kind != _APPEND and record is not None and record.type == _APPEND:
                while not self.finished and self._records[self._next].type == _APPEND:
                    self._next += 1  # fewer chunks than recorded: the rest of the run is skipped
                in_run = False
                held = got  # matched after the answers recorded before it are sent
                continue
            why = self._mismatch(record, got)
            if why is not None:
                self.divergence = ReplayDivergence(
                    self._next if record is not None else None,
                    record.frame if record is not None else None,
                    got,
                    why,
                )
                await self._refuse(ws, self.divergence)
                return
            assert record is not None
            in_run = kind == _APPEND
            anchor = (loop.time(), record.t)
            self._next += 1

    def _mismatch(self, record: Record | None, got: Any) -> str | None:
        if record is None:
            return "the cassette has no more client frames"
        if record.frame is None or not isinstance(got, dict):
            return None if record.frame is None and record.raw == got else "frames differ"
        if record.type != got.get("type"):
            return f"type is {got.get('type')!r}, not {record.type!r}"
        return self._matcher.compare(record.frame, got)

    async def _send(self, ws: web.WebSocketResponse, record: Record) -> None:
        if ws.closed:
            return
        if record.frame is not None:
            frame = self._matcher.live(record.frame)
            if record.elided and frame.get("type") == "response.output_audio.delta":
                frame["delta"] = base64.b64encode(bytes(record.elided)).decode()  # silence, as long
            await ws.send_str(json.dumps(frame, ensure_ascii=False))
        elif isinstance(record.raw, bytes):
            await ws.send_bytes(record.raw)
        elif isinstance(record.raw, str):
            await ws.send_str(record.raw)

    async def _refuse(self, ws: web.WebSocketResponse, divergence: ReplayDivergence) -> None:
        error = {
            "type": "error",
            "event_id": "event_replay_divergence",
            "error": {
                "type": "invalid_request_error",
                "code": "replay_divergence",
                "message": str(divergence),
                "param": None,
                "event_id": None,
            },
        }
        with contextlib.suppress(Exception):
            await ws.send_str(json.dumps(error, ensure_ascii=False))
            # The close reason (at most 123 bytes) names the record, for clients that show only that.
            where = f"record {divergence.index}" if divergence.index is not None else "the end"
            await ws.close(code=1008, message=f"replay diverged at {where}".encode()[:123])
