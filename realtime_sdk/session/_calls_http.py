"""The HTTP edge of call control: one request out, status, ``Location`` and body back.

Every aiohttp failure is translated here, once, into the SDK's own errors; ``calls`` builds the requests
and reads the answers without touching the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from ..errors import ConnectError, ConnectTimeoutError

__all__ = ["Reply", "post"]


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    location: str | None
    body: bytes


async def post(
    url: str,
    *,
    body: bytes | None,
    headers: dict[str, str],
    http: aiohttp.ClientSession | None,
    request_timeout: float,
) -> Reply:
    """POST ``body`` to ``url``; ``http`` is reused when given, else a session lives for this request."""
    own = http is None
    client = http if http is not None else aiohttp.ClientSession()
    try:
        async with client.post(
            url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=request_timeout)
        ) as resp:
            return Reply(resp.status, resp.headers.get("Location"), await resp.read())
    except TimeoutError:
        raise ConnectTimeoutError(f"no answer from {url} within {request_timeout} s") from None
    except aiohttp.ClientError as exc:
        # aiohttp's messages name the host, never the request headers, so the key cannot leak here.
        raise ConnectError(f"cannot reach {url}: {type(exc).__name__}: {exc}") from None
    finally:
        if own:
            await client.close()
