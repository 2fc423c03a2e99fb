"""Token accounting of one response: what ``response.done`` reports and ``max_output_tokens`` limits.

The estimate is simple and consistent, not the real tokenizer: text is one token per 4 characters
(rounded up), input audio one token per 100 ms, output audio one token per 50 ms, images by OpenAI's
published tile rule (``_images.image_tokens``); nothing is cached.
Output is counted while it streams, so a response can stop at its ``max_output_tokens``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._generated import (
    RateLimitsUpdated,
    RateLimitsUpdatedRateLimitsItem,
    RealtimeConversationItem,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemFunctionCallOutput,
    RealtimeConversationItemMessage,
    RealtimeResponseUsage,
    RealtimeResponseUsageInputTokenDetails,
    RealtimeResponseUsageInputTokenDetailsCachedTokensDetails,
    RealtimeResponseUsageOutputTokenDetails,
)
from ._codec import pcm24_ms
from ._ids import new_id
from ._images import message_image_tokens

RATE_LIMIT_TOKENS = 15_000_000


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def audio_out_tokens(ms: float) -> int:
    return math.ceil(ms / 50)


@dataclass
class Usage:
    in_text: int = 0
    in_audio: int = 0
    in_image: int = 0
    out_text: int = 0
    """Tokens of the output items already closed (text and function arguments)."""
    out_audio_ms: float = 0.0
    """Audio of the output items already closed."""

    def count_input(
        self, instructions: str, items: list[RealtimeConversationItem], audio: list[bytes]
    ) -> None:
        text = text_tokens(instructions)
        self.in_image = 0
        for item in items:
            if isinstance(item, RealtimeConversationItemMessage):
                self.in_image += message_image_tokens(item)
                for part in item.content:
                    for value in (part.text, part.transcript):
                        if isinstance(value, str):
                            text += text_tokens(value)
            elif isinstance(item, RealtimeConversationItemFunctionCall):
                text += text_tokens(item.name + item.arguments)
            elif isinstance(item, RealtimeConversationItemFunctionCallOutput):
                text += text_tokens(item.output)
        self.in_text = text
        self.in_audio = sum(math.ceil(pcm24_ms(pcm) / 100) for pcm in audio)

    def output_with(self, text: str = "", audio_ms: float = 0.0) -> int:
        """Output tokens so far, counting the open item's ``text`` and ``audio_ms`` too."""
        return self.out_text + text_tokens(text) + audio_out_tokens(self.out_audio_ms + audio_ms)

    def struct(self) -> RealtimeResponseUsage:
        out_audio = audio_out_tokens(self.out_audio_ms)
        inputs, outputs = self.in_text + self.in_audio + self.in_image, self.out_text + out_audio
        return RealtimeResponseUsage(
            total_tokens=inputs + outputs,
            input_tokens=inputs,
            output_tokens=outputs,
            input_token_details=RealtimeResponseUsageInputTokenDetails(
                text_tokens=self.in_text,
                audio_tokens=self.in_audio,
                image_tokens=self.in_image,
                cached_tokens=0,
                cached_tokens_details=RealtimeResponseUsageInputTokenDetailsCachedTokensDetails(
                    text_tokens=0, audio_tokens=0, image_tokens=0
                ),
            ),
            output_token_details=RealtimeResponseUsageOutputTokenDetails(
                text_tokens=self.out_text, audio_tokens=out_audio
            ),
        )


def rate_limits(tokens_used: int) -> RateLimitsUpdated:
    """What the service sends after every ``response.done``: the token budget left."""
    remaining = max(0, RATE_LIMIT_TOKENS - tokens_used)
    return RateLimitsUpdated(
        event_id=new_id("event"),
        rate_limits=[
            RateLimitsUpdatedRateLimitsItem(
                name="tokens", limit=RATE_LIMIT_TOKENS, remaining=remaining, reset_seconds=0.001
            )
        ],
    )
