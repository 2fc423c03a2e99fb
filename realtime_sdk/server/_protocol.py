"""The Realtime protocol of one connection, without the socket: client events in, server events out.

``handle`` takes one decoded client event and either applies it (emitting the server's answers through
``emit``) or emits one ``error`` event carrying the client's ``event_id`` and changes nothing.  Responses
run as tasks (so ``response.cancel`` and audio can arrive meanwhile); at most one response that writes to
the conversation is active at a time, out-of-band ones (``conversation: "none"``) run beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
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
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemInputAudioTranscriptionDelta,
    ConversationItemRetrieve,
    ConversationItemRetrieved,
    ConversationItemTruncate,
    ConversationItemTruncated,
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCommit,
    InputAudioBufferCommitted,
    OutputAudioBufferClear,
    RealtimeConversationItem,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
    RealtimeResponseCreateParams,
    RealtimeSessionCreateRequestGA,
    RealtimeSessionCreateResponseGA,
    ResponseCancel,
    ResponseCreate,
    SessionCreated,
    SessionUpdate,
    SessionUpdated,
    TranscriptTextUsageDuration,
)
from .._struct import Struct
from ._codec import pcm24_ms
from ._conversation import Conversation, prepare_client_item, public_view
from ._errors import ClientError, error_event, from_validation
from ._ids import new_id
from ._input_audio import InputAudio
from ._responses import ResponseRun
from ._session_config import check_range, check_tools, default_session, merge, to_struct
from .models import Model

_WORDS = re.compile(r"\s*\S+")
Emit = Callable[[Struct], None]


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
    ) -> None:
        self.emit = emit
        self.on_bug = on_bug
        self.model = model
        self.pace_audio = pace_audio
        self.session_ttl = session_ttl
        self.session: dict[str, Any] = default_session(
            new_id("sess"), session_model, int(time.time() + session_ttl)
        )
        self.conversation = Conversation()
        self.conversation_id = new_id("conv")
        self.audio_in = InputAudio(self)
        self.audio_in.configure(self.session)
        self.active: ResponseRun | None = None
        self.out_of_band: set[ResponseRun] = set()
        self._auto_pending = False
        self.tokens_used = 0
        self.on_expired: Callable[[], Awaitable[None]] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._transcribing: dict[str, asyncio.Task[str]] = {}
        self._expiry: asyncio.TimerHandle | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self, initial: RealtimeSessionCreateRequestGA | None = None) -> None:
        if initial is not None:  # configured through an ephemeral key (client_secrets)
            self.session = merge(self.session, initial)
            self.audio_in.configure(self.session)
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

    def session_struct(self) -> RealtimeSessionCreateResponseGA:
        return to_struct(self.session)

    def _expire(self) -> None:
        minutes = self.session_ttl / 60
        self.emit(
            error_event("session_expired", f"Your session hit the maximum duration of {minutes:g} minutes.")
        )
        if self.on_expired is not None:
            self._spawn(self.on_expired())

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
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
                self._item_create(event)
            case ConversationItemRetrieve():
                self._item_retrieve(event)
            case ConversationItemDelete():
                self.conversation.delete(event.item_id)
                self.emit(ConversationItemDeleted(event_id=new_id("event"), item_id=event.item_id))
            case ConversationItemTruncate():
                self._item_truncate(event)
            case ResponseCreate():
                self._response_create(event)
            case ResponseCancel():
                self._response_cancel(event)
            case OutputAudioBufferClear():
                raise ClientError(
                    "invalid_value",
                    "output_audio_buffer.clear is only supported for WebRTC and SIP connections.",
                    "type",
                )
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
    def _session_update(self, event: SessionUpdate) -> None:
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

    # -- conversation ------------------------------------------------------------------------------
    def _item_create(self, event: ConversationItemCreate) -> None:
        item = prepare_client_item(self.conversation, event.item)
        previous = event.previous_item_id if isinstance(event.previous_item_id, str) else None
        prev = self.conversation.insert(item, previous)
        if isinstance(item, RealtimeConversationItemMessage) and isinstance(item.id, str):
            for part in item.content:
                if isinstance(part.audio, bytes):
                    fmt = self.audio_in.format
                    audio = part.audio[: len(part.audio) - len(part.audio) % fmt.sample_width]
                    self.conversation.user_audio[item.id] = fmt.to_model(fmt.to_pcm16(audio))
        shown = public_view(item)
        self.emit(ConversationItemAdded(event_id=new_id("event"), previous_item_id=prev, item=shown))
        self.emit(ConversationItemDone(event_id=new_id("event"), previous_item_id=prev, item=shown))

    def _item_retrieve(self, event: ConversationItemRetrieve) -> None:
        item = self.conversation.get(event.item_id)
        if item is None:
            raise ClientError(
                "item_retrieve_invalid_item_id",
                f"Error retrieving item: the item with id '{event.item_id}' does not exist.",
            )
        self.emit(ConversationItemRetrieved(event_id=new_id("event"), item=item))

    def _item_truncate(self, event: ConversationItemTruncate) -> None:
        item = self.conversation.get(event.item_id)
        if item is None:
            raise ClientError(
                "item_truncate_invalid_item_id",
                f"Error truncating item: the item with id '{event.item_id}' does not exist.",
            )
        if not (
            isinstance(item, RealtimeConversationItemMessage)
            and item.role == "assistant"
            and 0 <= event.content_index < len(item.content)
            and item.content[event.content_index].type == "output_audio"
        ):
            raise ClientError("unsupported_content_type", "Only model output audio messages can be truncated")
        if event.audio_end_ms < 0:
            raise ClientError(
                "integer_below_min_value",
                f"Invalid 'audio_end_ms': integer below minimum value. Expected a value >= 0, but got "
                f"{event.audio_end_ms} instead.",
                "audio_end_ms",
            )
        length = self.conversation.assistant_audio_ms.get(event.item_id, 0.0)
        if event.audio_end_ms > length:
            raise ClientError(
                "invalid_value",
                f"Audio content of {int(length)}ms is already shorter than {event.audio_end_ms}ms",
                "audio_end_ms",
            )
        # Truncation also drops the transcript, so no text the user did not hear stays in the context.
        content = list(item.content)
        content[event.content_index] = RealtimeConversationItemMessageContentItem(
            type="output_audio", transcript=""
        )
        index = self.conversation.items.index(item)
        self.conversation.items[index] = msgspec.structs.replace(item, content=content)
        self.conversation.assistant_audio_ms[event.item_id] = float(event.audio_end_ms)
        self.conversation.truncated.add(event.item_id)
        self.emit(
            ConversationItemTruncated(
                event_id=new_id("event"),
                item_id=event.item_id,
                content_index=event.content_index,
                audio_end_ms=event.audio_end_ms,
            )
        )

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
        transcription = self.session["audio"]["input"].get("transcription")
        task = self._spawn(self._transcribe(pcm24, item_id, transcription))
        self._transcribing[item_id] = task

    async def _transcribe(self, pcm24: bytes, item_id: str, config: dict[str, Any] | None) -> str:
        text = await self.model.transcribe(pcm24, item_id)
        self.conversation.transcripts[item_id] = text
        if config is None:
            return text
        await asyncio.sleep(0)  # let the turn's response start first, as on the real service
        if config.get("model") != "whisper-1":
            for word in _WORDS.findall(text):
                self.emit(
                    ConversationItemInputAudioTranscriptionDelta(
                        event_id=new_id("event"), item_id=item_id, content_index=0, delta=word
                    )
                )
        self.emit(
            ConversationItemInputAudioTranscriptionCompleted(
                event_id=new_id("event"),
                item_id=item_id,
                content_index=0,
                transcript=text,
                usage=TranscriptTextUsageDuration(seconds=float(max(1, round(pcm24_ms(pcm24) / 1000)))),
            )
        )
        item = self.conversation.get(item_id)
        if isinstance(item, RealtimeConversationItemMessage):
            content = [RealtimeConversationItemMessageContentItem(type="input_audio", transcript=text)]
            self.conversation.items[self.conversation.items.index(item)] = msgspec.structs.replace(
                item, content=content
            )
        return text

    async def transcripts_for(self, items: list[RealtimeConversationItem]) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in items:
            if isinstance(item.id, str) and item.id in self._transcribing:
                out[item.id] = await asyncio.shield(self._transcribing[item.id])
        return out

    # -- responses ---------------------------------------------------------------------------------
    def _response_create(self, event: ResponseCreate) -> None:
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
        if run.in_conversation:
            self.active = run
        else:
            self.out_of_band.add(run)
        self._spawn(run.run())

    def auto_response(self) -> None:
        """A VAD turn ended with ``create_response``: answer it.

        If the previous response is still winding down after an interruption, the answer starts right
        after its ``response.done``; if a response is running uninterrupted (``interrupt_response`` off),
        the turn gets no automatic answer of its own.
        """
        if self.active is None:
            self._start(RealtimeResponseCreateParams())
        elif self.active.cancelled:
            self._auto_pending = True

    def interrupt(self, reason: str) -> None:
        if self.active is not None:
            self.active.cancel(reason)

    def response_finished(self, run: ResponseRun) -> None:
        """Called by a run just before it sends ``response.done``."""
        if self.active is run:
            self.active = None
            if self._auto_pending:
                self._auto_pending = False
                self._start(RealtimeResponseCreateParams())
        self.out_of_band.discard(run)

    def _response_cancel(self, event: ResponseCancel) -> None:
        wanted = event.response_id if isinstance(event.response_id, str) else None
        runs = [r for r in (self.active, *self.out_of_band) if r is not None and not r.cancelled]
        target = next((r for r in runs if wanted is None or r.id == wanted), None)
        if wanted is None and self.active is not None and not self.active.cancelled:
            target = self.active
        if target is None:
            raise ClientError("response_cancel_not_active", "Cancellation failed: no active response found.")
        target.cancel("client_cancelled")
