"""One response, start to finish, in the order the real service sends it.

    response.created
    per output item:
      response.output_item.added, conversation.item.added (not for out-of-band responses)
      message:  response.content_part.added, deltas (text; or audio with transcript deltas leading),
                response.output_text.done | response.output_audio.done + response.output_audio_transcript.done,
                response.content_part.done
      function call: response.function_call_arguments.delta..., response.function_call_arguments.done
      conversation.item.done (not out-of-band), response.output_item.done
    response.done (with usage), rate_limits.updated (after most responses: see ``rate_limits_due``)

Models with preambles (``ModelProfile.phases``): every assistant message carries ``phase`` —
``"commentary"`` when a function call follows it in the same reply, else ``"final_answer"`` — and with
``overlapping_calls`` the function call item opens (and streams its arguments) after the preamble's
deltas but before the preamble's ``.done`` events, as the recorded gpt-realtime-2.1 traffic does.

``conversation.item.done`` of an output item has ``previous_item_id: null`` while no model output (an
assistant message or a function call) precedes it in the conversation, as recorded; later ones name the
item before them.

On a sideband connection (``?call_id=``) audio goes to the call, not the websocket: no
``response.output_audio.delta``; ``output_audio_buffer.started`` follows the first transcript delta and
``output_audio_buffer.stopped`` follows ``response.done``.

Cancellation (``response.cancel`` or speech with ``interrupt_response``) is checked between deltas: the
open item is closed with its ``.done`` events (status ``incomplete``, the transcript sent so far), no
further item starts, and ``response.done`` says ``cancelled`` with reason ``client_cancelled`` or
``turn_detected``.  Reaching ``max_output_tokens`` (counted as in ``_usage``) stops the response the same
way after the delta that reached it, and ``response.done`` says ``incomplete`` with reason
``max_output_tokens``.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable
from typing import Any, Protocol

import msgspec

from .._generated import (
    ConversationItemAdded,
    ConversationItemDone,
    OutputAudioBufferStarted,
    OutputAudioBufferStopped,
    RealtimeAudioFormats,
    RealtimeConversationItem,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
    RealtimeResponse,
    RealtimeResponseAudio,
    RealtimeResponseAudioOutput,
    RealtimeResponseCreateParams,
    RealtimeResponseCreateParamsAudio,
    RealtimeResponseCreateParamsAudioOutput,
    RealtimeResponseStatusDetails,
    RealtimeResponseStatusDetailsError,
    ResponseContentPartAdded,
    ResponseContentPartAddedPart,
    ResponseContentPartDone,
    ResponseContentPartDonePart,
    ResponseCreated,
    ResponseDone,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputAudioDelta,
    ResponseOutputAudioDone,
    ResponseOutputAudioTranscriptDelta,
    ResponseOutputAudioTranscriptDone,
    ResponseOutputItemAdded,
    ResponseOutputItemDone,
    ResponseOutputTextDelta,
    ResponseOutputTextDone,
)
from .._struct import Struct
from ._codec import WireFormat, pcm24_ms
from ._conversation import Conversation
from ._ids import new_id
from ._profiles import ModelProfile
from ._speech_ports import Synthesizer
from ._usage import Usage, rate_limits, text_tokens
from .models import ModelRequest, Reply, ReplyPart

DELTA_MS = 100
"""Audio per ``response.output_audio.delta``."""
_WORDS = re.compile(r"\s*\S+")
_Finish = Callable[[], None]


class ResponseHost(Protocol):
    """What a response needs from its connection."""

    session: dict[str, Any]
    conversation: Conversation
    conversation_id: str
    pace_audio: bool
    profile: ModelProfile
    sideband: bool
    synthesizer: Synthesizer
    tokens_used: int

    def emit(self, event: Struct) -> None: ...

    def on_bug(self, what: str) -> None: ...

    async def transcripts_for(self, items: list[RealtimeConversationItem]) -> dict[str, str]: ...

    async def respond(self, request: ModelRequest) -> Reply: ...

    def response_finished(self, run: ResponseRun) -> None: ...

    def rate_limits_due(self) -> bool: ...


class ResponseRun:
    def __init__(self, proto: ResponseHost, params: RealtimeResponseCreateParams) -> None:
        self.proto = proto
        self.id = new_id("resp")
        session = proto.session
        self.in_conversation = params.conversation != "none"
        self.modalities = list(_given(params.output_modalities) or session["output_modalities"])
        out = params.audio.output if isinstance(params.audio, RealtimeResponseCreateParamsAudio) else None
        fmt = out.format if isinstance(out, RealtimeResponseCreateParamsAudioOutput) else None
        voice = out.voice if isinstance(out, RealtimeResponseCreateParamsAudioOutput) else None
        fmt = _given(fmt)
        self.format: RealtimeAudioFormats = fmt or msgspec.convert(
            session["audio"]["output"]["format"], RealtimeAudioFormats
        )
        self.wire = WireFormat(self.format.type)
        self.voice = voice if isinstance(voice, str) else session["audio"]["output"]["voice"]
        self.instructions = _given(params.instructions)
        if self.instructions is None:
            self.instructions = session["instructions"]
        tools: list[Any] = (
            msgspec.to_builtins(params.tools) if _given(params.tools) is not None else session["tools"]
        )
        choice = _given(params.tool_choice) or session["tool_choice"]
        self.tools = [] if choice == "none" else [t["name"] for t in tools if t.get("type") == "function"]
        self.metadata = params.metadata if isinstance(params.metadata, dict) else None
        self.max_output_tokens = _given(params.max_output_tokens) or session["max_output_tokens"]
        given_input = _given(params.input)
        self.input: list[RealtimeConversationItem] | None = list(given_input) if given_input else None
        self.output: list[RealtimeConversationItem] = []
        limit = self.max_output_tokens
        self.token_limit = limit if isinstance(limit, int) else None
        self.cancel_reason: str | None = None
        self.out_of_tokens = False
        self._cancelled = asyncio.Event()
        self.usage = Usage()
        self.streaming = asyncio.Event()
        """Set at the first output delta (or at the end): the turn's input transcript may now arrive."""
        self._audio_started = False

    # -- control -----------------------------------------------------------------------------------
    def cancel(self, reason: str) -> None:
        if self.cancel_reason is None:
            self.cancel_reason = reason
            self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_reason is not None

    @property
    def stopped(self) -> bool:
        """Cancelled, or out of output tokens: no further delta or item."""
        return self.cancelled or self.out_of_tokens

    def _spend(self, text: str = "", audio_ms: float = 0.0) -> None:
        """Note the open item's output so far; past ``max_output_tokens`` the response stops."""
        if self.token_limit is not None and self.usage.output_with(text, audio_ms) >= self.token_limit:
            self.out_of_tokens = True

    # -- the run -----------------------------------------------------------------------------------
    async def run(self) -> None:
        emit = self.proto.emit
        emit(ResponseCreated(event_id=new_id("event"), response=self._response("in_progress")))
        try:
            status, details = await self._produce()
        except Exception as exc:
            # A model (or server) bug fails this response instead of leaving it active for ever: the
            # client still gets its response.done, and strict servers report the bug.
            self.proto.on_bug(f"response {self.id} raised {exc!r}")
            status, details = _failed("server_error")
        if self.cancelled:
            status = "cancelled"
            details = RealtimeResponseStatusDetails(type="cancelled", reason=self.cancel_reason)
        elif self.out_of_tokens:
            status = "incomplete"
            details = RealtimeResponseStatusDetails(type="incomplete", reason="max_output_tokens")
        self.streaming.set()
        self.proto.response_finished(self)
        emit(ResponseDone(event_id=new_id("event"), response=self._response(status, details, final=True)))
        if self.proto.rate_limits_due():
            emit(rate_limits(self.proto.tokens_used))
        if self._audio_started:
            emit(OutputAudioBufferStopped(event_id=new_id("event"), response_id=self.id))

    def audio_cleared(self) -> None:
        """``output_audio_buffer.clear`` cut this response's audio: no ``stopped`` will follow."""
        self._audio_started = False

    async def _produce(self) -> tuple[str, RealtimeResponseStatusDetails | None]:
        items = self.input if self.input is not None else list(self.proto.conversation.items)
        transcripts = await self.proto.transcripts_for(items)
        conv = self.proto.conversation
        audio = {
            i.id: conv.user_audio[i.id] for i in items if isinstance(i.id, str) and i.id in conv.user_audio
        }
        self.usage.count_input(self.instructions or "", items, list(audio.values()))
        request = ModelRequest(
            items=items,
            instructions=self.instructions or "",
            output_modalities=self.modalities,
            tools=self.tools,
            audio=audio,
            transcripts=transcripts,
            metadata=self.metadata,
        )
        reply = await self.proto.respond(request)
        if reply.failure is not None and not self.cancelled:
            return _failed(reply.failure[0])
        profile = self.proto.profile
        parts = reply.parts
        held: _Finish | None = None  # a preamble whose .done events wait for the call that overlaps it
        for n, part in enumerate(parts):
            if self.stopped:
                break
            calls_next = n + 1 < len(parts) and parts[n + 1].kind == "function_call"
            if part.kind == "function_call":
                finish = await self._function_call(part)
            else:
                phase = ("commentary" if calls_next else "final_answer") if profile.phases else None
                finish = await self._message(part, phase)
            if held is not None:
                held()
                held = None
            if part.kind != "function_call" and calls_next and profile.overlapping_calls and not self.stopped:
                held = finish
            else:
                finish()
        if held is not None:
            held()
        return "completed", None

    def _delta_sent(self) -> None:
        self.streaming.set()

    async def _message(self, part: ReplyPart, phase: str | None) -> _Finish:
        """Open a message item and stream its content; the returned callable closes it."""
        spoken = "audio" in self.modalities
        item_id = new_id("item")
        if phase is not None:
            self.proto.conversation.phases[item_id] = phase
        item = RealtimeConversationItemMessage(id=item_id, status="in_progress", role="assistant", content=[])
        index = self._open(item)
        ptype = "audio" if spoken else "text"
        self._emit_part(ResponseContentPartAdded, item_id, index, ptype, "")
        common: dict[str, Any] = {
            "response_id": self.id,
            "item_id": item_id,
            "output_index": index,
            "content_index": 0,
        }
        text = part.text
        sent_text = ""
        conv = self.proto.conversation
        if spoken and self.in_conversation:
            # Like the real service, an item streaming audio can be truncated (e.g. right after a cancel,
            # before this run has closed it): it holds an audio part, its length is what was sent so far.
            part_so_far = RealtimeConversationItemMessageContentItem(type="output_audio", transcript="")
            self._store(msgspec.structs.replace(item, content=[part_so_far]))
        if spoken:
            pcm = part.audio if part.kind == "audio" else await self.proto.synthesizer.synthesize(text)
            words = _WORDS.findall(text)
            step = DELTA_MS * 48
            chunks = max(1, math.ceil(len(pcm) / step))
            loop = asyncio.get_running_loop()
            start = loop.time()
            sent_ms = 0.0
            said = 0
            for n in range(chunks):
                if self.stopped:
                    break
                # The transcript runs a little ahead of the audio, as in the recordings.
                while said < math.ceil(len(words) * (n + 1) / chunks):
                    sent_text += words[said]
                    self.proto.emit(
                        ResponseOutputAudioTranscriptDelta(
                            event_id=new_id("event"), delta=words[said], **common
                        )
                    )
                    said += 1
                    if self.proto.sideband and not self._audio_started:
                        self._audio_started = True
                        self.proto.emit(
                            OutputAudioBufferStarted(event_id=new_id("event"), response_id=self.id)
                        )
                chunk = pcm[n * step : (n + 1) * step]
                if not self.proto.sideband:
                    self.proto.emit(
                        ResponseOutputAudioDelta(
                            event_id=new_id("event"), delta=self.wire.from_model(chunk), **common
                        )
                    )
                self._delta_sent()
                sent_ms += pcm24_ms(chunk)
                conv.assistant_audio[item_id] = pcm[: (n + 1) * step]
                self._spend(sent_text, sent_ms)
                if item_id not in conv.truncated:
                    conv.assistant_audio_ms[item_id] = sent_ms
                await self._pace(start + sent_ms / 1000 if self.proto.pace_audio else None, loop)
            self.usage.out_audio_ms += sent_ms
            if item_id not in conv.truncated:
                conv.assistant_audio_ms[item_id] = sent_ms
            self.proto.emit(ResponseOutputAudioDone(event_id=new_id("event"), **common))
            self.proto.emit(
                ResponseOutputAudioTranscriptDone(event_id=new_id("event"), transcript=sent_text, **common)
            )
            kept = "" if item_id in conv.truncated else sent_text
            content = RealtimeConversationItemMessageContentItem(type="output_audio", transcript=kept)
        else:
            for word in _WORDS.findall(text):
                if self.stopped:
                    break
                sent_text += word
                self.proto.emit(ResponseOutputTextDelta(event_id=new_id("event"), delta=word, **common))
                self._delta_sent()
                self._spend(sent_text)
                await self._pace(None, None)
            self.proto.emit(ResponseOutputTextDone(event_id=new_id("event"), text=sent_text, **common))
            content = RealtimeConversationItemMessageContentItem(type="output_text", text=sent_text)
        self.usage.out_text += text_tokens(sent_text)
        status = "incomplete" if self.stopped else "completed"

        def finish() -> None:
            self._emit_part(ResponseContentPartDone, item_id, index, ptype, sent_text)
            self._close(msgspec.structs.replace(item, status=status, content=[content]), index)

        return finish

    async def _function_call(self, part: ReplyPart) -> _Finish:
        """Open a function call item and stream its arguments; the returned callable closes it."""
        item_id, call_id = new_id("item"), new_id("call")
        item = RealtimeConversationItemFunctionCall(
            id=item_id, status="in_progress", name=part.name, call_id=call_id, arguments=""
        )
        index = self._open(item)
        common: dict[str, Any] = {
            "response_id": self.id,
            "item_id": item_id,
            "output_index": index,
            "call_id": call_id,
        }
        args = part.arguments
        sent = ""
        for i in range(0, len(args), 8):
            if self.stopped:
                break
            sent += args[i : i + 8]
            self.proto.emit(
                ResponseFunctionCallArgumentsDelta(event_id=new_id("event"), delta=args[i : i + 8], **common)
            )
            self._delta_sent()
            self._spend(sent)
            await self._pace(None, None)
        self.usage.out_text += text_tokens(sent)
        complete = not self.cancelled and sent == args

        def finish() -> None:
            if complete:
                self.proto.emit(
                    ResponseFunctionCallArgumentsDone(
                        event_id=new_id("event"), name=part.name, arguments=args, **common
                    )
                )
            status = "completed" if complete else "incomplete"
            self._close(msgspec.structs.replace(item, status=status, arguments=sent), index)

        return finish

    # -- helpers -----------------------------------------------------------------------------------
    def _open(self, item: RealtimeConversationItem) -> int:
        index = len(self.output)
        self.output.append(item)
        self.proto.emit(
            ResponseOutputItemAdded(
                event_id=new_id("event"), response_id=self.id, output_index=index, item=item
            )
        )
        if self.in_conversation:
            prev = self.proto.conversation.insert(item, None)
            self.proto.emit(ConversationItemAdded(event_id=new_id("event"), previous_item_id=prev, item=item))
        return index

    def _store(self, item: RealtimeConversationItem) -> None:
        conv = self.proto.conversation
        for i, existing in enumerate(conv.items):
            if existing.id == item.id:
                conv.items[i] = item

    def _close(self, item: RealtimeConversationItem, index: int) -> None:
        self.output[index] = item
        if self.in_conversation:
            conv = self.proto.conversation
            self._store(item)
            prev = conv.previous_of(item.id) if isinstance(item.id, str) else None
            if prev is not None and isinstance(item.id, str) and not conv.model_output_before(item.id):
                prev = None  # as recorded: null until the conversation holds earlier model output
            self.proto.emit(ConversationItemDone(event_id=new_id("event"), previous_item_id=prev, item=item))
        self.proto.emit(
            ResponseOutputItemDone(
                event_id=new_id("event"), response_id=self.id, output_index=index, item=item
            )
        )

    def _emit_part(self, cls: type[Any], item_id: str, index: int, ptype: str, text: str) -> None:
        part_cls = (
            ResponseContentPartAddedPart if cls is ResponseContentPartAdded else ResponseContentPartDonePart
        )
        part = part_cls(type=ptype, transcript=text) if ptype == "audio" else part_cls(type=ptype, text=text)
        self.proto.emit(
            cls(
                event_id=new_id("event"),
                response_id=self.id,
                item_id=item_id,
                output_index=index,
                content_index=0,
                part=part,
            )
        )

    async def _pace(self, until: float | None, loop: asyncio.AbstractEventLoop | None) -> None:
        """Real-time pacing (waits until ``until`` unless cancelled); else just let other tasks run."""
        if until is None or loop is None:
            await asyncio.sleep(0)
            return
        wait = until - loop.time()
        if wait > 0:
            try:
                await asyncio.wait_for(self._cancelled.wait(), wait)
            except TimeoutError:
                pass
        else:
            await asyncio.sleep(0)

    def _response(
        self, status: str, details: RealtimeResponseStatusDetails | None = None, *, final: bool = False
    ) -> RealtimeResponse:
        usage = self.usage.struct() if final else None
        if usage is not None and isinstance(usage.total_tokens, int):
            self.proto.tokens_used += usage.total_tokens
        return RealtimeResponse(
            object="realtime.response",
            id=self.id,
            status=status,
            status_details=details,
            output=list(self.output) if final else [],
            conversation_id=self.proto.conversation_id if self.in_conversation else None,
            output_modalities=self.modalities,
            max_output_tokens=self.max_output_tokens,
            audio=RealtimeResponseAudio(
                output=RealtimeResponseAudioOutput(format=self.format, voice=self.voice)
            ),
            usage=usage,
            metadata=self.metadata,
        )


def _failed(code: str) -> tuple[str, RealtimeResponseStatusDetails]:
    error = RealtimeResponseStatusDetailsError(type="server_error", code=code)
    return "failed", RealtimeResponseStatusDetails(type="failed", error=error)


def _given(value: Any) -> Any:
    """``None`` for UNSET or null, else the value."""
    return None if value is msgspec.UNSET else value
