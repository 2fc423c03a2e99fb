"""Call control: relay a browser's WebRTC offer, and answer, transfer or end phone (SIP) calls.

The app's backend holds the API key and steers calls it never carries audio for::

    answer = await calls.create(offer_sdp, session_properties=props)   # WebRTC: give answer.sdp back
    await calls.accept(event.data.call_id, session_properties=props)   # SIP: after realtime.call.incoming
    await calls.refer(call_id, target_uri="tel:+14155550123")          # transfer
    await calls.hangup(call_id)

Attach a sideband session (``RealtimeSession.attach(call_id=...)``) to follow and steer the conversation.
Every failure is one of the SDK's errors: ``NotFoundError`` for a call the service does not know,
``AuthenticationError`` for a bad key, ``ConnectError`` (with ``status``) for any other refusal,
``ConnectTimeoutError`` when nothing answers, ``ConfigurationError`` for arguments that cannot be sent.
"""

from .session._calls import CallAnswer, accept, create, hangup, refer, reject

__all__ = ["CallAnswer", "accept", "create", "hangup", "refer", "reject"]
