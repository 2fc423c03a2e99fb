"""Turn detection from the audio's energy: a stand-in for the real service's server VAD.

Theory of operation.  Audio is cut into 10 ms frames; a frame is *speech* when its RMS level is above
``-60 + 50 * threshold`` dBFS (threshold 0.5, the default, means -35 dBFS; 0.0 → -60, 1.0 → -10); once
speech has started, frames down to 15 dB below that level still count as speech (hysteresis, so the
quieter stretches inside real speech do not end a turn — the recorded real sessions never split there).
Speech *starts* after ``_ONSET_FRAMES`` speech frames in a row; ``audio_start_ms`` is then the first of
those frames minus ``prefix_padding_ms`` (never before the buffer's start), as the API documents ("includes
the prefix padding").  Speech *stops* once ``silence_duration_ms`` of non-speech follows the last speech
frame; ``audio_end_ms`` is that moment (last speech + silence), again as documented.  All times are
milliseconds of audio appended during the whole session.

``semantic_vad`` has no language model here: it is server VAD with a silence window chosen from its
``eagerness`` (high 250 ms, medium/auto 500 ms, low 1000 ms) and the default threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FRAME_MS = 10
_ONSET_FRAMES = 3
_HYSTERESIS_DB = 15.0
SEMANTIC_SILENCE_MS = {"high": 250, "medium": 500, "auto": 500, "low": 1000}


@dataclass(frozen=True, slots=True)
class VadEvent:
    kind: str  # "started" | "stopped"
    ms: int


class EnergyVad:
    """Feed PCM16 frames in; get ``started`` / ``stopped`` events out.  No I/O, no clock."""

    def __init__(self, *, rate: int, threshold: float, prefix_padding_ms: int, silence_duration_ms: int):
        self.rate = rate
        self.level_db = -60.0 + 50.0 * threshold
        self.stay_db = self.level_db - _HYSTERESIS_DB
        self.prefix_padding_ms = prefix_padding_ms
        self.silence_duration_ms = silence_duration_ms
        self.position_ms = 0  # audio seen so far in the session (whole frames)
        self.floor_ms = 0  # speech cannot be reported as starting before this (buffer start)
        self.speaking = False
        self._run = 0
        self._last_speech_end = 0
        self._pending = np.zeros(0, dtype=np.int16)

    def reset(self, floor_ms: int) -> None:
        """Forget speech in progress (after a commit or clear); nothing may start before ``floor_ms``."""
        self.speaking = False
        self._run = 0
        self.floor_ms = floor_ms

    def feed(self, samples: NDArray[np.int16]) -> list[VadEvent]:
        frame = self.rate * FRAME_MS // 1000
        data = np.concatenate((self._pending, samples)) if self._pending.size else samples
        whole = data.size - data.size % frame
        self._pending = data[whole:].copy()
        if whole == 0:
            return []
        frames = data[:whole].astype(np.float32).reshape(-1, frame)
        rms = np.sqrt(np.mean(frames * frames, axis=1)) / 32768.0
        db = 20.0 * np.log10(np.maximum(rms, 1e-9))
        events: list[VadEvent] = []
        for level in db.tolist():
            self.position_ms += FRAME_MS
            if level > (self.stay_db if self.speaking else self.level_db):
                self._run += 1
                self._last_speech_end = self.position_ms
                if not self.speaking and self._run >= _ONSET_FRAMES:
                    self.speaking = True
                    onset = self.position_ms - _ONSET_FRAMES * FRAME_MS
                    start = max(self.floor_ms, onset - self.prefix_padding_ms)
                    events.append(VadEvent("started", start))
            else:
                self._run = 0
                if self.speaking and self.position_ms - self._last_speech_end >= self.silence_duration_ms:
                    self.speaking = False
                    self.floor_ms = self.position_ms
                    events.append(VadEvent("stopped", self.position_ms))
        return events
