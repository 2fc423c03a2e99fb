"""Response handles: one ``response.create`` and the events the server sends for it.

Theory of operation
-------------------
``create_response`` tags its ``response.create`` with ``metadata={"sdk_response_id": <tag>}`` (merged with
the caller's metadata; the API echoes metadata back in ``response.created``).  The reader binds the handle
to the server's response id when a ``response.created`` carrying that tag arrives, and from then on routes
every event whose ``response_id`` (or ``response.id``) matches into the handle.  The handle accumulates
text, transcript and audio as they pass, so ``text()`` / ``audio()`` / ``done()`` work whether or not the
app also iterates the handle; iteration gets the events themselves through a bounded ``EventStream``.

``response.done`` completes the handle; a dropped connection fails it with ``ConnectionClosed``; an
``error`` answering the ``response.create`` itself fails it with ``ServerError``.

Chains (``final()``): a response whose function calls the SDK answers (``_tool_runner.py``) is followed by
a response the SDK asks for itself.  Each handle holds a future, ``_next``, for what follows it: ``None``
(nothing: the tool runner decides so at this response's ``response.done``, in the same step that hands it
the calls), the follow-up's handle (set by the tool runner once the follow-up's ``response.created``
arrived), or the error that broke the chain.  It is a future, so ``final()`` called at any time, before
or after the follow-up started or finished, reads the same chain.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

from .._generated import (
    RealtimeConversationItemMessage,
    RealtimeResponse,
    RealtimeResponseStatusDetails,
    RealtimeResponseStatusDetailsError,
    ResponseCreated,
    ResponseDone,
    ResponseOutputAudioDelta,
    ResponseOutputAudioTranscriptDelta,
    ResponseOutputItemAdded,
    ResponseOutputTextDelta,
)
from ..audio._sizes import AUDIO_FORMATS, AudioFormat, Encoding, default_sample_rate, sample_rate_of
from ..errors import ResponseFailedError, ResponseTimeoutError
from ..events import AnyServerEvent
from ..protocol import METADATA_KEY
from ._streams import EventStream

__all__ = ["METADATA_KEY", "ResponseHandle", "new_tag"]


def new_tag() -> str:
    return uuid.uuid4().hex


class ResponseHandle:
    """One response: iterate it for its events, or await ``text()``, ``audio()``, ``done()``."""

    def __init__(self, tag: str, *, out_of_band: bool, maxsize: int) -> None:
        self.tag = tag
        self.out_of_band = out_of_band
        """True when the response runs outside the default conversation (``conversation="none"``)."""
        self.started_by_server = False
        """True for a response the app did not ask for (server VAD, a commit that starts one...)."""
        self.id: str | None = None
        """The server's response id, known once ``response.created`` arrived."""
        self.response: RealtimeResponse | None = None
        """The latest response object: from ``response.created``, then ``response.done``."""
        self._events: EventStream[AnyServerEvent] = EventStream(
            maxsize, name=f"response {tag[:8]}", warn=False
        )
        loop = asyncio.get_running_loop()
        self._created: asyncio.Future[RealtimeResponse] = loop.create_future()
        self._done: asyncio.Future[RealtimeResponse] = loop.create_future()
        self._next: asyncio.Future[ResponseHandle | None] = loop.create_future()
        self._text: list[str] = []
        self._transcript: list[str] = []
        self._commentary: list[str] = []
        self._commentary_items: set[str] = set()  # messages with phase "commentary" (a preamble)
        self._audio: list[bytes] = []
        self._audio_parts: dict[tuple[str, int], list[bytes]] = {}

    def __repr__(self) -> str:
        state = "done" if self._done.done() else ("created" if self.id else "pending")
        return f"<ResponseHandle id={self.id!r} {state}>"

    # -- the app's side ------------------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[AnyServerEvent]:
        """Yield this response's events, ``response.created`` to ``response.done`` inclusive."""
        return self._events.__aiter__()

    async def done(self, *, timeout: float | None = None) -> RealtimeResponse:  # noqa: ASYNC109
        """Wait for ``response.done``; return the final response (status, output, usage).

        Raises ``ResponseFailedError`` when the status is ``failed``, ``ServerError`` when the server refused
        the ``response.create``, ``ConnectionClosed`` when the connection ended first, and
        ``ResponseTimeoutError`` when ``timeout`` seconds pass first (the response goes on).
        """
        if timeout is None:
            response = await asyncio.shield(self._done)
        else:
            try:
                response = await asyncio.wait_for(asyncio.shield(self._done), timeout)
            except TimeoutError:
                if self._done.done():  # finished just as the time ran out: the answer stands
                    response = self._done.result()
                else:
                    raise ResponseTimeoutError(
                        f"response {self.id or self.tag[:8]} not done within {timeout} s"
                    ) from None
        if response.status == "failed":
            raise _failure(response)
        return response

    async def final(self, *, timeout: float | None = None) -> ResponseHandle:  # noqa: ASYNC109
        """The handle of the chain's final response: the answer after the tools this response called.

        When the model calls tools that the SDK runs (or that the app answers with ``send_tool_result``),
        the SDK sends their outputs and asks for the next response itself; that one may call tools again.
        ``final()`` follows the chain and returns, once it is done, the first response the SDK asked for no
        follow-up after: one that called no tools (or an out-of-band one, whose calls are the app's).  For a
        response that called no tools that is this handle.  ``await (await handle.final()).text()`` is the
        answer.  Safe to call at any time: events of the follow-ups are kept whether or not anybody waits.

        Raises what ``done()`` raises for any response of the chain (``ResponseFailedError``,
        ``ServerError``, ``ConnectionClosed`` when the connection ended first), the error that kept the SDK
        from asking for a follow-up (``ServerError``, ``RequestTimeoutError``, ``ConnectionClosed``), or
        ``ResponseChainError`` when a response that called tools was cancelled or another response answered
        its outputs.  A response lost with a dropped connection raises ``ConnectionClosed`` even when a
        reconnect answers its calls.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        handle = self
        while True:
            left = None if deadline is None else max(0.0, deadline - loop.time())
            await handle.done(timeout=left)
            if handle._next.done():
                following = handle._next.result()
            else:
                left = None if deadline is None else max(0.0, deadline - loop.time())
                try:
                    following = await asyncio.wait_for(asyncio.shield(handle._next), left)
                except TimeoutError:
                    if not handle._next.done():
                        raise ResponseTimeoutError(f"chain not final within {timeout} s") from None
                    following = handle._next.result()
            if following is None:
                return handle
            handle = following

    async def text(self, *, timeout: float | None = None) -> str:  # noqa: ASYNC109
        """The response's text: the output text, or for an audio response the transcript of its audio.

        A preamble (a message the model marks ``phase: "commentary"``, said before it calls tools or
        answers) is not part of it: ``commentary()`` gives that.
        """
        await self.done(timeout=timeout)
        return "".join(self._text) if self._text else "".join(self._transcript)

    async def commentary(self, *, timeout: float | None = None) -> str:  # noqa: ASYNC109
        """The response's preamble: text (or audio transcript) of its ``phase: "commentary"`` messages."""
        await self.done(timeout=timeout)
        return "".join(self._commentary)

    async def transcript(self, *, timeout: float | None = None) -> str:  # noqa: ASYNC109
        """The transcript of the response's audio."""
        await self.done(timeout=timeout)
        return "".join(self._transcript)

    async def audio(
        self,
        *,
        sample_rate: int | None = None,
        encoding: Encoding = "pcm16",
        channels: int = 1,
        timeout: float | None = None,  # noqa: ASYNC109 - ends the wait, not the response
    ) -> bytes:
        """All of the response's audio, once it is done.

        Without arguments: the wire bytes, in the response's output format (24 kHz PCM16 by default).  With
        ``sample_rate`` (and ``encoding``, ``channels``): converted to that, each part resampled on its own and
        the parts joined in the order their audio began.  Without ``sample_rate`` a G.711 ``encoding`` is
        8 kHz and a linear one keeps the wire format's rate.  Audio received after an interruption is
        included; use ``session.output_audio()`` for what should be played.  ``timeout`` as in ``done()``.
        """
        await self.done(timeout=timeout)
        if sample_rate is None and encoding == "pcm16" and channels == 1:
            return b"".join(self._audio)
        fmt = getattr(getattr(getattr(self.response, "audio", None), "output", None), "format", None)
        kind = getattr(fmt, "type", None)
        wire = cast(AudioFormat, kind) if kind in AUDIO_FORMATS else "audio/pcm"
        if sample_rate is None and encoding not in ("pcmu", "pcma"):
            sample_rate = sample_rate_of(wire)
        rate = default_sample_rate(sample_rate, encoding)
        from ..audio._convert import from_wire  # numpy and soxr load on first conversion

        return b"".join(
            from_wire(b"".join(chunks), wire, rate, out_encoding=encoding, channels=channels)
            for chunks in self._audio_parts.values()
        )

    @property
    def is_done(self) -> bool:
        return self._done.done()

    # -- the reader's side --------------------------------------------------------------------------

    def _bind(self, event: ResponseCreated) -> None:
        self.id = event.response.id if isinstance(event.response.id, str) else None
        self.response = event.response
        if not self._created.done():
            self._created.set_result(event.response)

    async def _feed(self, event: AnyServerEvent) -> None:
        if not self._feed_nowait(event):
            self._collect(event)
            await self._events.put(event)
            if isinstance(event, ResponseDone):
                self._finish(event.response)

    def _feed_nowait(self, event: AnyServerEvent) -> bool:
        """``_feed`` without a coroutine when the event stream has room; ``False``: nothing done."""
        if not self._events.has_room:
            return False
        self._collect(event)
        self._events.put_nowait(event)
        if isinstance(event, ResponseDone):
            self._finish(event.response)
        return True

    def _feed_unchecked(self, event: AnyServerEvent) -> None:
        """``_feed_nowait`` for an event that is not ``response.done``, the stream's room already checked."""
        self._collect(event)
        self._events.put_nowait(event)

    def _collect(self, event: AnyServerEvent) -> None:
        kind = event.type
        if kind == "response.output_text.delta" and isinstance(event, ResponseOutputTextDelta):
            (self._commentary if event.item_id in self._commentary_items else self._text).append(event.delta)
        elif kind == "response.output_audio_transcript.delta" and isinstance(
            event, ResponseOutputAudioTranscriptDelta
        ):
            target = self._commentary if event.item_id in self._commentary_items else self._transcript
            target.append(event.delta)
        elif kind == "response.output_audio.delta" and isinstance(event, ResponseOutputAudioDelta):
            self._audio.append(event.delta)
            self._audio_parts.setdefault((event.item_id, event.content_index), []).append(event.delta)
        elif isinstance(event, ResponseOutputItemAdded):
            item = event.item
            if isinstance(item, RealtimeConversationItemMessage) and item.phase == "commentary":
                if isinstance(item.id, str):
                    self._commentary_items.add(item.id)

    def _finish(self, response: RealtimeResponse) -> None:
        self.response = response
        if not self._text and not self._transcript and not self._commentary:
            self._text_from_output(response)
        if not self._done.done():
            self._done.set_result(response)
        self._events.close()

    def _follow(self, following: ResponseHandle | BaseException | None) -> None:
        """What comes after this response in its chain: a follow-up, nothing (``None``) or an error."""
        if self._next.done():
            return
        if isinstance(following, BaseException):
            self._next.set_exception(following)
            self._next.exception()  # nobody may ever call final()
        else:
            self._next.set_result(following)

    def _text_from_output(self, response: RealtimeResponse) -> None:
        # When deltas were not seen (a server that sends only the final response), read the output items.
        for item in response.output or ():
            if isinstance(item, RealtimeConversationItemMessage):
                preamble = item.phase == "commentary"
                for part in item.content:
                    if isinstance(part.text, str):
                        (self._commentary if preamble else self._text).append(part.text)
                    if isinstance(part.transcript, str):
                        (self._commentary if preamble else self._transcript).append(part.transcript)

    def _fail(self, exc: BaseException) -> None:
        futures: tuple[asyncio.Future[Any], ...] = (self._created, self._done, self._next)
        for fut in futures:
            if not fut.done():
                fut.set_exception(exc)
                # Nobody may ever await this handle; its failure is not a "never retrieved" error.
                fut.exception()
        self._events.close(exc)


def _failure(response: RealtimeResponse) -> ResponseFailedError:
    details = response.status_details
    code = kind = reason = None
    if isinstance(details, RealtimeResponseStatusDetails):
        reason = details.reason if isinstance(details.reason, str) else None
        if isinstance(details.error, RealtimeResponseStatusDetailsError):
            code = details.error.code if isinstance(details.error.code, str) else None
            kind = details.error.type if isinstance(details.error.type, str) else None
    message = f"response {response.id} failed" + (f": {reason}" if reason else "")
    return ResponseFailedError(message, response=response, code=code, type=kind)


def merge_metadata(user: dict[str, str] | None, tag: str) -> dict[str, str]:
    merged = dict(user or {})
    merged[METADATA_KEY] = tag
    return merged
