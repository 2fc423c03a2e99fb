"""What answers behind the local server: a ``Model`` turns a conversation into a ``Reply``.

The server owns the protocol (event order, ids, chunking, pacing, usage); a model only decides content.
A reply is a list of parts — text, audio with a transcript, function calls — or an error.  The response's
output modality decides the shape on the wire: in an ``audio`` response a text part is spoken (by the
server's ``Synthesizer``; by default a tone whose length follows the text, with the text as transcript);
in a ``text`` response an audio part is sent as its transcript.

``EchoModel``'s rules (deterministic: the same conversation always gets the same reply), applied to the
last input item of the response:

1. a user message whose text (or, for audio, transcript) contains ``call NAME(JSON)`` where ``NAME`` is
   a function tool of the response → a function call to ``NAME`` with those arguments (``{}`` for empty
   parentheses; text that is not JSON becomes ``{"input": "..."}``);
2. a user **text** message ``T`` → the text ``"You said: T"``;
3. a user **audio** message → its own audio back (at most 5 s), with transcript ``"You said: <transcript>"``;
4. a **function_call_output** ``O`` → the text ``"The function returned: O"``;
5. anything else → ``"Hello from the local Realtime server."``

Transcripts of user audio: the next of ``transcripts`` (one per committed turn) if given, else what the
``transcriber`` hears (default ``PlaceholderTranscriber``: ``"<N.N seconds of audio>"``).  On models with
preambles (gpt-realtime-2 and later) every message is marked ``phase: "final_answer"``: EchoModel never
speaks a preamble; ``Reply.text(...) + Reply.function_call(...)`` from a ``ScriptedModel`` is one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .._generated import (
    RealtimeConversationItem,
    RealtimeConversationItemFunctionCallOutput,
    RealtimeConversationItemMessage,
)
from ._images import describe_images
from ._speech_ports import PlaceholderTranscriber, Transcriber

__all__ = ["EchoModel", "Model", "ModelRequest", "Reply", "ReplyPart", "ScriptedModel"]


@dataclass(frozen=True, slots=True)
class ReplyPart:
    """One output item: ``kind`` is ``"text"``, ``"audio"`` or ``"function_call"``."""

    kind: str
    text: str = ""
    audio: bytes = b""  # 24 kHz PCM16 (kind "audio")
    name: str = ""
    arguments: str = ""  # JSON text (kind "function_call")


@dataclass(frozen=True, slots=True)
class Reply:
    """What a model answers to one ``response.create``.  Build with the class methods."""

    parts: tuple[ReplyPart, ...] = ()
    failure: tuple[str, str] | None = None  # (code, message): the response fails

    @classmethod
    def text(cls, text: str) -> Reply:
        """A text reply (spoken in an audio response)."""
        return cls((ReplyPart("text", text=text),))

    @classmethod
    def audio(cls, pcm16_24k: bytes, transcript: str = "") -> Reply:
        """A spoken reply: 24 kHz PCM16 ``pcm16_24k`` with ``transcript``."""
        if len(pcm16_24k) % 2:
            raise ValueError("audio must be whole 16-bit samples (24 kHz PCM16)")
        return cls((ReplyPart("audio", text=transcript, audio=pcm16_24k),))

    @classmethod
    def function_call(cls, name: str, arguments: dict[str, Any] | str) -> Reply:
        """A call of the function tool ``name`` with ``arguments`` (a dict, or JSON text)."""
        return cls.function_calls([(name, arguments)])

    @classmethod
    def function_calls(cls, calls: Sequence[tuple[str, dict[str, Any] | str]]) -> Reply:
        """Several function calls in one response."""
        return cls(
            tuple(
                ReplyPart(
                    "function_call", name=name, arguments=args if isinstance(args, str) else json.dumps(args)
                )
                for name, args in calls
            )
        )

    @classmethod
    def error(cls, code: str, message: str) -> Reply:
        """A response that fails with ``code`` and ``message``."""
        return cls(failure=(code, message))

    def __add__(self, other: Reply) -> Reply:
        """Several outputs in one response, e.g. ``Reply.text("Let me look.") + Reply.function_call(...)``."""
        return Reply(self.parts + other.parts, self.failure or other.failure)


@dataclass(slots=True)
class ModelRequest:
    """Everything a model may look at for one response."""

    items: list[RealtimeConversationItem]
    """The response's input: the conversation so far (or ``response.input`` when given)."""
    instructions: str
    output_modalities: list[str]
    tools: list[str]
    """Names of the function tools available to this response."""
    audio: dict[str, bytes] = field(default_factory=dict)
    """Input audio of user items, by item id, as 24 kHz PCM16."""
    transcripts: dict[str, str] = field(default_factory=dict)
    """Input transcripts of user audio items, by item id."""
    metadata: dict[str, str] | None = None


class Model(Protocol):
    """What answers behind the local server: a reply for a conversation, a transcript for user audio."""

    async def respond(self, request: ModelRequest) -> Reply:
        """The reply to ``request`` (the conversation so far and the response's options)."""
        ...

    async def transcribe(self, pcm16_24k: bytes, item_id: str) -> str:
        """The input transcript of a committed user audio item."""
        ...


_CALL = re.compile(r"\bcall\s+([A-Za-z_][\w\-]*)\s*\((.*)\)", re.DOTALL)
MAX_ECHO_MS = 5_000


class EchoModel:
    """The default model: deterministic, so tests can predict every reply.

    - Last input item a user **text** message ``T`` → text ``"You said: T"``.
    - ``T`` (or an audio turn's transcript) contains ``call NAME(JSON)`` and ``NAME`` is a function tool of
      the response → a function call to ``NAME`` with those arguments (``{}`` when the parentheses are
      empty; text that is not JSON is passed as ``{"input": "..."}``).
    - Last input item a user **audio** message → the user's own audio back (at most 5 s), with transcript
      ``"You said: <transcript>"``.
    - Last input item a user message with **images** → ``"I see a 640×480 image"`` (one ``a W×H image``
      per image, joined by ``and``), then ``". You said: T"`` when it has text ``T``.
    - Last input item a **function_call_output** ``O`` → text ``"The function returned: O"``.
    - Anything else → ``"Hello from the local Realtime server."``.

    Transcripts of user audio: the next of ``transcripts`` (one per committed turn) if given, else what
    ``transcriber`` hears (default ``PlaceholderTranscriber``: ``"<N.N seconds of audio>"``).
    """

    def __init__(self, transcripts: Sequence[str] = (), *, transcriber: Transcriber | None = None) -> None:
        self._transcripts = list(transcripts)
        self.transcriber: Transcriber = transcriber or PlaceholderTranscriber()

    async def transcribe(self, pcm16_24k: bytes, item_id: str) -> str:
        """The transcript of a committed user turn: the next scripted one, else what the transcriber hears."""
        if self._transcripts:
            return self._transcripts.pop(0)
        return await self.transcriber.transcribe(pcm16_24k)

    async def respond(self, request: ModelRequest) -> Reply:
        """The reply to the conversation's last input item, by the rules at the top of this module."""
        last = request.items[-1] if request.items else None
        if isinstance(last, RealtimeConversationItemFunctionCallOutput):
            return Reply.text(f"The function returned: {last.output}")
        if isinstance(last, RealtimeConversationItemMessage) and last.role == "user":
            audio = request.audio.get(last.id) if isinstance(last.id, str) else None
            said = _message_text(last, request.transcripts)
            call = _CALL.search(said)
            if call and call.group(1) in request.tools:
                return Reply.function_call(call.group(1), _arguments(call.group(2)))
            seen = describe_images(last)
            if seen is not None:
                return Reply.text(f"{seen}. You said: {said}" if said else seen)
            if audio is not None:
                return Reply.audio(audio[: MAX_ECHO_MS * 48], transcript=f"You said: {said}")
            return Reply.text(f"You said: {said}")
        return Reply.text("Hello from the local Realtime server.")


class ScriptedModel:
    """Answers each response with the next scripted reply; then ``"(end of script)"`` as text.

    ``transcripts`` are the input transcripts of the committed user audio turns, in order.
    ``requests`` keeps every request the model saw, for assertions.
    """

    def __init__(
        self,
        replies: Sequence[Reply],
        *,
        transcripts: Sequence[str] = (),
        transcriber: Transcriber | None = None,
    ) -> None:
        self.replies = list(replies)
        self.requests: list[ModelRequest] = []
        self._echo = EchoModel(transcripts, transcriber=transcriber)

    async def transcribe(self, pcm16_24k: bytes, item_id: str) -> str:
        """The transcript of a committed user turn: the next scripted one, else what the transcriber hears."""
        return await self._echo.transcribe(pcm16_24k, item_id)

    async def respond(self, request: ModelRequest) -> Reply:
        """The next scripted reply (the last one again when the script is used up)."""
        self.requests.append(request)
        return self.replies.pop(0) if self.replies else Reply.text("(end of script)")


def _message_text(item: RealtimeConversationItemMessage, transcripts: dict[str, str]) -> str:
    texts: list[str] = []
    for part in item.content:
        if isinstance(part.text, str):
            texts.append(part.text)
        elif part.type == "input_audio":
            t = transcripts.get(item.id) if isinstance(item.id, str) else None
            texts.append(
                t if t is not None else (part.transcript if isinstance(part.transcript, str) else "")
            )
    return " ".join(texts)


def _arguments(text: str) -> str:
    text = text.strip() or "{}"
    try:
        json.loads(text)
    except ValueError:
        return json.dumps({"input": text})
    return text
