"""Every exception the SDK raises, in one tree.

::

    RealtimeError
    ├── ProtocolError              a frame that is not a JSON object
    ├── ConfigurationError         a bad argument (ValueError too)
    │   ├── InsecureTransportError an API key about to travel over plain ws:// off loopback
    │   ├── AudioFormatError       audio the SDK cannot convert
    │   ├── ImageError             an image the SDK cannot send (format, shape, detail, URL)
    │   └── UnknownNameError       an option, session property or event type it does not know (TypeError too)
    ├── ConnectError               the websocket handshake failed (``status`` when HTTP answered)
    │   ├── AuthenticationError    401
    │   ├── PermissionDeniedError  403
    │   ├── NotFoundError          404
    │   ├── RateLimitError         429
    │   └── ConnectTimeoutError    no answer in time
    ├── ConnectionClosed           the connection ended (``code``, ``reason``); every waiter gets it
    │   └── SendTimeoutError       a send made no progress within ``send_timeout`` (TimeoutError too)
    ├── RequestTimeoutError        no answer to a request within ``request_timeout`` (TimeoutError too)
    ├── ResponseActiveError        ``create_response(on_active="raise")`` while a response is active
    ├── ResponseChainError         ``handle.final()``: tools were called and no follow-up was asked for
    ├── EventsDroppedError         an event stream nobody was reading overflowed (``dropped``)
    ├── AudioOnCallError           ``output_audio()`` on a sideband: the audio travels over the call
    ├── WebhookVerificationError   a webhook whose signature, timestamp or body does not check out
    └── ServerError                the server answered a request with an ``error`` event
        ├── ResponseFailedError    a response ended with status ``failed`` (``response``)
        └── TranscriptionFailedError  a user item's input transcription failed (``item_id``)

``redact`` hides key-like runs in text that came from a server; ``ServerError`` applies it to its message.

aiohttp's exceptions never reach the caller: the session translates them where it connects (the
handshake) and where it sends.
"""

from __future__ import annotations

import re
from typing import Literal

_SECRET = re.compile(r"\b(sk-|ek_)[A-Za-z0-9_\-*]{3,}")
"""An OpenAI key (``sk-``...) or ephemeral key (``ek_``...), whole or shortened with asterisks."""


def redact(text: str) -> str:
    """``text`` with every run that looks like an API key (``sk-``/``ek_`` and what follows) hidden.

    Servers echo a shortened key in their error messages ("Incorrect API key provided: sk-abc...xyz"); a
    20-character prefix is enough to narrow a search, so the whole run goes, only the kind stays.
    """
    return _SECRET.sub(lambda m: f"{m.group(1)}<redacted>", text)


class RealtimeError(Exception):
    """Base of every exception raised by realtime-sdk."""


class ProtocolError(RealtimeError):
    """A frame from the peer was not a JSON object."""


class ConfigurationError(RealtimeError, ValueError):
    """An argument the SDK cannot use."""


class InsecureTransportError(ConfigurationError):
    """The API key would be sent in clear text to a host that is not loopback."""


class AudioFormatError(ConfigurationError):
    """Audio the SDK cannot convert: an unsupported rate, encoding, shape or format."""


class ImageError(ConfigurationError):
    """An image the SDK cannot send, refused before anything goes out.

    Bytes that are not a PNG, JPEG, WebP or GIF; a URL that is not a ``data:`` image URL (the Realtime
    API takes images inline only); a numpy array that is not H×W×3 or H×W×4 ``uint8``; a detail level
    other than ``"auto"``, ``"low"`` or ``"high"``; an image in a message whose role is not ``user``.
    """


class UnknownNameError(ConfigurationError, TypeError):
    """A constructor option, session property or event type the SDK does not know; the message names
    the nearest known one.  A ``TypeError`` too, as Python's own unexpected keyword argument is."""


class ConnectError(RealtimeError):
    """The websocket handshake failed."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthenticationError(ConnectError):
    """HTTP 401: the API key is missing or wrong."""


class PermissionDeniedError(ConnectError):
    """HTTP 403: the key may not use this model or endpoint."""


class NotFoundError(ConnectError):
    """HTTP 404: wrong URL, model or deployment."""


class RateLimitError(ConnectError):
    """HTTP 429: too many requests or quota exhausted."""


class ConnectTimeoutError(ConnectError):
    """The handshake or the first session confirmation did not arrive in time."""


class ConnectionClosed(RealtimeError):
    """The connection is over; ``code`` and ``reason`` say how it ended (1006: dropped)."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(f"connection closed (code={code}{', reason=' + repr(reason) if reason else ''})")
        self.code = code
        self.reason = reason


class SendTimeoutError(ConnectionClosed, TimeoutError):
    """A frame could not be written within the session's ``send_timeout``: the server stopped reading.

    The connection is aborted (its unsent bytes are dropped), so the session either reconnects, with a
    ``ReconnectPolicy``, or ends; every other sender and waiter gets ``ConnectionClosed``.
    """


class RequestLostError(ConnectionClosed):
    """A request was lost with its connection twice in a row, so the session gives it up.

    Requests that mean the same on any connection are sent again after a reconnect; one whose sending
    keeps ending connections may be what the server cannot take, so it is not tried a third time.  The
    session itself reconnects and stays usable.
    """


class RequestTimeoutError(RealtimeError, TimeoutError):
    """The server did not answer a request within the session's ``request_timeout``.

    The session stays usable.  The request may still take effect: its late answer is absorbed (so it is
    never mistaken for the answer to a later request), and a late ``error`` for it arrives as an event.
    """


class ResponseTimeoutError(RealtimeError, TimeoutError):
    """A response did not finish within the ``timeout`` given to ``done()``, ``text()``, ``audio()``...

    Only the wait ends: the response goes on, and the handle can be awaited again.
    """


class ServerError(RealtimeError):
    """The server refused a request with an ``error`` event."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
        event_id: str | None = None,
    ) -> None:
        # Whatever the server wrote goes through redact(): it may quote the key it was given.
        message = redact(message)
        super().__init__(f"{code or type or 'error'}: {message}")
        self.message = message
        self.code = code
        self.type = type
        self.param = param
        self.event_id = event_id


class ResponseFailedError(ServerError):
    """A response ended with status ``failed``; ``response`` is the final ``RealtimeResponse``."""

    def __init__(self, message: str, *, response: object, code: str | None = None, type: str | None = None):
        super().__init__(message, code=code, type=type)
        self.response = response


class TranscriptionFailedError(ServerError):
    """The input transcription of a user item failed (``conversation.item.input_audio_transcription.failed``).

    ``item_id`` and ``content_index`` name the part; ``code``, ``type``, ``message`` and ``param`` are the
    event's ``error``.
    """

    def __init__(
        self,
        message: str,
        *,
        item_id: str,
        content_index: int = 0,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message, code=code, type=type, param=param)
        self.item_id = item_id
        self.content_index = content_index


class ResponseActiveError(RealtimeError):
    """``create_response(on_active="raise")`` found a response still active in the conversation."""


class ResponseChainError(RealtimeError):
    """``handle.final()`` found no final answer: a response called tools and the SDK asked for no follow-up.

    ``reason`` is ``"cancelled"`` when that response was cancelled (a barge-in, or the app: its outputs
    were sent, but the SDK does not ask for an answer the user cut off), or ``"superseded"`` when another
    response in the conversation (the app's, or server VAD's) started after the outputs went in and answers
    them instead; ``answered_by`` is that response's id.  ``response_id`` is the response that called the
    tools.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: Literal["cancelled", "superseded"],
        response_id: str,
        answered_by: str | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.response_id = response_id
        self.answered_by = answered_by


class EventsDroppedError(RealtimeError):
    """Events were left out of a stream that filled up while nothing was iterating it.

    A stream with an active iterator never drops: it pauses the reader instead (TCP backpressure).  A stream
    nobody iterates stops buffering once full, and the next iterator raises this at the gap.
    """

    def __init__(self, dropped: int) -> None:
        super().__init__(
            f"{dropped} events were not buffered: the stream was full and nothing was iterating it"
        )
        self.dropped = dropped


class AudioOnCallError(RealtimeError):
    """The session is a sideband of a SIP or WebRTC call (``RealtimeSession.attach``): the assistant's
    audio goes to the caller over the call, never over this websocket, so there is none to stream here.

    Follow the call's audio with ``output_audio_buffer.started`` / ``.stopped`` events instead.
    """


class WebhookVerificationError(RealtimeError):
    """``webhooks.unwrap`` refused a delivery: a missing header, no valid signature for the secret, a
    timestamp outside the tolerance, or a signed body that is not the event it claims to be.

    Answer such a request with HTTP 400 and act on nothing in it.  The message never contains the secret.
    """
