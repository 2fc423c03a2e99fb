"""``webhooks.unwrap``: signatures are made here with hmac directly, never by the code under test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from realtime_sdk import webhooks
from realtime_sdk.errors import RealtimeError, WebhookVerificationError
from realtime_sdk.events import WebhookRealtimeCallIncoming

KEY = b"\x01" * 8 + b"local webhook secret bytes"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
BODY = json.dumps(
    {
        "object": "event",
        "id": "evt_abc123",
        "type": "realtime.call.incoming",
        "created_at": 1719168000,
        "data": {
            "call_id": "rtc_479a275623b54bdb9b6fbae2f7cbd408",
            "sip_headers": [
                {"name": "Max-Forwards", "value": "63"},
                {"name": "From", "value": "sip:+142555512112@sip.example.com"},
            ],
        },
    }
).encode()


def signed(body: bytes, *, key: bytes = KEY, msg_id: str = "wh_1", at: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if at is None else at)
    mac = hmac.new(key, msg_id.encode() + b"." + stamp.encode() + b"." + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }


def test_a_correctly_signed_incoming_call_comes_out_typed() -> None:
    event = webhooks.unwrap(BODY, signed(BODY), secret=SECRET)
    assert isinstance(event, WebhookRealtimeCallIncoming)
    assert event.type == "realtime.call.incoming"
    assert event.data.call_id == "rtc_479a275623b54bdb9b6fbae2f7cbd408"
    assert [(h.name, h.value) for h in event.data.sip_headers] == [
        ("Max-Forwards", "63"),
        ("From", "sip:+142555512112@sip.example.com"),
    ]


def test_the_standard_webhooks_published_vector_verifies() -> None:
    # The example of the Standard Webhooks specification: secret, id, timestamp, body and signature.
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    body = b'{"test": 2432232314}'
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    # A signed body that is not an event: the signature passed, the body is then refused as not typed.
    with pytest.raises(WebhookVerificationError, match="not a valid event"):
        webhooks.unwrap(body, headers, secret=secret, tolerance=10**10)
    with pytest.raises(WebhookVerificationError, match="signature"):
        webhooks.unwrap(body + b" ", headers, secret=secret, tolerance=10**10)


def test_header_names_match_case_insensitively_and_str_bodies_work() -> None:
    headers = {name.title(): value for name, value in signed(BODY).items()}
    assert isinstance(webhooks.unwrap(BODY.decode(), headers, secret=SECRET), WebhookRealtimeCallIncoming)


def test_wrong_secret_is_refused_and_the_message_keeps_the_secret_out() -> None:
    other = "whsec_" + base64.b64encode(b"another key of some length").decode()
    with pytest.raises(WebhookVerificationError) as info:
        webhooks.unwrap(BODY, signed(BODY), secret=other)
    assert other not in str(info.value) and SECRET not in str(info.value)
    assert isinstance(info.value, RealtimeError)


def test_a_changed_body_is_refused() -> None:
    headers = signed(BODY)
    tampered = BODY.replace(b"rtc_479a", b"rtc_999a")
    with pytest.raises(WebhookVerificationError, match="signature"):
        webhooks.unwrap(tampered, headers, secret=SECRET)


def test_a_timestamp_an_hour_old_is_refused_even_when_correctly_signed() -> None:
    headers = signed(BODY, at=int(time.time()) - 3600)
    with pytest.raises(WebhookVerificationError, match="timestamp"):
        webhooks.unwrap(BODY, headers, secret=SECRET)
    future = signed(BODY, at=int(time.time()) + 3600)
    with pytest.raises(WebhookVerificationError, match="timestamp"):
        webhooks.unwrap(BODY, future, secret=SECRET)


def test_a_changed_id_or_timestamp_breaks_the_signature() -> None:
    headers = signed(BODY)
    with pytest.raises(WebhookVerificationError, match="signature"):
        webhooks.unwrap(BODY, {**headers, "webhook-id": "wh_2"}, secret=SECRET)
    moved = str(int(headers["webhook-timestamp"]) - 1)
    with pytest.raises(WebhookVerificationError, match="signature"):
        webhooks.unwrap(BODY, {**headers, "webhook-timestamp": moved}, secret=SECRET)


def test_one_valid_entry_among_several_signatures_is_enough() -> None:
    good = signed(BODY)
    wrong = signed(BODY, key=b"an old rotated-out key")["webhook-signature"]
    headers = {**good, "webhook-signature": f"v1a,AAAA {wrong} {good['webhook-signature']}"}
    assert isinstance(webhooks.unwrap(BODY, headers, secret=SECRET), WebhookRealtimeCallIncoming)
    only_wrong = {**good, "webhook-signature": f"{wrong} v2,{good['webhook-signature'][3:]} garbage"}
    with pytest.raises(WebhookVerificationError):
        webhooks.unwrap(BODY, only_wrong, secret=SECRET)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_missing_header_is_refused(missing: str) -> None:
    headers = {k: v for k, v in signed(BODY).items() if k != missing}
    with pytest.raises(WebhookVerificationError, match=missing):
        webhooks.unwrap(BODY, headers, secret=SECRET)


def test_a_malformed_timestamp_or_secret_is_a_verification_error() -> None:
    with pytest.raises(WebhookVerificationError, match="timestamp"):
        webhooks.unwrap(BODY, {**signed(BODY), "webhook-timestamp": "soon"}, secret=SECRET)
    with pytest.raises(WebhookVerificationError, match="secret"):
        webhooks.unwrap(BODY, signed(BODY), secret="whsec_not base64!")


def test_signed_but_malformed_incoming_call_is_refused() -> None:
    body = json.dumps({"type": "realtime.call.incoming", "id": "evt_1", "created_at": 1, "data": {}}).encode()
    with pytest.raises(WebhookVerificationError, match="call_id"):
        webhooks.unwrap(body, signed(body), secret=SECRET)
    with pytest.raises(WebhookVerificationError, match="not a JSON object"):
        webhooks.unwrap(b"{nope", signed(b"{nope"), secret=SECRET)


def test_a_signed_event_of_another_type_is_returned_as_unknown() -> None:
    body = json.dumps(
        {"type": "live.call.incoming", "id": "evt_2", "created_at": 5, "data": {"session_id": "rtc_1"}}
    ).encode()
    event = webhooks.unwrap(body, signed(body), secret=SECRET)
    assert isinstance(event, webhooks.UnknownWebhookEvent)
    assert event.type == "live.call.incoming" and event.raw["data"] == {"session_id": "rtc_1"}


def test_a_secret_without_the_prefix_is_the_same_key() -> None:
    assert webhooks.unwrap(BODY, signed(BODY), secret=SECRET.removeprefix("whsec_")).id == "evt_abc123"
