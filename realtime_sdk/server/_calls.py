"""Calls on the local server: WebRTC offers, incoming SIP calls and their control endpoints.

Routes (the real service's paths, authenticated like the websocket):

- ``POST /v1/realtime/calls``: an SDP offer (``application/sdp``, or a multipart form with ``sdp`` and
  ``session``) → ``201`` with an SDP answer and ``Location: /v1/realtime/calls/<call_id>``; the call is live.
- ``POST /v1/realtime/calls/{call_id}/accept | reject | refer | hangup``: ``200`` with an empty body; a call
  the server does not know is ``404`` with an OpenAI-style error body, a call in the wrong state ``400``.

There is no SIP trunk: a test makes a phone call ring with ``ring(webhook_url)``, which posts a signed
``realtime.call.incoming`` to the app's webhook, Standard Webhooks style, with ``webhook_secret``.  A call's
``status`` (in the server's shared ``calls`` registry): ``incoming`` → ``accepted`` (a WebRTC call starts
here) → ``ended`` (hangup) or ``referred`` (refer); ``incoming`` → ``rejected``.  Hangup and refer close
the call's sideband websockets (the caller has left this session).  ``send_dtmf`` makes the
caller press keys: ``input_audio_buffer.dtmf_event_received`` on every sideband of the call; ``say`` makes
the caller speak (a user message, then the answer, as server VAD would start it).

The real service's wording of these HTTP errors is not recorded; the shape (type, code, param) is kept.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
import time
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

import aiohttp
import msgspec
from aiohttp import web

from .._generated import (
    ConversationItemCreate,
    InputAudioBufferDtmfEventReceived,
    RealtimeCallReferRequest,
    RealtimeCallRejectRequest,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
    RealtimeSessionCreateRequestGA,
)
from ._call_state import CallState
from ._ids import new_id
from ._route_host import RouteHost
from ._sdp import SdpError, answer_for

if TYPE_CHECKING:
    from .connection import ServerConnection

__all__ = ["CallControl", "sign"]

_T = TypeVar("_T")
_CREATE = r"(?:/openai)?/v1/realtime/calls"
_CONTROL = r"(?:/openai)?/v1/realtime/calls/(?P<call_id>[^/]+)/(?P<action>accept|reject|refer|hangup)"


class CallControl:
    """Call control on the local server.  ``webhook_secret`` signs the incoming-call webhooks.

    Calls live in the server's ``calls`` registry (shared with the sideband websocket); this adds what
    call control keeps in each call's ``extra``: ``kind`` (``sip``/``webrtc``), ``sdp_offer``,
    ``sdp_answer``, ``sip_headers``, ``reject_status``, ``referred_to`` (a list) and ``webhook_status``.
    """

    def __init__(self, server: RouteHost) -> None:
        self._server = server
        self.webhook_secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        self._changed = asyncio.Condition()
        server.add_route("POST", _CREATE, self._create)
        server.add_route("POST", _CONTROL, self._control)

    async def wait_for_status(self, call_id: str, *statuses: str) -> CallState:
        """The call, once it exists and its ``status`` is one of ``statuses``."""

        def reached() -> bool:
            call = self._server.calls.get(call_id)
            return call is not None and call.status in statuses

        async with self._changed:
            await self._changed.wait_for(reached)
        call = self._server.calls.get(call_id)
        assert call is not None
        return call

    # -- what a test does ----------------------------------------------------------------------
    async def ring(
        self,
        webhook_url: str,
        *,
        sip_headers: list[dict[str, str]] | None = None,
        secret: str | None = None,
    ) -> CallState:
        """A phone call arrives: post a signed ``realtime.call.incoming`` to ``webhook_url``.

        Returns the ringing call (``extra["webhook_status"]`` is the app's answer).  ``secret`` overrides
        ``webhook_secret`` for this delivery (a test of a wrong secret)."""
        headers = sip_headers if sip_headers is not None else _default_sip_headers()
        call = self._server.calls.new()
        call.extra.update(kind="sip", sip_headers=headers, referred_to=[])
        await self._notify()
        event = {
            "object": "event",
            "id": new_id("evt"),
            "type": "realtime.call.incoming",
            "created_at": int(time.time()),
            "data": {"call_id": call.call_id, "sip_headers": headers},
        }
        body = msgspec.json.encode(event)
        signed = sign(body, secret if secret is not None else self.webhook_secret)
        async with (
            aiohttp.ClientSession() as http,
            http.post(webhook_url, data=body, headers={**signed, "Content-Type": "application/json"}) as resp,
        ):
            await resp.read()
            call.extra["webhook_status"] = resp.status
        return call

    def send_dtmf(self, call_id: str, digits: str) -> int:
        """The caller presses ``digits``: one ``dtmf_event_received`` per key on each open sideband.

        Returns the number of sidebands that got them."""
        targets = self._sidebands(call_id)
        for conn in targets:
            for digit in digits:
                conn.send(InputAudioBufferDtmfEventReceived(event=digit, received_at=int(time.time())))
        return len(targets)

    def say(self, call_id: str, text: str) -> int:
        """The caller says ``text``: on each open sideband, a user message and the answer to it.

        The answer starts as server VAD with ``create_response`` starts one at the end of a turn.  No audio
        travels on the local call, so the words arrive as the message's text (``input_text``).  Returns
        the number of sidebands that heard it."""
        targets = self._sidebands(call_id)
        for conn in targets:
            item = RealtimeConversationItemMessage(
                id=new_id("item"),
                role="user",
                content=[RealtimeConversationItemMessageContentItem(type="input_text", text=text)],
            )
            conn.protocol.handle(ConversationItemCreate(item=item))
            conn.protocol.auto_response()
        return len(targets)

    # -- routes --------------------------------------------------------------------------------
    async def _create(self, request: web.Request) -> web.StreamResponse:
        refused, initial = self._server.authenticate(request)
        if refused is not None:
            return refused
        try:
            offer, session = await _read_offer(request)
            answer = answer_for(offer)
        except SdpError as exc:
            return _error(400, f"Invalid SDP offer: {exc}", "invalid_offer", "sdp")
        except _BadRequest as exc:
            return _error(400, exc.message, exc.code, exc.param)
        call = self._server.calls.new()
        call.session = session or initial
        call.status = "accepted"
        call.extra.update(kind="webrtc", sdp_offer=offer, sdp_answer=answer, referred_to=[])
        await self._notify()
        prefix = "/openai/v1" if request.path.startswith("/openai/") else "/v1"
        return web.Response(
            status=201,
            text=answer,
            content_type="application/sdp",
            headers={"Location": f"{prefix}/realtime/calls/{call.call_id}"},
        )

    async def _control(self, request: web.Request) -> web.StreamResponse:
        refused, _ = self._server.authenticate(request)
        if refused is not None:
            return refused
        match = re.fullmatch(_CONTROL, request.path.rstrip("/"))
        assert match is not None  # the route matched this path
        call_id, action = unquote(match["call_id"]), match["action"]
        call = self._server.calls.get(call_id)
        if call is None:
            return _error(404, f"Call '{call_id}' not found.", "call_not_found", "call_id")
        try:
            raw = await request.read()
            if action == "accept":
                self._expect(call, "incoming", action)
                call.session = _decode(raw, RealtimeSessionCreateRequestGA, "session")
                call.status = "accepted"
            elif action == "reject":
                self._expect(call, "incoming", action)
                reject = _decode(raw, RealtimeCallRejectRequest, "body") if raw.strip() else None
                code = reject.status_code if reject is not None else None
                call.extra["reject_status"] = code if isinstance(code, int) else 603
                call.status = "rejected"
            elif action == "refer":
                self._expect(call, "accepted", action)
                refer = _decode(raw, RealtimeCallReferRequest, "body")
                call.extra.setdefault("referred_to", []).append(refer.target_uri)
                call.status = "referred"
                await self._close_sidebands(call)
            else:
                self._expect(call, "accepted", action)
                call.status = "ended"
                await self._close_sidebands(call)
        except _BadRequest as exc:
            return _error(400, exc.message, exc.code, exc.param)
        await self._notify()
        return web.Response(status=200)

    # -- state ---------------------------------------------------------------------------------
    def _expect(self, call: CallState, status: str, action: str) -> None:
        if call.status != status:
            raise _BadRequest(
                f"Cannot {action} call '{call.call_id}': it is {call.status}.",
                "invalid_call_state",
                "call_id",
            )

    async def _close_sidebands(self, call: CallState) -> None:
        for conn in self._sidebands(call.call_id):
            await conn.close(1000, "call ended")

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _sidebands(self, call_id: str) -> list[ServerConnection]:
        call = self._server.calls.get(call_id)
        if call is None:
            return []
        live = [self._server.connections[i] for i in call.sidebands]
        return [conn for conn in live if not conn.closed.is_set()]


def sign(
    body: bytes, secret: str, *, msg_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """Standard Webhooks headers for ``body`` under ``secret`` (``whsec_<base64>``)."""
    msg_id = msg_id or new_id("wh")
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def _default_sip_headers() -> list[dict[str, str]]:
    return [
        {"name": "From", "value": '"Caller" <sip:+14155550100@sip.example.com>;tag=local'},
        {"name": "To", "value": "<sip:+14155550199@sip.api.openai.com>"},
        {"name": "Call-ID", "value": secrets.token_hex(8) + "@sip.example.com"},
    ]


class _BadRequest(Exception):
    def __init__(self, message: str, code: str | None, param: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param


def _decode(raw: bytes, kind: type[_T], where: str) -> _T:
    try:
        return msgspec.json.decode(raw, type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise _BadRequest(f"Invalid {where}: {exc}", "invalid_value", where) from None


async def _read_offer(request: web.Request) -> tuple[str, RealtimeSessionCreateRequestGA | None]:
    if request.content_type == "multipart/form-data":
        form: dict[str, Any] = {}
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, aiohttp.BodyPartReader) and part.name in ("sdp", "session"):
                form[part.name] = (await part.read()).decode()
        if "sdp" not in form:
            raise _BadRequest("Missing required parameter: 'sdp'.", "missing_required_parameter", "sdp")
        session = (
            _decode(form["session"].encode(), RealtimeSessionCreateRequestGA, "session")
            if "session" in form
            else None
        )
        return str(form["sdp"]), session
    if request.content_type == "application/sdp":
        return (await request.read()).decode(errors="replace"), None
    raise _BadRequest(
        f"Unsupported content type '{request.content_type}': send application/sdp or multipart/form-data.",
        "unsupported_content_type",
        None,
    )


def _error(status: int, message: str, code: str | None, param: str | None) -> web.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}
    return web.json_response(body, status=status)
