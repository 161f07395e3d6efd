#!/usr/bin/env python3
"""The Python `websockets` client battery against faye-server (which echoes on every path and
selects the first offered subprotocol among its --protocols, here chat.v1,chat.v2).

Prints one JSON line per check: {"check": NAME, "ok": BOOL, "detail": TEXT, "seconds": N}.
usage: peer_client.py --url ws://HOST:PORT --relay-url ws://HOST:PORT [--proxy http://HOST:PORT]
"""
import argparse
import asyncio
import json
import random
import sys
import time

try:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed
except ImportError as error:  # a missing peer is a failure, never a skip
    print(f"peer_client.py: Python websockets is not installed ({error}): scripts/venv.sh installs it (scripts/interop.sh runs the peers with its python)", file=sys.stderr)
    sys.exit(3)

from constants import ECHO_SIZES, FRAGMENTED_TEXT, INVALID_UTF8, MAX_SIZE, MULTIBYTE_TEXT, fragments

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike".split()


def text_of(size, seed):
    generator = random.Random(seed)
    parts, length = [], 0
    while length < size:
        word = generator.choice(WORDS) + generator.choice(" \n")
        parts.append(word)
        length += len(word)
    return "".join(parts)[:size]


def compressible_text(size):
    lines, length, index = [], 0, 0
    while length < size:
        line = '{"id":%d,"type":"tick","status":"ok","payload":"interoperability"}\n' % index
        lines.append(line)
        length += len(line)
        index += 1
    return "".join(lines)[:size]


class Battery:
    def __init__(self, url, relay_url, proxy):
        self.url = url.rstrip("/")
        self.relay_url = relay_url.rstrip("/") if relay_url else None
        self.proxy = proxy
        self.passed = True

    def connect(self, path="/echo", base=None, **options):
        options.setdefault("proxy", None)
        return connect(
            (base or self.url) + path, max_size=MAX_SIZE, ping_interval=None, close_timeout=10, **options
        )

    async def run(self, name, timeout, body):
        started = time.monotonic()
        numbers = {}
        try:
            result = await asyncio.wait_for(body(), timeout)
            detail, numbers = result if isinstance(result, tuple) else (result, {})
            ok = True
        except asyncio.TimeoutError:
            ok, detail = False, f"timed out after {timeout} s"
        except Exception as error:  # every failure is reported as the check's result
            ok, detail = False, f"{type(error).__name__}: {error}"
        self.passed = self.passed and ok
        line = {"check": name, "ok": ok, "detail": detail, "seconds": round(time.monotonic() - started, 3)}
        line.update(numbers)
        print(json.dumps(line), flush=True)

    @staticmethod
    async def expect_echo(ws, message):
        await ws.send(message)
        received = await ws.recv()
        if type(received) is not type(message):
            raise AssertionError(f"{type(message).__name__} came back as {type(received).__name__}")
        if received != message:
            raise AssertionError(f"echo of {len(message)} differs ({len(received)} came back)")

    @staticmethod
    def close_received(ws):
        frame = ws.protocol.close_rcvd
        return (frame.code, frame.reason) if frame else (None, None)

    async def clean_close(self, ws):
        await ws.close(1000)
        code, _ = self.close_received(ws)
        if code != 1000:
            raise AssertionError(f"closing: expected 1000 back, got {code}")

    async def echo(self, message):
        async with self.connect() as ws:
            await self.expect_echo(ws, message)
            await self.clean_close(ws)
        return f"{len(message.encode() if isinstance(message, str) else message)} bytes echoed"

    async def multibyte(self):
        long = (MULTIBYTE_TEXT + "\n") * 4000
        async with self.connect() as ws:
            await self.expect_echo(ws, MULTIBYTE_TEXT)
            await self.expect_echo(ws, long)
            await self.clean_close(ws)
        return f"2-, 3- and 4-byte characters echoed ({len(long.encode())} bytes in the long message)"

    async def fragmented(self):
        pieces = fragments(FRAGMENTED_TEXT.encode())
        async with self.connect() as ws:
            await ws.send(pieces, text=True)
            received = await ws.recv()
            if received != FRAGMENTED_TEXT:
                raise AssertionError(f"the reassembled echo differs: {received!r}")
            await self.clean_close(ws)
        return f"sent in {len(pieces)} fragments cut inside characters; echoed whole"

    async def ping(self):
        payload = "client-ping \u2603 0123456789".encode()
        async with self.connect() as ws:
            pong = await ws.ping(payload)
            await pong
            await self.clean_close(ws)
        return f"the pong matched the ping's {len(payload)}-byte payload"

    async def close_with_reason(self):
        reason = "bye \u2603"
        async with self.connect() as ws:
            await self.expect_echo(ws, "before closing")
            await ws.close(1000, reason)
            code, received_reason = self.close_received(ws)
        if code != 1000:
            raise AssertionError(f"expected faye-server to echo 1000, got {code}")
        return f"faye-server echoed {code} {received_reason!r}"

    async def subprotocol(self):
        offered = ["x-unknown", "chat.v2", "chat.v1"]
        async with self.connect(subprotocols=offered) as ws:
            selected = ws.subprotocol
            await self.expect_echo(ws, "with a subprotocol")
            await self.clean_close(ws)
        if selected != "chat.v2":
            raise AssertionError(f"offered {offered}: expected chat.v2, got {selected!r}")
        return f"offered {', '.join(offered)}; faye-server selected chat.v2"

    async def deflate_negotiated(self):
        async with self.connect() as ws:
            header = ws.response.headers.get("Sec-WebSocket-Extensions", "")
            if "permessage-deflate" not in header:
                raise AssertionError(f"not negotiated: {header!r}")
            await self.expect_echo(ws, compressible_text(64 << 10))
            await self.expect_echo(ws, random.Random(7).randbytes(64 << 10))
            await self.clean_close(ws)
        return f"response: {header}"

    async def deflate_wire(self):
        if not self.relay_url:
            raise AssertionError("no --relay-url given: cannot count wire bytes")
        text = compressible_text(256 << 10)
        async with self.connect(base=self.relay_url) as ws:
            if "permessage-deflate" not in ws.response.headers.get("Sec-WebSocket-Extensions", ""):
                raise AssertionError("permessage-deflate not negotiated through the relay")
            await self.expect_echo(ws, text)
            await self.expect_echo(ws, text.encode())
            await self.clean_close(ws)
        return "2 compressible messages echoed through the counting relay", {"payload_bytes": 512 << 10}

    async def burst(self):
        async with self.connect() as ws:
            expected = [f"burst {i}" if i % 2 == 0 else f"burst {i}".encode() for i in range(1000)]
            for message in expected:
                await ws.send(message)
            for index, message in enumerate(expected):
                received = await ws.recv()
                if received != message:
                    raise AssertionError(f"message {index} out of order or changed: {received!r}")
            await self.clean_close(ws)
        return "1000 messages sent without waiting came back in order"

    async def invalid_utf8(self):
        async with self.connect() as ws:
            await ws.send(INVALID_UTF8, text=True)
            try:
                message = await ws.recv()
                raise AssertionError(f"faye-server echoed invalid UTF-8: {message!r}")
            except ConnectionClosed:
                pass
            code, reason = self.close_received(ws)
        if code != 1007:
            raise AssertionError(f"expected faye-server to close with 1007, got {code} {reason!r}")
        return f"faye-server closed with 1007 {reason!r}"

    async def through_proxy(self):
        async with self.connect(proxy=self.proxy) as ws:
            await self.expect_echo(ws, text_of(100_000, 5))
            await self.expect_echo(ws, MULTIBYTE_TEXT)
            await self.clean_close(ws)
        return f"echo through tinyproxy at {self.proxy}"

    async def all(self):
        for kind in ("text", "binary"):
            for size in ECHO_SIZES:
                seed = size * 31 + (1 if kind == "text" else 2)
                message = text_of(size, seed) if kind == "text" else random.Random(seed).randbytes(size)
                timeout = 60 if size >= 1 << 20 else 15
                await self.run(f"echo {kind} {size}", timeout, lambda message=message: self.echo(message))
        await self.run("utf8 multibyte", 15, self.multibyte)
        await self.run("fragmented utf8 sent", 15, self.fragmented)
        await self.run("ping pong", 15, self.ping)
        await self.run("close 1000 with reason", 15, self.close_with_reason)
        await self.run("subprotocol", 15, self.subprotocol)
        await self.run("deflate negotiated", 15, self.deflate_negotiated)
        await self.run("deflate on the wire", 30, self.deflate_wire)
        await self.run("burst of 1000 in order", 30, self.burst)
        await self.run("invalid utf8 closed with 1007", 15, self.invalid_utf8)
        if self.proxy:
            await self.run("echo through tinyproxy", 15, self.through_proxy)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--relay-url")
    parser.add_argument("--proxy")
    arguments = parser.parse_args()
    battery = Battery(arguments.url, arguments.relay_url, arguments.proxy)
    asyncio.run(battery.all())
    sys.exit(0 if battery.passed else 1)


if __name__ == "__main__":
    main()
