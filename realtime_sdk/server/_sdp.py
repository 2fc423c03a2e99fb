"""An SDP answer for a WebRTC offer: syntactically what a browser accepts, carrying no real media.

The local server never opens a media path; the answer only has to parse (RFC 8866 line order, CRLF) and
mirror the offer's media sections (same kinds, protocols and ``mid``s, in order, BUNDLEd), picking Opus
for audio as the real service does.
"""

from __future__ import annotations

import secrets

__all__ = ["SdpError", "answer_for"]


class SdpError(ValueError):
    """The offer is not SDP with at least one media section."""


def answer_for(offer: str) -> str:
    lines = [line.strip() for line in offer.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines or lines[0] != "v=0":
        raise SdpError("the offer does not start with v=0")
    sections: list[list[str]] = []
    for line in lines:
        if len(line) < 2 or line[1] != "=":
            raise SdpError(f"not an SDP line: {line[:40]!r}")
        if line.startswith("m="):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
    if not sections:
        raise SdpError("the offer has no media section (m=)")
    mids = [_mid(section, index) for index, section in enumerate(sections)]
    fingerprint = ":".join(f"{b:02X}" for b in secrets.token_bytes(32))
    ufrag, pwd = secrets.token_hex(4), secrets.token_hex(12)
    out = [
        "v=0",
        f"o=- {secrets.randbelow(2**31)} 1 IN IP4 127.0.0.1",
        "s=-",
        "c=IN IP4 127.0.0.1",
        "t=0 0",
        "a=group:BUNDLE " + " ".join(mids),
        "a=msid-semantic:WMS *",
        f"a=fingerprint:sha-256 {fingerprint}",
    ]
    for section, mid in zip(sections, mids, strict=True):
        out += _media(section, mid, ufrag, pwd)
    return "\r\n".join(out) + "\r\n"


def _mid(section: list[str], index: int) -> str:
    for line in section:
        if line.startswith("a=mid:"):
            return line[len("a=mid:") :]
    return str(index)


def _media(section: list[str], mid: str, ufrag: str, pwd: str) -> list[str]:
    fields = section[0][2:].split()
    if len(fields) < 4:
        raise SdpError(f"malformed media line: {section[0]!r}")
    kind, _port, proto, formats = fields[0], fields[1], fields[2], fields[3:]
    common = [f"a=mid:{mid}", f"a=ice-ufrag:{ufrag}", f"a=ice-pwd:{pwd}", "a=setup:active"]
    if kind != "audio":
        extra = [line for line in section if line.startswith("a=sctp-port:")] or ["a=sctp-port:5000"]
        return [f"m={kind} 9 {proto} {' '.join(formats)}", *common, *extra]
    rtpmaps = {line.split()[0][len("a=rtpmap:") :]: line for line in section if line.startswith("a=rtpmap:")}
    chosen = next((pt for pt, line in rtpmaps.items() if "opus/" in line.lower()), formats[0])
    rtpmap = rtpmaps.get(chosen, f"a=rtpmap:{chosen} opus/48000/2")
    return [f"m=audio 9 {proto} {chosen}", *common, "a=rtcp-mux", "a=sendrecv", rtpmap]
