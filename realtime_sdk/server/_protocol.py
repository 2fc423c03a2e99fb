"""The Realtime protocol of one connection, without the socket: client events in, server events out.

``handle`` takes one decoded client event and either applies it (emitting the server's answers through
``emit``) or emits one ``error`` event carrying the client's ``event_id`` and changes nothing.  Responses
run as tasks (so ``response.cancel`` and audio can arrive meanwhile); at most one response that writes to
the conversation is active at a time, out-of-band ones (``conversation: "none"``) run beside it.

The collaborators get this object through the narrow ``Protocol`` types they declare (``ResponseHost``,
``TurnHost``, ``TranscriptionHost``, ``ItemHost``), so none of them imports this module.

Kinds of connection: a realtime session (the default); a transcription session (``intent=transcription``:
``session.type`` is ``"transcription"``, committed audio is transcribed, nothing answers); a sideband
(``?call_id=``): no ``session.created``, an id starting ``sess_u0_``, audio goes to the call (see
``_responses``), and ``output_audio_buffer.clear`` is accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from .. import events
from .._generated import (
    CLIENT_EVENT_TYPES,
    ConversationItemAdded,
    ConversationItemCreate,
    ConversationItemDelete,
    ConversationItemDeleted,
    ConversationItemDone,
    ConversationItemRetrieve,
    ConversationItemTruncate,
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCommit,
    InputAudioBufferCommitted,
    OutputAudioBufferClear,
    OutputAudioBufferCleared,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
    RealtimeResponseCreateParams,
    RealtimeSessionCreateRequestGA,
    RealtimeSessionCreateResponseGA,
    RealtimeTranscriptionSessionCreateRequestGA,
    RealtimeTranscriptionSessionCreateResponseGA,
    ResponseCancel,
    ResponseCreate,
    SessionCreated,
    SessionUpdate,
    SessionUpdated,
)
from .._struct import Struct
from ._codec import WireFormat
from ._conversation import Conversation
from ._errors import ClientError, error_event, from_validation
from ._ids import new_id
from ._input_audio import InputAudio
from ._items import create_item, retrieve_item, truncate_item
from ._profiles import profile_for
from ._responses import ResponseRun
from ._session_config import (
    check_range,
    check_tools,
    default_session,
    default_transcription_session,
    merge,
    merge_transcription,
    to_struct,
)
from ._speech_ports import Synthesizer, ToneSynthesizer, Transcriber
from ._transcription import InputTranscription
from .models import Model, ModelRequest, Reply

Emit = Callable[[Struct], None]
RATE_LIMITS_SKIP_EVERY = 3
"""The real service sends ``rate_limits.updated`` after most responses, not all (which ones is not
knowable from outside); locally every third response goes without one, deterministically."""


class Protocol:
    def __init__(
        self,
        emit: Emit,
        *,
        model: Model,
        session_model: str,
        session_ttl: float,
        pace_audio: bool,
        on_bug: Callable[[str], None] = lambda what: None,
        synthesizer: Synthesizer | None = None,
        transcriber: Transcriber | None = None,
        kind: str = "realtime",
        sideband: bool = False,
    ) -> None:
        self.emit = emit
        self.on_bug = on_bug
        self.model = model
        self.pace_audio = pace_audio
        self.session_ttl = session_ttl
        self.synthesizer: Synthesizer = synthesizer or ToneSynthesizer()
        self.transcriber = transcriber
        """When given, user audio is transcribed by it instead of by ``model.transcribe``."""
        self.kind = kind
        self.sideband = sideband
        self.profile = profile_for(session_model)
        session_id = new_id("sess_u0" if sideband else "sess")
        expires_at = int(time.time() + session_ttl)
        self.session: dict[str, Any] = (
            default_transcription_session(session_id, expires_at)
            if kind == "transcription"
            else default_session(session_id, session_model, expires_at)
        )
        self.conversation = Conversation()
        self.conversation_id = new_id("conv")
        self.audio_in = InputAudio(self)
        self.audio_in.configure(self.session)
        self.active: ResponseRun | None = None
        self.out_of_band: set[ResponseRun] = set()
        self._auto_pending = False
        self.tokens_used = 0
        self.responses_done = 0
        self.rate_limits_always = False
        self.last_run: ResponseRun | None = None
        self.on_expired: Callable[[], Awaitable[None]] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.transcription = InputTranscription(self)
        self._unclaimed: list[asyncio.Event] = []
        """Transcript releases of turns just committed, for the response that answers them."""
        self._expiry: asyncio.TimerHandle | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self, initial: RealtimeSessionCreateRequestGA | None = None) -> None:
        if initial is not None and self.kind == "realtime":  # configured through an ephemeral key
            self.session = merge(self.session, initial)
            self.audio_in.configure(self.session)
        if not self.sideband:  # a sideband joins a session that exists: the service sends no session.created
            self.emit(SessionCreated(event_id=new_id("event"), session=self.session_struct()))
        self._expiry = asyncio.get_running_loop().call_later(self.session_ttl, self._expire)

    async def stop(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def session_struct(
        self,
    ) -> RealtimeSessionCreateResponseGA | RealtimeTranscriptionSessionCreateResponseGA:
        return to_struct(self.session)

    # -- what the collaborators ask ------------------------------------------------------------------
    @property
    def input_format(self) -> WireFormat:
        return self.audio_in.format

    def responding(self) -> bool:
        return self.active is not None or bool(self.out_of_band)

    async def transcribe(self, pcm16_24k: bytes, item_id: str) -> str:
        if self.transcriber is not None:
            return await self.transcriber.transcribe(pcm16_24k)
        return await self.model.transcribe(pcm16_24k, item_id)

    async def transcripts_for(self, items: list[Any]) -> dict[str, str]:
        return await self.transcription.for_items(items)

    async def respond(self, request: ModelRequest) -> Reply:
        return await self.model.respond(request)

    def rate_limits_due(self) -> bool:
        self.responses_done += 1
        return self.rate_limits_always or self.responses_done % RATE_LIMITS_SKIP_EVERY != 0

    def _expire(self) -> None:
        minutes = self.session_ttl / 60
        self.emit(
            error_event("session_expired", f"Your session hit the maximum duration of {minutes:g} minutes.")
        )
        if self.on_expired is not None:
            self.spawn(self.on_expired())

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.on_bug(f"task {task.get_coro()!r} raised {task.exception()!r}")

    # -- dispatch ----------------------------------------------------------------------------------
    def malformed(self, why: str) -> None:
        self.emit(error_event("invalid_json", f"The server could not parse the JSON frame: {why}"))

    def handle(self, event: events.AnyClientEvent) -> None:
        event_id = getattr(event, "event_id", msgspec.UNSET)
        try:
            if isinstance(event, events.UnknownClientEvent):
                given = event.raw.get("event_id")
                event_id = given if isinstance(given, str) else None  # the echo must stay a valid event
                self._unknown(event)
            else:
                self._dispatch(event)
        except ClientError as exc:
            self.emit(error_event(exc.code, exc.message, param=exc.param, event_id=event_id))

    def _dispatch(self, event: events.ClientEvent) -> None:
        match event:
            case SessionUpdate():
                self._session_update(event)
            case InputAudioBufferAppend():
                self.audio_in.append(event)
            case InputAudioBufferCommit():
                self.audio_in.commit()
            case InputAudioBufferClear():
                self.audio_in.clear()
            case ConversationItemCreate():
                create_item(self, event)
            case ConversationItemRetrieve():
                retrieve_item(self, event)
            case ConversationItemDelete():
                self.conversation.delete(event.item_id)
                self.emit(ConversationItemDeleted(event_id=new_id("event"), item_id=event.item_id))
            case ConversationItemTruncate():
                truncate_item(self, event)
            case ResponseCreate():
                self._response_create(event)
            case ResponseCancel():
                self._response_cancel(event)
            case OutputAudioBufferClear():
                self._output_audio_clear()
            case _:  # pragma: no cover - every client event type is matched above
                raise ClientError("invalid_value", f"Unsupported event type: '{event.type}'.", "type")

    def _unknown(self, event: events.UnknownClientEvent) -> None:
        if not event.known_type:
            supported = ", ".join(f"'{t}'" for t in sorted(CLIENT_EVENT_TYPES))
            shown = event.type or event.raw.get("type")
            raise ClientError(
                "invalid_value", f"Invalid value: '{shown}'. Supported values are: {supported}.", "type"
            )
        raise from_validation(event.error)

    # -- session -----------------------------------------------------------------------------------
    def _output_audio_clear(self) -> None:
        if not self.sideband:
            raise ClientError(
                "invalid_value",
                "output_audio_buffer.clear is only supported for WebRTC and SIP connections.",
                "type",
            )
        run = self.last_run
        if run is not None:
            run.audio_cleared()
            self.emit(OutputAudioBufferCleared(event_id=new_id("event"), response_id=run.id))

    def _session_update(self, event: SessionUpdate) -> None:
        if self.kind == "transcription":
            if not isinstance(event.session, RealtimeTranscriptionSessionCreateRequestGA):
                raise ClientError(
                    "invalid_value",
                    "Invalid value: 'realtime'. Value must be 'transcription'.",
                    "session.type",
                )
            self.session = merge_transcription(self.session, event.session)
            self.audio_in.configure(self.session)
            self.emit(SessionUpdated(event_id=new_id("event"), session=self.session_struct()))
            return
        if not isinstance(event.session, RealtimeSessionCreateRequestGA):
            raise ClientError(
                "invalid_value", "Invalid value: 'transcription'. Value must be 'realtime'.", "session.type"
            )
        new = merge(self.session, event.session)
        voice = new["audio"]["output"]["voice"]
        if voice != self.session["audio"]["output"]["voice"] and self.conversation.assistant_audio_ms:
            # The service fixes the voice once the model has spoken in this conversation.
            raise ClientError(
                "cannot_update_voice", "Cannot update a conversation's voice if assistant audio is present."
            )
        self.session = new
        self.audio_in.configure(self.session)
        self.emit(SessionUpdated(event_id=new_id("event"), session=self.session_struct()))

    # -- input audio -------------------------------------------------------------------------------
    def commit_user_audio(self, pcm24: bytes, item_id: str) -> None:
        item = RealtimeConversationItemMessage(
            id=item_id,
            status="completed",
            role="user",
            content=[RealtimeConversationItemMessageContentItem(type="input_audio", transcript=None)],
        )
        prev = self.conversation.insert(item, None)
        self.conversation.user_audio[item_id] = pcm24
        self.emit(InputAudioBufferCommitted(event_id=new_id("event"), previous_item_id=prev, item_id=item_id))
        self.emit(ConversationItemAdded(event_id=new_id("event"), previous_item_id=prev, item=item))
        self.emit(ConversationItemDone(event_id=new_id("event"), previous_item_id=prev, item=item))
        release = asyncio.Event()
        self._unclaimed.append(release)
        # The response that answers this turn (started right after, in the same step) claims the release;
        # a turn nobody answers gets its transcript events at once.
        asyncio.get_running_loop().call_soon(self._release_unclaimed, release)
        self.transcription.start(pcm24, item_id, self.session["audio"]["input"].get("transcription"), release)

    def _release_unclaimed(self, release: asyncio.Event) -> None:
        if release in self._unclaimed:
            self._unclaimed.remove(release)
            release.set()

    # -- responses ---------------------------------------------------------------------------------
    def _response_create(self, event: ResponseCreate) -> None:
        if self.kind == "transcription":
            raise ClientError(
                "invalid_value", "Responses are not supported in transcription sessions.", "type"
            )
        params = event.response if isinstance(event.response, RealtimeResponseCreateParams) else None
        params = params or RealtimeResponseCreateParams()
        if params.conversation not in (msgspec.UNSET, None, "auto", "none"):
            raise ClientError(
                "invalid_value",
                f"Invalid value: '{params.conversation}'. Supported values are: 'auto' and 'none'.",
                "response.conversation",
            )
        modalities = params.output_modalities
        if isinstance(modalities, list) and sorted(modalities) not in (["audio"], ["text"]):
            raise ClientError(
                "invalid_value",
                f"Invalid modalities: {modalities}. Supported combinations are: ['text'] and ['audio'].",
                "response.output_modalities",
            )
        if isinstance(params.tools, list):
            check_tools(msgspec.to_builtins(params.tools), "response.tools")
        if isinstance(params.max_output_tokens, int):
            check_range(params.max_output_tokens, 1, 4096, "response.max_output_tokens")
        if params.conversation != "none" and self.active is not None:
            raise ClientError(
                "conversation_already_has_active_response",
                f"Conversation already has an active response in progress: {self.active.id}. "
                "Wait until the response is finished before creating a new one.",
            )
        self._start(params)

    def _start(self, params: RealtimeResponseCreateParams) -> None:
        run = ResponseRun(self, params)
        self.last_run = run
        if run.in_conversation:
            self.active = run
            claimed, self._unclaimed = self._unclaimed, []
            self.spawn(_release_when_streaming(run, claimed))
        else:
            self.out_of_band.add(run)
        self.spawn(run.run())

    def auto_response(self) -> None:
        """A VAD turn ended with ``create_response``: answer it.

        If the previous response is still winding down after an interruption, the answer starts right
        after its ``response.done``; if a response is running uninterrupted (``interrupt_response`` off),
        the turn gets no automatic answer of its own.
        """
        if self.kind == "transcription":
            return  # nothing answers in a transcription session
        if self.active is None:
            self._start(RealtimeResponseCreateParams())
        elif self.active.cancelled:
            self._auto_pending = True

    def interrupt(self, reason: str) -> None:
        if self.active is not None:
            self.active.cancel(reason)

    def response_finished(self, run: ResponseRun) -> None:
        """Called by a run just before it sends ``response.done``."""
        self.audio_in.response_played(run.usage.out_audio_ms)
        if self.active is run:
            self.active = None
            if self._auto_pending:
                self._auto_pending = False
                self._start(RealtimeResponseCreateParams())
        self.out_of_band.discard(run)

    def _response_cancel(self, event: ResponseCancel) -> None:
        if self.kind == "transcription":
            raise ClientError(
                "invalid_value", "Responses are not supported in transcription sessions.", "type"
            )
        wanted = event.response_id if isinstance(event.response_id, str) else None
        runs = [r for r in (self.active, *self.out_of_band) if r is not None and not r.cancelled]
        target = next((r for r in runs if wanted is None or r.id == wanted), None)
        if wanted is None and self.active is not None and not self.active.cancelled:
            target = self.active
        if target is None:
            raise ClientError("response_cancel_not_active", "Cancellation failed: no active response found")
        target.cancel("client_cancelled")


async def _release_when_streaming(run: ResponseRun, releases: list[asyncio.Event]) -> None:
    await run.streaming.wait()
    for release in releases:
        release.set()
