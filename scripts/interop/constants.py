"""Constants shared by the Python peers; the node peers and Sources/faye-interop/Payloads.swift
use the same values (the orchestrator checks them against one another)."""

ECHO_SIZES = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20, 16 << 20]
MULTIBYTE_TEXT = "\u03ba\u1f79\u03c3\u03bc\u03b5 \u2014 \u00fc \u00df \u2603 \u2713 \u4e2d\u6587 \U0001d11e \U0001f600"
FRAGMENTED_TEXT = "fragments: \u0125\u00e9llo w\u00f6rld \u2603 \u2713 \u2014 \U0001d11e \U0001f600"
SERVER_PING_PAYLOAD = "server-ping \u2603".encode()
SERVER_PING_CONFIRMATION = "pong ok"
# "κόσμε" followed by an encoded UTF-16 surrogate (U+D800), which is not valid UTF-8.
INVALID_UTF8 = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
SUBPROTOCOLS = ["chat.v1", "chat.v2"]
MAX_SIZE = 32 << 20


def fragments(data: bytes) -> list[bytes]:
    """Cuts `data` into pieces of 1, 2, 3, 1, 2, 3... bytes, so that boundaries fall inside
    every multi-byte character."""
    pieces, index, step = [], 0, 0
    while index < len(data):
        size = step % 3 + 1
        pieces.append(data[index : index + size])
        index += size
        step += 1
    return pieces
