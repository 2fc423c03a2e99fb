"""Per-model behaviour of the local server, chosen by the ``model`` query of the connection.

What differs between the real models, as recorded: the default voice and server-VAD silence window in
``session.created``, and whether the model speaks a preamble (an assistant message with ``phase:
"commentary"``) before calling a tool, with the function call item starting while the preamble still
streams.  A model whose name is not listed gets the profile of the longest listed name it starts with
(``gpt-realtime-2.1-2026-07-01`` → ``gpt-realtime-2.1``), else the ``gpt-realtime`` one.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_MODEL", "ModelProfile", "profile_for"]

DEFAULT_MODEL = "gpt-realtime-2.1"
"""The model of a connection that names none (``gpt-realtime`` is retired on 2027-01-20)."""


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """How the local server behaves for one model: default voice and VAD silence, preambles, overlapping calls."""

    name: str
    voice: str
    silence_duration_ms: int
    phases: bool
    """Assistant messages carry ``phase``: ``"commentary"`` for a preamble, else ``"final_answer"``."""
    overlapping_calls: bool
    """A function call after a preamble starts while the preamble is still streaming."""


_PROFILES = {
    p.name: p
    for p in (
        ModelProfile("gpt-realtime", "alloy", 200, phases=False, overlapping_calls=False),
        ModelProfile("gpt-realtime-mini", "alloy", 200, phases=False, overlapping_calls=False),
        ModelProfile("gpt-realtime-2", "marin", 500, phases=True, overlapping_calls=True),
        ModelProfile("gpt-realtime-2.1", "marin", 500, phases=True, overlapping_calls=True),
    )
}


def profile_for(model: str) -> ModelProfile:
    """The profile of ``model`` (dated snapshots use their family's; unknown models the default's)."""
    if model in _PROFILES:
        return _PROFILES[model]
    prefixes = [name for name in _PROFILES if model.startswith(name + "-")]
    if prefixes:
        return _PROFILES[max(prefixes, key=len)]
    return _PROFILES["gpt-realtime"]
