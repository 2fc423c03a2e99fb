"""``realtime-sdk replay CASSETTE``: what was said in a recorded session, and its audio as WAV files.

The conversation is read from the frames themselves: the user's typed items and input transcripts, the
assistant's text and audio transcripts, each in the order the client saw them.  The assistant's audio
(every ``response.output_audio.delta``) is written to ``--out``; the user's (every
``input_audio_buffer.append``) to ``--input-out`` when given.  Audio formats follow the session's
``audio/pcm`` (24 kHz) or G.711 (8 kHz) settings as the cassette shows them.  Nothing connects anywhere.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import sys
from pathlib import Path
from typing import Any

from ..audio import alaw_decode, ulaw_decode, write_wav
from ..recording import CassetteError, read_cassette

EPILOG = """\
exit status: 0 when the cassette was read; 1 when it cannot be read or a WAV cannot be written.

example: realtime-sdk replay session.jsonl --out assistant.wav --input-out user.wav
(to serve a cassette to a client instead, use realtime_sdk.server.ReplayServer)"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("cassette", type=Path, help="a JSONL cassette written by a Recorder / record_to=")
    parser.add_argument("--out", type=Path, default=None, help="assistant audio WAV (default: CASSETTE.wav)")
    parser.add_argument("--input-out", type=Path, default=None, help="also write the user's audio here")


def _format(session: Any, direction: str) -> str:
    try:
        value = session["audio"][direction]["format"]["type"]
    except (KeyError, TypeError):
        return ""
    return value if isinstance(value, str) else ""


def _pcm(chunks: list[bytes], fmt: str) -> tuple[bytes, int]:
    data = b"".join(chunks)
    if fmt == "audio/pcmu":
        return ulaw_decode(data), 8000
    if fmt == "audio/pcma":
        return alaw_decode(data), 8000
    return data[: len(data) - len(data) % 2], 24000


def _b64(text: Any) -> bytes:
    try:
        return base64.b64decode(text) if isinstance(text, str) else b""
    except (binascii.Error, ValueError):
        return b""


async def run(args: argparse.Namespace) -> int:
    try:
        cassette = read_cassette(args.cassette)
    except CassetteError as exc:
        print(f"realtime-sdk replay: {exc}", file=sys.stderr)
        return 1
    head = cassette.header
    print(f"cassette: {head.endpoint or 'unknown endpoint'}, model {head.model or '?'}, audio {head.audio}")
    formats = {"input": "audio/pcm", "output": "audio/pcm"}
    out_audio: list[bytes] = []
    in_audio: list[bytes] = []
    for record in cassette.records:
        frame = record.frame
        if frame is None:
            continue
        kind = frame.get("type")
        if kind in ("session.created", "session.updated"):
            for direction in formats:
                formats[direction] = _format(frame.get("session"), direction) or formats[direction]
        elif kind == "conversation.item.create" and record.direction == "sent":
            for part in (frame.get("item") or {}).get("content") or ():
                if isinstance(part, dict) and part.get("type") == "input_text":
                    print(f"[{record.t:7.2f}] you (typed): {part.get('text')}")
        elif kind == "conversation.item.input_audio_transcription.completed":
            print(f"[{record.t:7.2f}] you: {frame.get('transcript')}")
        elif kind in ("response.output_audio_transcript.done", "response.output_text.done"):
            said = frame.get("transcript") if kind.endswith("transcript.done") else frame.get("text")
            print(f"[{record.t:7.2f}] assistant: {said}")
        elif kind == "response.output_audio.delta":
            out_audio.append(_b64(frame.get("delta")))
        elif kind == "input_audio_buffer.append" and record.direction == "sent":
            in_audio.append(_b64(frame.get("audio")))
        elif kind == "error":
            print(f"[{record.t:7.2f}] error: {(frame.get('error') or {}).get('message')}")
    targets = [(args.out or args.cassette.with_suffix(".wav"), out_audio, formats["output"], "assistant")]
    if args.input_out is not None:
        targets.append((args.input_out, in_audio, formats["input"], "user"))
    for path, chunks, fmt, who in targets:
        pcm, rate = _pcm(chunks, fmt)
        if not pcm:
            print(
                f"no {who} audio in the cassette"
                + (" (it was recorded without audio)" if head.audio == "elided" else "")
            )
            continue
        try:
            write_wav(path, pcm, rate)
        except OSError as exc:
            print(f"realtime-sdk replay: cannot write {path}: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {path}: {len(pcm) / 2 / rate:.2f} s of {who} audio at {rate} Hz")
    return 0
