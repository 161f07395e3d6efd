#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/Corpus/<target>/ (small valid inputs, one file each).

Each input starts with the target's parameter bytes (see the comment of each fuzz target), then
the data. Run from anywhere: python3 Fuzz/make-corpus.py
"""
import hashlib
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus")
MASK = bytes([0x37, 0xFA, 0x21, 0x3D])


def frame(first, payload, masked):
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    if n <= 125:
        head = bytes([first, mask_bit | n])
    elif n <= 0xFFFF:
        head = bytes([first, mask_bit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([first, mask_bit | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def frames(masked):
    """A conversation: text, binary (16-bit length), fragmented text, ping, pong, close."""
    f = lambda first, payload: frame(first, payload, masked)
    return {
        "text": f(0x81, b"Hello"),
        "binary-126": f(0x82, bytes(range(256)) [:200]),
        "fragmented": f(0x01, b"Hel") + f(0x89, b"ping") + f(0x80, b"lo"),
        "ping-pong": f(0x89, b"Hello") + f(0x8A, b"Hello"),
        "close": f(0x81, "caf\u00e9".encode()) + f(0x88, struct.pack(">H", 1000) + b"bye"),
        "deflate-text": f(0xC1, bytes.fromhex("f248cdc9c90700")),
        "deflate-fragmented": f(0x41, bytes.fromhex("f248")) + f(0x80, bytes.fromhex("cdc9c90700")),
        "empty": f(0x81, b""),
    }


def write(target, name, data):
    directory = os.path.join(ROOT, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as file:
        file.write(data)


def crlf(*lines):
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


HYBI_REQUEST = crlf(
    "GET /chat HTTP/1.1",
    "Host: example.com",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
)
KEY1 = "4 @1  46546xW%0l 1 5"
KEY2 = "12998 5 Y3 1  .P00"
KEY3 = b"^n:ds[4U"
DRAFT76_REQUEST = crlf(
    "GET /demo HTTP/1.1",
    "Host: example.com",
    "Connection: Upgrade",
    "Sec-WebSocket-Key2: " + KEY2,
    "Upgrade: WebSocket",
    "Sec-WebSocket-Key1: " + KEY1,
    "Origin: http://example.com",
)
DRAFT75_REQUEST = crlf(
    "GET /demo HTTP/1.1",
    "Host: example.com",
    "Connection: Upgrade",
    "Upgrade: WebSocket",
    "Origin: http://example.com",
)
LEGACY_FRAMES = b"\x00Hello\xff" + b"\x80\x05world" + b"\xff\x00"


def main():
    for name, data in frames(masked=True).items():
        flags = 0x04 if name.startswith("deflate") else 0x00
        write("FuzzServerFrames", name, bytes([flags, 0x03]) + data)
    write("FuzzServerFrames", "raw-request-text", bytes([0x08, 0x12]) + frames(True)["text"])
    write("FuzzServerFrames", "small-max-length", bytes([0x02, 0x05]) + frames(True)["binary-126"])

    for name, data in frames(masked=False).items():
        flags = 0x04 if name.startswith("deflate") else 0x00
        write("FuzzClientFrames", name, bytes([flags, 0x03]) + data)
    write("FuzzClientFrames", "head-with-frames", bytes([0x08, 0x11]) + frames(False)["ping-pong"])

    masked = frames(True)
    write("FuzzHTTPRequest", "hybi", bytes([0x04, 0x05]) + HYBI_REQUEST + masked["text"])
    write(
        "FuzzHTTPRequest",
        "hybi-protocol-extensions",
        bytes([0x0C, 0x06])
        + HYBI_REQUEST[:-2]
        + b"Sec-WebSocket-Protocol: chat, superchat\r\n"
        + b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-webkit\r\n\r\n",
    )
    write("FuzzHTTPRequest", "draft76", bytes([0x04, 0x07]) + DRAFT76_REQUEST + KEY3 + LEGACY_FRAMES)
    write("FuzzHTTPRequest", "draft75", bytes([0x04, 0x01]) + DRAFT75_REQUEST + LEGACY_FRAMES)
    write("FuzzHTTPRequest", "plain-get", bytes([0x00, 0x02]) + crlf("GET /index.html?x=1 HTTP/1.1", "Host: a"))
    write("FuzzHTTPRequest", "folded-limits", bytes([0x24, 0x04]) + b"\r\n" + HYBI_REQUEST)

    accepted = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Accept: @ACCEPT@",
    ]
    unmasked = frames(False)
    write("FuzzHTTPResponse", "hybi", bytes([0x00, 0x03]) + crlf(*accepted) + unmasked["text"])
    write("FuzzHTTPResponse", "protocol", bytes([0x08, 0x04]) + crlf(*accepted, "Sec-WebSocket-Protocol: chat"))
    write(
        "FuzzHTTPResponse",
        "deflate",
        bytes([0x04, 0x05])
        + crlf(*accepted, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover")
        + unmasked["deflate-text"],
    )
    write("FuzzHTTPResponse", "refused", bytes([0x00, 0x02]) + crlf("HTTP/1.1 403 Forbidden", "Content-Length: 0"))
    write("FuzzHTTPResponse", "wrong-accept", bytes([0x00, 0x01]) + crlf(*accepted[:3], "Sec-WebSocket-Accept: x"))

    write("FuzzProxyResponse", "established", bytes([0x00, 0x03]) + crlf("HTTP/1.1 200 Connection established") + b"\x16\x03\x01tls")
    write("FuzzProxyResponse", "http10", bytes([0x00, 0x05]) + crlf("HTTP/1.0 200 OK", "Proxy-Agent: tinyproxy/1.11.1"))
    write(
        "FuzzProxyResponse",
        "auth-required",
        bytes([0x02, 0x06])
        + crlf("HTTP/1.1 407 Proxy Authentication Required", 'Proxy-Authenticate: Basic realm="proxy"', "Content-Length: 0"),
    )

    headers = {
        "deflate-offer": "permessage-deflate; client_max_window_bits",
        "deflate-full": "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=10; client_max_window_bits=12",
        "two-offers": "permessage-deflate; server_max_window_bits=8, permessage-deflate",
        "quoted": 'foo; bar="a \\"quoted\\" value"; baz=1, x-webkit-deflate-frame',
        "white-space": " \tpermessage-deflate ;\tclient_max_window_bits=\"15\" , other ",
        "empty": "",
    }
    for index, (name, header) in enumerate(headers.items()):
        write("FuzzExtensionHeader", name, bytes([index * 5 & 0x0F, 0x25]) + header.encode())

    hello = b"Hello"
    ops = (
        bytes([0x00, len(hello)]) + hello  # client -> server, round trip, limit = length
        + bytes([0x01, len(hello)]) + hello  # server -> client
        + bytes([0x86, 3]) + b"abc"  # compressible, limit payload-1 (too large)
        + bytes([0x22, 7]) + bytes.fromhex("f248cdc9c90700")  # raw compressed data, limit 4096
        + bytes([0x23, 5]) + bytes.fromhex("0000ffff00")  # raw junk, server -> client
    )
    write("FuzzInflate", "defaults", bytes([0x00, 0x00, 0x00, 0x00]) + ops)
    write("FuzzInflate", "no-context-takeover", bytes([0x03, 0x03, 0x00, 0x00]) + ops)
    write("FuzzInflate", "small-windows", bytes([0x0C, 0x0C, 0x00, 0x00]) + ops)
    write("FuzzInflate", "random-offer", bytes([0x04, 0x18, 0x31, 0x03, 0x02, 0x02, 0x01, 0x03, 0x04]) + ops)

    for name, flags, rest in [
        ("server", 0x00, KEY3 + LEGACY_FRAMES),
        ("for-request", 0x04, KEY3 + LEGACY_FRAMES),
        ("start-first", 0x08, KEY3),
        ("no-key2", 0x10, KEY3),
    ]:
        write("FuzzDraft76", name, bytes([flags, 0x02]) + KEY1.encode() + b"\n" + KEY2.encode() + b"\n" + rest)

    # flags (bits 0-1 line bound, 2-3 event bound, 4 resumed ID), chunking seed, line byte,
    # event byte, then the stream.
    for name, flags, seed, line, event, stream in [
        ("basic", 0x00, 0x03, 0, 0, b"event: greeting\ndata: hello\nid: 1\n\n"),
        ("bom", 0x00, 0x01, 0, 0, b"\xef\xbb\xbfdata: after the mark\n\n\xef\xbb\xbfdata: text\n\n"),
        ("partial-bom", 0x00, 0x00, 0, 0, b"\xef\xbbdata: x\n\n"),
        ("cr-only", 0x00, 0x02, 0, 0, b"event: a\rdata: 1\rdata: 2\r\rdata: 3\r\r"),
        ("crlf-split", 0x00, 0x00, 0, 0, b"data: a\r\n\r\nid: 7\r\ndata: b\r\n\r\n\r\n"),
        ("nul-in-id", 0x10, 0x04, 0, 0, b"id: a\x00b\ndata: x\n\nid: ok\n\nid\ndata: y\n\n"),
        ("retry", 0x00, 0x05, 0, 0, b"retry: 3000\nretry: 10a\nretry: 1 0\nretry:\nretry: 99999999999999999999999\n\n"),
        ("long-line", 0x01, 0x06, 24, 0, b"data: short\n\ndata: " + b"a" * 40 + b"\n\n"),
        ("long-event", 0x05, 0x07, 200, 12, b"data: abc\ndata: def\n\ndata: abcd\ndata: efgh\ndata: ijkl\n\n"),
        ("multi-line", 0x00, 0x02, 0, 0, b"data: a\ndata:\ndata:  b\ndata:c\n\ndata\n\n"),
        ("comments", 0x00, 0x11, 0, 0, b": a comment\n:\ndata: x\nfoo\nfoo: bar\n:data: no\n\n"),
        ("invalid-utf8", 0x0A, 0x13, 16, 16, b"data: \xff\xc3(\xe2\x82\n\xf0\x9f\x98\x80\nevent: \xc0\x80\n\n"),
        ("unfinished", 0x03, 0x0B, 0, 0, b"data: x\n\ndata: dropped\nid: 9"),
        ("word-scan", 0x02, 0x0E, 64, 0, b"data: 0123456789abcdef0123456789abcdef\rdata: 01234567\n\n"),
    ]:
        write("FuzzEventStream", name, bytes([flags, seed, line, event]) + stream)

    write_http2_seeds()


# FuzzHTTP2: two setup bytes, then operations (see the comment of FuzzHTTP2.swift). Stream
# selector 0x00 names the first stream opened; the templates are 0 GET, 1 EventSource GET,
# 2 extended CONNECT with permessage-deflate, 3 extended CONNECT with subprotocols, 4 POST,
# 5 plain CONNECT, 6 HEAD, 7 empty.
def h2_headers(template, edits=(), flags=0, stream=None):
    """HEADERS (op 0); flags: 1 on `stream`, 2 END_STREAM, 4 with CONTINUATION, 8 held."""
    selector = b"" if stream is None else bytes([stream])
    return bytes([flags << 4]) + selector + bytes([template | len(edits) << 3]) + b"".join(edits)


def h2_edit(action, name, value=b"", literal=False):
    """A header edit: action 0 add, 1 set, 2 remove, 3 add never-indexed; `name` an index of
    fieldNames or bytes (index 31, a name from the input)."""
    spec = action << 5 | (0x80 if literal else 0)
    if isinstance(name, int):
        head = bytes([spec | name])
    else:
        head = bytes([spec | 31, len(name)]) + name
    return head if action == 2 else head + bytes([len(value)]) + value


def h2_data(payload, flags=0, stream=0):
    """DATA (op 1); flags: 1 padded (no padding), 2 END_STREAM."""
    padding = b"\x00" if flags & 1 else b""
    return bytes([0x01 | flags << 4, stream, len(payload)]) + payload + padding


def h2_ws(first, payload, flags=0, stream=0):
    """A WebSocket frame as DATA (op 2); flags: 1 unmasked, 2 END_STREAM, 4 16-bit length, 8 cut."""
    return bytes([0x02 | flags << 4, stream, first, len(payload)]) + payload


def h2_rst(code, stream=0):
    return bytes([0x03, stream, code])


def h2_window(increment, stream=0, shifted=False):
    return bytes([0x04 | (0x10 if shifted else 0), stream]) + struct.pack("<H", increment)


def h2_deliver(seconds=None, tenths=None):
    """Deliver (op 9), then optionally move the clock on."""
    if seconds is not None:
        return bytes([0x39, seconds])
    if tenths is not None:
        return bytes([0x19, tenths])
    return b"\x09"


def h2_server(action, endpoint=0, binary=False):
    """Server side (op 10): action 0 close, 1 send, 2 ping, 3 terminate."""
    return bytes([0x0A | (action | (4 if binary else 0)) << 4, endpoint])


def write_http2_seeds():
    target = "FuzzHTTP2"
    text = h2_ws(0x81, b"Hello")
    seeds = {
        "get": (0x00, 0x00, h2_headers(0, flags=2)),
        "get-big-body": (
            0x01,
            0x00,
            h2_headers(0, [h2_edit(1, 2, b"/big")], flags=2) + h2_window(0x7FFF, stream=0xF0, shifted=True)
            + h2_window(0xFFFF, shifted=True) + h2_deliver(),
        ),
        "head": (0x00, 0x80, h2_headers(6, flags=2)),
        "eventsource": (
            0x00,
            0x00,
            h2_headers(1, [h2_edit(0, 11, b"41")], flags=2) + h2_server(1) + h2_server(2) + h2_server(0)
            + h2_deliver(seconds=6),
        ),
        "eventsource-close-path": (0x80, 0x00, h2_headers(1, [h2_edit(1, 2, b"/events?close")], flags=2)),
        "websocket-text": (0x00, 0x00, h2_headers(2) + text + h2_deliver()),
        "websocket-deflate": (0x00, 0x00, h2_headers(2) + h2_ws(0xC1, bytes.fromhex("f248cdc9c90700")) + h2_deliver()),
        "websocket-close": (
            0x00,
            0x00,
            h2_headers(2) + text + h2_ws(0x88, struct.pack(">H", 1000) + b"bye") + h2_deliver(seconds=6),
        ),
        "websocket-rst": (0x00, 0x00, h2_headers(2) + text + h2_rst(8)),
        "websocket-end-stream": (0x00, 0x00, h2_headers(2) + h2_ws(0x81, b"last", flags=2)),
        "websocket-fragments": (
            0x00,
            0x00,
            h2_headers(2) + h2_ws(0x01, b"Hel") + h2_ws(0x89, b"ping", flags=8) + h2_ws(0x80, b"lo") + h2_deliver(),
        ),
        "websocket-subprotocol": (
            0x40,
            0x00,
            h2_headers(3) + text + h2_server(1, binary=True) + h2_server(0) + h2_ws(0x88, struct.pack(">H", 1000)),
        ),
        "websocket-small-limits": (
            0x20,
            0x40,
            h2_headers(2) + h2_ws(0x82, bytes(range(100)), flags=4) + h2_server(1, binary=True)
            + h2_deliver(seconds=16) + h2_window(1000),
        ),
        "websocket-close-path": (0x00, 0x00, h2_headers(2, [h2_edit(1, 2, b"/chat?close")]) + h2_deliver(seconds=31)),
        "websocket-version-8": (0x00, 0x00, h2_headers(2, [h2_edit(1, 6, b"8")])),
        "websockets-over-limit": (0x04, 0x00, b"".join(h2_headers(2, flags=8) for _ in range(4)) + h2_deliver()),
        "websockets-off": (0x10, 0x00, h2_headers(2)),
        "post-body": (0x08, 0x00, h2_headers(4) + h2_data(b"hello", flags=1) + h2_data(b" world", flags=2)),
        "post-trailers": (
            0x00,
            0x00,
            h2_headers(4) + h2_data(b"body") + h2_headers(7, [h2_edit(0, b"x-checksum", b"1", literal=True)], flags=3, stream=0),
        ),
        "plain-connect": (0x00, 0x00, h2_headers(5, flags=2)),
        "cookies": (
            0x02,
            0x07,
            h2_headers(0, [h2_edit(0, 12, b"a=1"), h2_edit(3, 12, b"b=2"), h2_edit(2, 3)], flags=6),
        ),
        "settings-ping-goaway": (
            0x01,
            0x20,
            bytes([0x05, 2, 0x01, 0x00, 0x10, 0x04, 0xFF, 0xFF]) + bytes([0x06]) + b"12345678" + bytes([0x17, 0])
            + h2_headers(0, flags=2),
        ),
        "http1-fallback": (0x03, 0x00, bytes([0x08, 27]) + b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        "preface-timeout": (0x03, 0x0A, h2_deliver(seconds=31)),
    }
    for name, (first, second, operations) in seeds.items():
        write(target, name, bytes([first, second]) + operations)


if __name__ == "__main__":
    main()
