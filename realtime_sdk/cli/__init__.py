"""The ``realtime-sdk`` command line.

Each subcommand is one entry of ``COMMANDS``: a function that adds its arguments to its subparser and
a coroutine function that runs it.  Add a command by adding an entry.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path

Configure = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], Coroutine[object, object, int]]


def _serve_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0 picks a free one)")
    parser.add_argument(
        "--api-key", default="sk-local-test", help="key clients must send (default: sk-local-test)"
    )
    parser.add_argument("--no-auth", action="store_true", help="accept any client, with or without a key")
    parser.add_argument("--pace", action="store_true", help="send audio deltas at real time")
    parser.add_argument("--record", type=Path, default=None, help="append every frame to this JSONL file")
    from ._local import add_speech_option

    add_speech_option(parser)


async def _serve(args: argparse.Namespace) -> int:
    from ..errors import ConfigurationError
    from ..server import LocalRealtimeServer
    from ._local import local_server_options

    try:
        speech = local_server_options(args.speech)
    except ConfigurationError as exc:
        print(f"realtime-sdk serve: {exc}", file=sys.stderr)
        return 1
    server = LocalRealtimeServer(
        None if args.no_auth else args.api_key,
        **speech,
        host=args.host,
        port=args.port,
        pace_audio=args.pace,
        record_to=args.record,
    )
    async with server:
        print(f"Local Realtime server on {server.url}  (HTTP API base: {server.http_url})", flush=True)
        if not args.no_auth:
            print(f"API key: {args.api_key}", flush=True)
        await asyncio.Event().wait()  # until interrupted
    return 0


async def _talk(args: argparse.Namespace) -> int:
    from . import talk

    return await talk.run(args)


def _talk_args(parser: argparse.ArgumentParser) -> None:
    from . import talk

    talk.configure(parser)


async def _replay(args: argparse.Namespace) -> int:
    from . import replay

    return await replay.run(args)


def _replay_args(parser: argparse.ArgumentParser) -> None:
    from . import replay

    replay.configure(parser)


async def _chat(args: argparse.Namespace) -> int:
    from . import chat

    return await chat.run(args)


def _chat_args(parser: argparse.ArgumentParser) -> None:
    from . import chat

    chat.configure(parser)


COMMANDS: dict[str, tuple[str, Configure, Run]] = {
    "serve": ("run the local Realtime server (offline, speaks the GA protocol)", _serve_args, _serve),
    "chat": (
        "a live spoken (or --text typed) conversation through microphone and speaker",
        _chat_args,
        _chat,
    ),
    "talk": ("say a WAV file to the assistant, write its spoken reply to a WAV file", _talk_args, _talk),
    "replay": ("print a recorded cassette's conversation and write its audio to WAV", _replay_args, _replay),
}


DESCRIPTION = "Talk to OpenAI's Realtime API from the command line, or run a local server that speaks it."
EPILOG = "Run 'realtime-sdk COMMAND --help' for a command's options."


def build_parser() -> argparse.ArgumentParser:
    """The ``realtime-sdk`` argument parser with every sub-command."""
    parser = argparse.ArgumentParser(prog="realtime-sdk", description=DESCRIPTION, epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, configure, _) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The ``realtime-sdk`` command: run a sub-command, return its exit status."""
    args = build_parser().parse_args(argv)
    run = COMMANDS[args.command][2]
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130
