"""The local server's model for commands that fall back to it: offline speech when it is available."""

from __future__ import annotations

import argparse

from ..server.models import Model


def add_speech_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--speech",
        choices=("auto", "on", "off"),
        default="auto",
        help="local server only: offline recognition and synthesis (auto: when the speech extra is "
        "installed; off: placeholder transcripts and echoed audio)",
    )


def local_model(speech: str) -> Model:
    """An echo model, speaking offline per ``speech`` (raises ConfigurationError for "on" without the extra)."""
    from ..server._speech import offline_model

    return offline_model(speech={"auto": None, "on": True, "off": False}[speech])
