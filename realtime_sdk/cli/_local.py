"""The local server's model for commands that fall back to it: offline speech when it is available."""

from __future__ import annotations

import argparse
from typing import Any


def add_speech_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--speech",
        choices=("auto", "on", "off"),
        default="auto",
        help="local server only: offline recognition and synthesis (auto: when the speech extra is "
        "installed; off: placeholder transcripts and echoed audio)",
    )


def local_server_options(speech: str) -> dict[str, Any]:
    """``LocalRealtimeServer`` arguments for ``--speech``: offline speech (auto: when the extra is
    installed; on: or a ConfigurationError naming it), else the echo model with placeholders."""
    from ..server._speech import offline_speech, speech_available

    if speech == "on" or (speech == "auto" and speech_available()):
        return offline_speech()
    return {}
