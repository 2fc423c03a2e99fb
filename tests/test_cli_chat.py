"""``realtime-sdk chat`` with the sound card replaced at its seam by a scripted device.

The local server runs in placeholder mode here (``ScriptedModel`` / ``--speech off``): transcripts and
replies are the fixed strings below, whatever extras are installed.  The device's playback clock is
fake: it reports as played exactly the bytes the test decides, so the truncation the session sends on a
barge-in can be compared with it exactly.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from realtime_sdk import RealtimeSession
from realtime_sdk.audio import read_wav, resample, sample_wav_path
from realtime_sdk.cli import build_parser, chat, main
from realtime_sdk.events import (
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemTruncate,
    ResponseDone,
)
from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel
from realtime_sdk.server._codec import tone

RATE = 24_000
FRAME = RATE * 20 // 1000 * 2  # 20 ms
BARGE_MS = 600


def speech() -> bytes:
    pcm, rate, _ = read_wav(sample_wav_path())
    return resample(pcm, rate, RATE)


def frames(pcm: bytes) -> list[bytes]:
    return [pcm[i : i + FRAME] for i in range(0, len(pcm), FRAME)]


class ScriptedDevice:
    """Says one turn; plays the reply up to ``BARGE_MS`` and speaks over it; plays the second reply whole.

    Every wait is on what the chat did (audio played, the player cleared), never on time."""

    sample_rate = RATE

    def __init__(self, second_reply_bytes: int) -> None:
        turn = frames(speech()) + frames(bytes(RATE * 2))  # speech, then a second of silence: turn ends
        self._script: list[bytes | asyncio.Event] = [*turn, asyncio.Event(), *turn, asyncio.Event()]
        self.barged, self.finished = self._script[len(turn)], self._script[-1]
        self._barge_left = BARGE_MS * RATE * 2 // 1000
        self._second_left = second_reply_bytes
        self.cleared = 0
        self.closed = False
        self._played: Callable[[int], None] = lambda _: None

    def start(self, played: Callable[[int], None]) -> None:
        self._played = played

    async def read(self) -> bytes | None:
        if not self._script:
            return None
        step = self._script.pop(0)
        if isinstance(step, asyncio.Event):
            await step.wait()
            return await self.read()
        return step

    def play(self, pcm: bytes) -> None:
        assert isinstance(self.barged, asyncio.Event) and isinstance(self.finished, asyncio.Event)
        if not self.barged.is_set():
            n = min(len(pcm), self._barge_left)
            if n:
                self._played(n)
            self._barge_left -= n
            if self._barge_left == 0:
                self.barged.set()  # the user starts speaking over the assistant
        elif self.cleared:
            self._played(len(pcm))
            self._second_left -= len(pcm)
            if self._second_left <= 0:
                self.finished.set()
        # between the barge-in and the player being cleared, nothing more is heard

    def clear(self) -> None:
        self.cleared += 1

    def close(self) -> None:
        self.closed = True


async def test_two_spoken_turns_with_a_barge_in_truncate_at_the_played_position(
    capsys: pytest.CaptureFixture[str],
) -> None:
    second = tone(1000)
    model = ScriptedModel(
        [Reply.audio(tone(4000), "A long first answer."), Reply.audio(second, "Second answer.")],
        transcripts=["what is the weather", "stop and tell me quickly"],
    )
    props = chat.properties(text=False, push_to_talk=False, voice=None, instructions=None)
    device = ScriptedDevice(len(second))
    async with LocalRealtimeServer(model=model) as server:
        async with RealtimeSession(**server.session_options(), session_properties=props) as session:
            async with asyncio.timeout(30):
                await chat.speak(session, device)
            conn = server.connections[0]
            truncates = [e for e in conn.received if isinstance(e, ConversationItemTruncate)]
    assert device.cleared == 1 and device.closed
    assert len(truncates) == 1
    assert truncates[0].audio_end_ms == BARGE_MS
    out = capsys.readouterr().out
    assert "you: what is the weather" in out
    assert "you: stop and tell me quickly" in out
    # Input transcripts may land in the middle of the assistant's words: join its lines to read them.
    assistant = "".join(
        line[len("assistant:") :] for line in out.splitlines() if line.startswith("assistant:")
    )
    assert "Second answer." in " ".join(assistant.split())


def test_help_works_without_the_devices_extra() -> None:
    code = (
        "import sys; sys.modules['sounddevice'] = None\n"
        "from realtime_sdk.cli import main\n"
        "sys.exit(main(['chat', '--help']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "--push-to-talk" in proc.stdout and "--list-devices" in proc.stdout


def test_a_missing_devices_extra_is_a_one_line_hint() -> None:
    code = (
        "import sys; sys.modules['sounddevice'] = None\n"
        "from realtime_sdk.cli import main\n"
        "sys.exit(main(['chat', '--local', '--speech', 'off']))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1
    assert (
        proc.stderr
        == "realtime-sdk chat: chat needs the devices extra: pip install 'realtime-sdk[devices]'\n"
    )


def test_chat_command_runs_on_the_device_seam(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The whole command (argument parsing, in-process server, session, device) with a one-turn device.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    made: list[tuple[int, str | None, str | None]] = []

    class OneTurn(ScriptedDevice):
        def __init__(self, rate: int, inp: str | None, out: str | None) -> None:
            made.append((rate, inp, out))
            super().__init__(1)
            self._script = [*frames(speech()), *frames(bytes(RATE * 2)), self.barged]

        def play(self, pcm: bytes) -> None:
            self._played(len(pcm))
            assert isinstance(self.barged, asyncio.Event)
            self.barged.set()  # the reply is being heard: the user is done

    monkeypatch.setattr(chat, "open_device", OneTurn)
    assert main(["chat", "--local", "--speech", "off", "--input-device", "3", "--output-device", "spk"]) == 0
    assert made == [(24000, "3", "spk")]
    out = capsys.readouterr().out
    assert "you: <" in out  # the placeholder transcript of the local server


def test_chat_arguments() -> None:
    args = build_parser().parse_args(["chat", "--push-to-talk", "--text", "--local"])
    assert (args.push_to_talk, args.text, args.local, args.speech, args.rate) == (
        True,
        True,
        True,
        "auto",
        24000,
    )


def test_typed_chat_in_a_subprocess() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    proc = subprocess.run(
        [sys.executable, "-m", "realtime_sdk.cli", "chat", "--text", "--speech", "off"],
        input="Hello there\n\nAnd again\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "assistant: You said: Hello there\n" in proc.stdout
    assert "assistant: You said: And again\n" in proc.stdout


class EnterPresses:
    """Push-to-talk turns: start, then end once the device has said its turn, then no more turns."""

    def __init__(self, said: asyncio.Event, *answered: asyncio.Event) -> None:
        self._said = said
        self._answered = answered
        self._presses = 0

    async def wait(self) -> bool:
        self._presses += 1
        if self._presses == 2:
            await self._said.wait()
        if self._presses == 3:  # the user quits once the turn was transcribed and answered
            for event in self._answered:
                await event.wait()
        return self._presses <= 2


class OneTurnDevice(ScriptedDevice):
    """Says its frames, then says it is done (``said``) and waits: a user holding the key, now silent."""

    def __init__(self) -> None:
        super().__init__(1)
        self.said = asyncio.Event()
        self._script = frames(speech())

    async def read(self) -> bytes | None:
        if self._script:
            return self._script.pop(0)
        self.said.set()
        await asyncio.Event().wait()  # cancelled by the chat when the turn ends
        return None

    def play(self, pcm: bytes) -> None:
        self._played(len(pcm))


async def test_push_to_talk_turn(capsys: pytest.CaptureFixture[str]) -> None:
    model = ScriptedModel([Reply.audio(tone(500), "Heard you.")], transcripts=["one push to talk turn"])
    props = chat.properties(text=False, push_to_talk=True, voice=None, instructions=None)
    device = OneTurnDevice()
    async with LocalRealtimeServer(model=model) as server:
        async with RealtimeSession(**server.session_options(), session_properties=props) as session:
            transcribed, answered = asyncio.Event(), asyncio.Event()
            session.on(ConversationItemInputAudioTranscriptionCompleted, lambda _: transcribed.set())
            session.on(ResponseDone, lambda _: answered.set())
            async with asyncio.timeout(30):
                await chat.speak(session, device, turns=EnterPresses(device.said, transcribed, answered))
            types = [type(e).__name__ for e in server.connections[0].received]
    assert types.count("InputAudioBufferCommit") == 1 and types.count("ResponseCreate") == 1
    assert "you: one push to talk turn" in capsys.readouterr().out
    assert device.closed
