"""Incoming-call webhooks: check a delivery's signature, then read it as a typed event.

OpenAI signs webhooks with the Standard Webhooks scheme (standardwebhooks.com):

- ``webhook-id`` names the delivery, ``webhook-timestamp`` is its Unix time in seconds;
- ``webhook-signature`` holds one or more space-separated ``v1,<base64 HMAC-SHA256>`` entries (more than one
  while a secret is being rotated), each over the bytes ``"<id>.<timestamp>.<body>"``;
- the key is the base64 text after the ``whsec_`` prefix of the endpoint's signing secret.

A delivery is accepted when one ``v1`` entry matches (compared in constant time) and its timestamp is within
``tolerance`` seconds of now, in either direction: an old delivery replayed later is refused.  The body must
be checked as the exact bytes received, before any JSON parsing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import TypeAlias

from ._generated import WebhookRealtimeCallIncoming
from .errors import ProtocolError, WebhookVerificationError
from .events import UnknownWebhookEvent, decode_webhook

__all__ = ["DEFAULT_TOLERANCE", "UnknownWebhookEvent", "WebhookEvent", "unwrap"]

DEFAULT_TOLERANCE = 300
"""Seconds a delivery's timestamp may differ from the clock (the scheme's five minutes)."""


WebhookEvent: TypeAlias = WebhookRealtimeCallIncoming | UnknownWebhookEvent
"""What ``unwrap`` returns: a typed event, or a correctly signed one of a type this SDK does not know
(``live.call.incoming``...) as ``UnknownWebhookEvent`` (its ``type`` and ``raw`` body)."""


def unwrap(
    payload: bytes | str,
    headers: Mapping[str, str],
    *,
    secret: str,
    tolerance: float = DEFAULT_TOLERANCE,
) -> WebhookEvent:
    """Verify a webhook delivery and return its event; raise ``WebhookVerificationError`` otherwise.

    ``payload`` is the request body exactly as received (``await request.read()``), ``headers`` the request
    headers (any mapping; names are matched case-insensitively), ``secret`` the endpoint's ``whsec_...``
    signing secret.
    """
    body = payload.encode() if isinstance(payload, str) else payload
    fields = {name.lower(): value for name, value in headers.items()}
    msg_id = _header(fields, "webhook-id")
    stamp = _header(fields, "webhook-timestamp")
    signatures = _header(fields, "webhook-signature")
    try:
        sent_at = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a Unix time in seconds") from None
    if abs(time.time() - sent_at) > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is more than {tolerance:g} s away from now (replayed or clock skew)"
        )
    expected = hmac.new(_key(secret), f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    if not any(_matches(entry, expected) for entry in signatures.split()):
        raise WebhookVerificationError("no webhook-signature matches the secret and the body")
    return _decode(body)


def _header(fields: Mapping[str, str], name: str) -> str:
    value = fields.get(name)
    if not value:
        raise WebhookVerificationError(f"the {name} header is missing")
    return value


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        # The message leaves the secret out on purpose.
        raise WebhookVerificationError("the signing secret is not whsec_ followed by base64") from None
    if not key:
        raise WebhookVerificationError("the signing secret is empty")
    return key


def _matches(entry: str, expected: bytes) -> bool:
    version, _, signature = entry.partition(",")
    if version != "v1":  # other schemes (v1a: asymmetric) are not what OpenAI sends; skip them
        return False
    try:
        given = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(given, expected)


def _decode(body: bytes) -> WebhookEvent:
    try:
        event = decode_webhook(body)
    except ProtocolError:
        raise WebhookVerificationError("the signed body is not a JSON object") from None
    if isinstance(event, UnknownWebhookEvent) and (event.known_type or not event.type):
        # A known type that does not fit its schema, or no type at all: not an event to act on.
        raise WebhookVerificationError(f"the signed body is not a valid event: {event.error}")
    return event
