#!/usr/bin/env python3
"""The HTTP/2 battery against faye-server: the Python `h2` package as the client, over TLS with
ALPN (https:) or over cleartext with prior knowledge (http:, faye-server --h2c), with WebSockets
over HTTP/2 (RFC 8441 extended CONNECT; RFC 6455 frames from `wsproto`'s frame layer, masked, with
permessage-deflate) and EventSource streams on h2: ALPN and the HTTP/1.1 fallback, the SETTINGS,
echo and closing handshakes inside a stream, resets and protocol errors kept to their stream,
per-stream flow control, many streams at once, the concurrency limit and the refused requests.

Run faye-server with --protocols chat.v1,chat.v2 --sse-interval 100. Every check opens its own
connection. Prints one JSON line per check: {"check": NAME, "ok": BOOL, "detail": TEXT, "seconds": N}.
usage: h2_peer.py --url https://HOST:PORT --cafile CA.pem | --url http://HOST:PORT [--only CHECK[,CHECK]]
"""
import argparse
import asyncio
import json
import os
import random
import ssl
import sys
import time
from urllib.parse import urlsplit

try:
    import h2.config
    import h2.connection
    import h2.events
    from h2.errors import ErrorCodes
    from h2.settings import SettingCodes
    from wsproto.extensions import PerMessageDeflate
    from wsproto.frame_protocol import FrameProtocol, Opcode
except ImportError as error:  # a missing peer is a failure, never a skip
    print(f"h2_peer.py: Python h2 or wsproto is not installed ({error}): scripts/venv.sh installs them (scripts/interop.sh runs the peers with its python)", file=sys.stderr)
    sys.exit(3)

sys.dont_write_bytecode = True  # no __pycache__ in the source tree from the import below
from constants import INVALID_UTF8, MULTIBYTE_TEXT, SUBPROTOCOLS  # noqa: E402

WAIT = 15  # seconds, the bound of any single wait inside a check
BUDGET = 110  # seconds for the whole battery; a check left without time reports a failure
DEFAULT_WINDOW = 65535  # RFC 9113's initial flow-control window, which this client keeps


class RecordingDeflate(PerMessageDeflate):
    """permessage-deflate that also notes each received frame's header as it came off the wire:
    (opcode, RSV1, payload length before decompression)."""

    def __init__(self):
        super().__init__()
        self.frames = []

    def frame_inbound_header(self, proto, opcode, rsv, payload_length):
        self.frames.append((opcode, rsv.rsv1, payload_length))
        return super().frame_inbound_header(proto, opcode, rsv, payload_length)


def ws_frame(opcode, payload, masked=True):
    """One final RFC 6455 frame written by hand (for what wsproto will not send)."""
    head = bytearray([0x80 | opcode])
    mask_bit, size = (0x80 if masked else 0), len(payload)
    if size < 126:
        head.append(mask_bit | size)
    elif size < 1 << 16:
        head += bytes([mask_bit | 126]) + size.to_bytes(2, "big")
    else:
        head += bytes([mask_bit | 127]) + size.to_bytes(8, "big")
    if masked:
        key = os.urandom(4)
        payload = bytes(byte ^ key[index % 4] for index, byte in enumerate(payload))
        head += key
    return bytes(head) + payload


class Stream:
    """What one h2 stream has received so far."""

    def __init__(self, stream_id):
        self.id = stream_id
        self.headers = None  # dict of the response's header fields
        self.body = bytearray()
        self.ended = False  # the server's END_STREAM
        self.reset = None  # the server's RST_STREAM error code
        self.received = 0  # flow-controlled bytes
        self.held = False  # True: received data is not acknowledged (no WINDOW_UPDATE)
        self.unacknowledged = 0
        self.offered_deflate = False
        self.websocket = None

    @property
    def status(self):
        return int(self.headers[":status"]) if self.headers else None


class WebSocket:
    """RFC 6455 inside one stream: wsproto's frame layer as a client (masks what it sends)."""

    def __init__(self, connection, stream, deflate):
        self.connection, self.stream, self.deflate = connection, stream, deflate
        self.proto = FrameProtocol(client=True, extensions=[deflate] if deflate else [])
        self.messages, self.parts = [], []
        self.close = None  # (code, reason) received
        self.error = None

    def feed(self, data):
        if self.error or self.close:
            return
        try:
            self.proto.receive_bytes(data)
            for frame in self.proto.received_frames():
                if frame.opcode is Opcode.CLOSE:
                    self.close = (int(frame.payload[0]), frame.payload[1])
                elif not frame.opcode.iscontrol():
                    self.parts.append(frame.payload)
                    if frame.message_finished:
                        empty = "" if isinstance(frame.payload, str) else b""
                        self.messages.append(empty.join(self.parts))
                        self.parts = []
        except Exception as error:  # noted; the check waiting on this stream reports it
            self.error = f"{type(error).__name__}: {error}"

    async def send(self, message):
        await self.connection.send(self.stream.id, bytes(self.proto.send_data(message)))

    async def receive(self, timeout=WAIT):
        await self.connection.until(lambda: self.messages or self.close or self.error or self.stream.reset is not None,
                                    timeout, f"a message on stream {self.stream.id}")
        if self.messages:
            return self.messages.pop(0)
        raise AssertionError(f"stream {self.stream.id}: no message but {self.state()}")

    async def expect_echo(self, message, timeout=WAIT):
        await self.send(message)
        received = await self.receive(timeout)
        if type(received) is not type(message):
            raise AssertionError(f"{type(message).__name__} came back as {type(received).__name__}")
        if received != message:
            raise AssertionError(f"the echo of {len(message)} differs ({len(received)} came back)")

    async def wait_close(self, timeout=WAIT):
        """Waits for the server's close frame and its END_STREAM; returns (code, reason)."""
        await self.connection.until(lambda: (self.close and self.stream.ended) or self.error or self.stream.reset is not None,
                                    timeout, f"close and END_STREAM on stream {self.stream.id}")
        if not (self.close and self.stream.ended):
            raise AssertionError(f"stream {self.stream.id}: {self.state()}")
        return self.close

    def state(self):
        parts = [f"close {self.close}" if self.close else "no close frame",
                 "END_STREAM" if self.stream.ended else "no END_STREAM"]
        if self.stream.reset is not None:
            parts.append(f"RST_STREAM {error_name(self.stream.reset)}")
        if self.error:
            parts.append(f"frame error {self.error}")
        return ", ".join(parts)


class Connection:
    """One HTTP/2 connection: h2's client state machine over asyncio streams, read by a task."""

    def __init__(self, target, reader, writer, h2_connection):
        self.target, self.reader, self.writer, self.h2 = target, reader, writer, h2_connection
        self.streams = {}
        self.peer_settings = None  # the server's first SETTINGS, {code: value}
        self.pings_acknowledged = 0
        self.failure = None
        self.changed = asyncio.Condition()
        self.task = asyncio.create_task(self.read())

    @classmethod
    async def open(cls, target, validate=True):
        reader, writer = await target.open_socket(["h2"])
        if target.tls and writer.get_extra_info("ssl_object").selected_alpn_protocol() != "h2":
            writer.close()
            raise AssertionError("ALPN did not select h2")
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8",
                                           validate_outbound_headers=validate)
        connection = cls(target, reader, writer, h2.connection.H2Connection(config=config))
        connection.h2.initiate_connection()
        await connection.flush()
        await connection.until(lambda: connection.peer_settings is not None, WAIT, "the server's SETTINGS")
        return connection

    async def read(self):
        try:
            while True:
                data = await self.reader.read(1 << 16)
                if not data:
                    raise ConnectionError("the server closed the connection")
                for event in self.h2.receive_data(data):
                    self.handle(event)
                self.writer.write(self.h2.data_to_send())
                async with self.changed:
                    self.changed.notify_all()
        except Exception as error:
            self.failure = self.failure or f"{type(error).__name__}: {error}"
            async with self.changed:
                self.changed.notify_all()

    def handle(self, event):
        stream = self.streams.get(getattr(event, "stream_id", None))
        if isinstance(event, h2.events.RemoteSettingsChanged) and self.peer_settings is None:
            self.peer_settings = {code: change.new_value for code, change in event.changed_settings.items()}
        elif isinstance(event, h2.events.PingAckReceived):
            self.pings_acknowledged += 1
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.failure = (f"the server sent GOAWAY {error_name(event.error_code)} (last stream {event.last_stream_id}"
                            f", debug data {event.additional_data!r})")
        elif stream is None:
            return
        elif isinstance(event, h2.events.ResponseReceived):
            stream.headers = dict(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            stream.received += event.flow_controlled_length
            if stream.held:
                stream.unacknowledged += event.flow_controlled_length
            elif event.flow_controlled_length:
                self.h2.acknowledge_received_data(event.flow_controlled_length, stream.id)
            if stream.websocket:
                stream.websocket.feed(event.data)
            else:
                stream.body += event.data
        elif isinstance(event, h2.events.StreamEnded):
            stream.ended = True
        elif isinstance(event, h2.events.StreamReset):
            stream.reset = event.error_code

    async def flush(self):
        self.writer.write(self.h2.data_to_send())
        await self.writer.drain()

    async def until(self, predicate, timeout, what):
        """Waits, at most `timeout` seconds, until predicate() is true."""
        def settled():
            return predicate() or self.failure is not None
        try:
            async with self.changed:
                await asyncio.wait_for(self.changed.wait_for(settled), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"waited {timeout} s for {what}") from None
        if not predicate():
            raise AssertionError(f"connection failed waiting for {what}: {self.failure}")

    def start(self, headers, end_stream=False):
        """Sends a request's HEADERS on a new stream (flushed by the caller); returns the Stream."""
        stream = Stream(self.h2.get_next_available_stream_id())
        self.streams[stream.id] = stream
        self.h2.send_headers(stream.id, headers, end_stream=end_stream)
        return stream

    async def request(self, headers, end_stream=False, timeout=WAIT):
        stream = self.start(headers, end_stream)
        await self.flush()
        await self.response(stream, timeout)
        return stream

    async def response(self, stream, timeout=WAIT):
        await self.until(lambda: stream.headers is not None or stream.reset is not None, timeout,
                         f"the response on stream {stream.id}")
        if stream.headers is None:
            raise AssertionError(f"stream {stream.id} reset with {error_name(stream.reset)} instead of a response")

    async def send(self, stream_id, data, end_stream=False):
        """Sends DATA as the stream's and the connection's windows allow."""
        view = memoryview(data)
        while True:
            await self.until(lambda: not view or self.h2.local_flow_control_window(stream_id) > 0, WAIT,
                             f"a flow-control window on stream {stream_id}")
            size = min(len(view), self.h2.local_flow_control_window(stream_id), self.h2.max_outbound_frame_size)
            last = size == len(view)
            self.h2.send_data(stream_id, view[:size].tobytes(), end_stream=end_stream and last)
            view = view[size:]
            await self.flush()
            if last:
                return

    def get_headers(self, path, accept=None):
        headers = [(":method", "GET"), (":scheme", self.target.scheme), (":authority", self.target.authority), (":path", path)]
        return headers + ([("accept", accept)] if accept else [])

    def connect_headers(self, path="/echo", deflate=True, protocols=SUBPROTOCOLS, version="13", authority=True):
        headers = [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", self.target.scheme), (":path", path)]
        if authority:
            headers.append((":authority", self.target.authority))
        headers.append(("sec-websocket-version", version))
        if protocols:
            headers.append(("sec-websocket-protocol", ", ".join(protocols)))
        if deflate:
            headers.append(("sec-websocket-extensions", "permessage-deflate; client_max_window_bits"))
        return headers

    def start_websocket(self, path="/echo", deflate=True, protocols=SUBPROTOCOLS):
        stream = self.start(self.connect_headers(path, deflate, protocols))
        stream.offered_deflate = deflate
        return stream

    async def accepted(self, stream, timeout=WAIT):
        """Waits for a 200 to the extended CONNECT on `stream`; returns its WebSocket."""
        await self.response(stream, timeout)
        if stream.status != 200:
            raise AssertionError(f"extended CONNECT answered {stream.status}")
        extensions = stream.headers.get("sec-websocket-extensions", "")
        deflate = None
        if stream.offered_deflate and extensions.split(";")[0].strip() == "permessage-deflate":
            deflate = RecordingDeflate()
            deflate.finalize(extensions)
        stream.websocket = WebSocket(self, stream, deflate)
        # Bytes that came before the WebSocket existed (the same read as the HEADERS).
        early, stream.body = bytes(stream.body), bytearray()
        if early:
            stream.websocket.feed(early)
        return stream.websocket

    async def websocket(self, path="/echo", deflate=True, protocols=SUBPROTOCOLS):
        stream = self.start_websocket(path, deflate, protocols)
        await self.flush()
        return await self.accepted(stream)

    async def reset(self, stream, code):
        self.h2.reset_stream(stream.id, code)
        await self.flush()

    async def ping(self):
        expected = self.pings_acknowledged + 1
        self.h2.ping(os.urandom(8))
        await self.flush()
        await self.until(lambda: self.pings_acknowledged >= expected, WAIT, "the PING's acknowledgement")

    def release(self, stream):
        """Acknowledges what a held stream received and stops holding it."""
        stream.held = False
        if stream.unacknowledged:
            self.h2.acknowledge_received_data(stream.unacknowledged, stream.id)
            stream.unacknowledged = 0

    async def close(self):
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        try:
            if self.failure is None:
                self.h2.close_connection()
                await asyncio.wait_for(self.flush(), 2)
        except Exception:
            pass
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 2)
        except Exception:
            pass


class Target:
    def __init__(self, url, cafile):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise SystemExit(f"h2_peer.py: --url must be http: or https:, not {url}")
        self.scheme, self.tls = parts.scheme, parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port or (443 if self.tls else 80)
        self.authority = f"{self.host}:{self.port}"
        self.cafile = cafile

    async def open_socket(self, alpn):
        if not self.tls:
            return await asyncio.open_connection(self.host, self.port)
        context = ssl.create_default_context(cafile=self.cafile)
        context.set_alpn_protocols(alpn)
        return await asyncio.open_connection(self.host, self.port, ssl=context, server_hostname=self.host)


async def http1_get(target, alpn=None):
    """An HTTP/1.1 GET / (on TLS, offering `alpn`); returns (ALPN selected, status line, head, body)."""
    reader, writer = await target.open_socket(alpn or ["http/1.1"])
    try:
        selected = writer.get_extra_info("ssl_object").selected_alpn_protocol() if target.tls else None
        writer.write(f"GET / HTTP/1.1\r\nHost: {target.authority}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)).decode("latin-1").lower()
        length = [line.split(":", 1)[1] for line in head.split("\r\n") if line.startswith("content-length:")]
        if length:
            body = await asyncio.wait_for(reader.readexactly(int(length[0])), WAIT)
        else:  # Connection: close, so the body ends with the connection
            body = await asyncio.wait_for(reader.read(), WAIT)
    finally:
        writer.close()
    return selected, head.split("\r\n", 1)[0].upper(), head, body


def compressible_text(size):
    lines = (f"tick {index:06d}: the quick brown fox jumps over the lazy dog; status ok\n" for index in range(size // 16))
    return "".join(lines)[:size]


def tick_events(body):
    """The (event, id) of every complete event in a text/event-stream body."""
    events = []
    text = body.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    for block in text.split("\n\n")[:-1]:
        fields = dict(line.split(":", 1) for line in block.split("\n") if ":" in line and not line.startswith(":"))
        fields = {name: value[1:] if value.startswith(" ") else value for name, value in fields.items()}
        if "data" in fields:
            events.append((fields.get("event", "message"), fields.get("id")))
    return events


class Battery:
    def __init__(self, target, only):
        self.target, self.only = target, only
        self.passed = True
        self.deadline = time.monotonic() + BUDGET

    async def run(self, name, timeout, body):
        if self.only and name not in self.only:
            return
        started = time.monotonic()
        timeout = min(timeout, self.deadline - started)
        try:
            if timeout < 1:
                raise AssertionError(f"not run: the battery's {BUDGET} s were used up")
            detail = await asyncio.wait_for(body(), timeout)
            ok = True
        except asyncio.TimeoutError:
            ok, detail = False, f"timed out after {timeout} s"
        except Exception as error:  # every failure is reported as the check's result
            ok, detail = False, f"{type(error).__name__}: {error}"
        self.passed = self.passed and ok
        line = {"check": name, "ok": ok, "detail": detail, "seconds": round(time.monotonic() - started, 3)}
        print(json.dumps(line), flush=True)

    async def on_connection(self, body, validate=True):
        """Runs body(connection) on a connection of its own."""
        connection = await Connection.open(self.target, validate)
        try:
            return await body(connection)
        finally:
            await connection.close()

    # -- ALPN and HTTP/1.1 ------------------------------------------------------------------------

    async def alpn_h2(self):
        reader, writer = await self.target.open_socket(["h2", "http/1.1"])
        selected = writer.get_extra_info("ssl_object").selected_alpn_protocol()
        writer.close()
        if selected != "h2":
            raise AssertionError(f"offered h2, http/1.1: the server selected {selected!r}")
        return "offered h2, http/1.1: the server selected h2"

    async def alpn_fallback(self):
        selected, status, _, _ = await http1_get(self.target, ["http/1.1"])
        if selected != "http/1.1":
            raise AssertionError(f"offered http/1.1 only: the server selected {selected!r}")
        if status.split()[:2] != ["HTTP/1.1", "200"]:
            raise AssertionError(f"GET / answered {status!r}")
        return f"offered http/1.1 only: selected http/1.1; GET / answered {status!r}"

    async def h1_on_h2c_port(self):
        _, status, head, body = await http1_get(self.target)
        if status.split()[:2] != ["HTTP/1.1", "200"]:
            raise AssertionError(f"GET / answered {status!r}")
        if "content-type: text/html" not in head:
            raise AssertionError("GET / did not answer text/html")
        return f"GET / answered {status!r} with {len(body)} bytes"

    # -- HTTP/2 ----------------------------------------------------------------------------------

    async def settings(self, connection):
        received = connection.peer_settings
        connect = received.get(SettingCodes.ENABLE_CONNECT_PROTOCOL)
        streams = received.get(SettingCodes.MAX_CONCURRENT_STREAMS)
        if connect != 1 or streams != 100:
            raise AssertionError(f"ENABLE_CONNECT_PROTOCOL={connect}, MAX_CONCURRENT_STREAMS={streams}")
        named = ", ".join(f"{error_name(code, SettingCodes)}={value}" for code, value in received.items())
        return f"the server's SETTINGS: {named}"

    async def get_root(self, connection):
        stream = await connection.request(connection.get_headers("/"), end_stream=True)
        await connection.until(lambda: stream.ended or stream.reset is not None, WAIT, "the end of the body")
        content_type = stream.headers.get("content-type", "")
        if stream.status != 200 or not content_type.startswith("text/html") or b"<html" not in stream.body.lower():
            raise AssertionError(f"{stream.status} {content_type!r}, {len(stream.body)} bytes, reset {stream.reset}")
        return f"200 {content_type}, {len(stream.body)} bytes"

    async def connect_accepted(self, connection):
        stream = connection.start_websocket()
        await connection.flush()
        ws = await connection.accepted(stream)
        headers = stream.headers
        problems = []
        if headers.get("sec-websocket-protocol") != "chat.v1":
            problems.append(f"subprotocol {headers.get('sec-websocket-protocol')!r}, not chat.v1")
        if "permessage-deflate" not in headers.get("sec-websocket-extensions", ""):
            problems.append(f"extensions {headers.get('sec-websocket-extensions')!r}")
        if "sec-websocket-accept" in headers:
            problems.append("a sec-websocket-accept in the response")
        if problems:
            raise AssertionError("; ".join(problems))
        await ws.expect_echo("accepted")
        return f"200; subprotocol chat.v1; extensions {headers['sec-websocket-extensions']!r}"

    async def echo(self, connection, message):
        ws = await connection.websocket()
        await ws.expect_echo(message, timeout=30)
        size = len(message.encode() if isinstance(message, str) else message)
        return f"{size} bytes echoed ({'permessage-deflate' if ws.deflate else 'uncompressed'})"

    async def echo_deflated(self, connection):
        ws = await connection.websocket()
        if ws.deflate is None:
            raise AssertionError("permessage-deflate not negotiated")
        text = compressible_text(64 << 10)
        ws.deflate.frames.clear()
        await ws.expect_echo(text)
        frames = [frame for frame in ws.deflate.frames if not frame[0].iscontrol()]
        wire = sum(length for _, _, length in frames)
        if not frames or not frames[0][1]:
            raise AssertionError(f"the echo's first frame does not have RSV1 set ({len(frames)} frames)")
        if wire * 4 > len(text):
            raise AssertionError(f"{wire} payload bytes on the wire for a {len(text)}-byte message")
        return f"{len(text)} bytes echoed in {len(frames)} frame(s), RSV1 set, {wire} payload bytes received"

    async def close_from_client(self, connection):
        ws = await connection.websocket()
        await ws.expect_echo("before closing")
        await connection.send(ws.stream.id, bytes(ws.proto.close(1000, "bye")))
        code, reason = await ws.wait_close()
        if code != 1000:
            raise AssertionError(f"closed with {code} {reason!r}, not 1000")
        connection.h2.end_stream(ws.stream.id)
        await connection.flush()
        await connection.ping()  # the connection goes on
        state = connection.h2.streams.get(ws.stream.id)
        if state is not None and not state.closed:
            raise AssertionError(f"the stream is not closed after both END_STREAMs ({state.state_machine.state})")
        if ws.stream.reset is not None:
            raise AssertionError(f"the server reset the stream with {error_name(ws.stream.reset)}")
        return f"got close {code} {reason!r} and END_STREAM; ended ours; the stream is closed both ways"

    async def close_from_server(self, connection):
        ws = await connection.websocket()
        await connection.send(ws.stream.id, ws_frame(Opcode.TEXT, INVALID_UTF8))
        code, reason = await self.answer_close(connection, ws)
        if code != 1007:
            raise AssertionError(f"closed with {code} {reason!r}, not 1007")
        return f"invalid UTF-8 text: close {code} {reason!r} and END_STREAM"

    @staticmethod
    async def answer_close(connection, ws):
        """Waits for the server's close frame, answers it and its END_STREAM with ours."""
        await connection.until(lambda: ws.close or ws.error or ws.stream.reset is not None, WAIT, "a close frame")
        if ws.close and not ws.stream.ended:
            await connection.send(ws.stream.id, bytes(ws.proto.close(ws.close[0])))
        code, reason = await ws.wait_close()
        connection.h2.end_stream(ws.stream.id)
        await connection.flush()
        return code, reason

    async def rst_from_client(self, connection):
        first = await connection.websocket()
        await first.expect_echo("before the reset")
        await connection.reset(first.stream, ErrorCodes.CANCEL)
        second = await connection.websocket()
        await second.expect_echo("after the reset \u2603")
        await connection.ping()
        return f"stream {first.stream.id} reset with CANCEL; stream {second.stream.id} on the same connection echoes"

    async def protocol_error(self, connection):
        b = await connection.websocket()
        a = await connection.websocket()
        await b.expect_echo("before")
        await connection.send(a.stream.id, ws_frame(Opcode.TEXT, b"unmasked", masked=False))
        code, reason = await self.answer_close(connection, a)
        if code != 1002:
            raise AssertionError(f"stream A closed with {code} {reason!r}, not 1002")
        await b.expect_echo("after stream A's protocol error")
        return f"A (stream {a.stream.id}): close {code} {reason!r} and END_STREAM; B (stream {b.stream.id}) still echoes"

    async def non_reading(self, connection):
        # This client keeps the initial window of 65,535 bytes per stream. The connection's
        # window is opened wide, so that what A holds stops stream A and no other.
        connection.h2.increment_flow_control_window(32 << 20)
        a = await connection.websocket(deflate=False)
        b = await connection.websocket(deflate=False)
        a.stream.held = True
        message = random.Random(12).randbytes(1 << 20)
        await a.send(message)
        await connection.until(lambda: a.stream.received > 0, WAIT, "the start of A's echo")
        started = time.monotonic()
        for index in range(10):
            await b.expect_echo(f"B {index} while A is blocked", timeout=5)
        b_seconds = time.monotonic() - started
        if a.messages or a.stream.received > DEFAULT_WINDOW:
            raise AssertionError(f"A received {a.stream.received} bytes without a WINDOW_UPDATE")
        held = a.stream.received
        connection.release(a.stream)
        await connection.flush()
        echoed = await a.receive(30)
        if echoed != message:
            raise AssertionError(f"A's echo differs after the release ({len(echoed)} bytes)")
        return f"A held at {held} bytes; B echoed 10 messages in {b_seconds:.3f} s; A's 1 MiB echo then complete"

    async def many_streams(self, connection):
        sockets = [connection.start_websocket() for _ in range(40)]
        sources = [connection.start(connection.get_headers(f"/events/{index}", "text/event-stream"), end_stream=True)
                   for index in range(20)]
        await connection.flush()
        websockets = [await connection.accepted(stream) for stream in sockets]
        expected = {ws: f"stream {ws.stream.id}: message {index} \u2603" for index, ws in enumerate(websockets)}
        for ws, message in expected.items():
            await ws.send(message)

        def ticks(stream):
            return [int(event_id) for name, event_id in tick_events(stream.body) if name == "tick" and event_id]

        def settled():
            done = [ws.messages or ws.close or ws.error or ws.stream.reset is not None for ws in websockets]
            done += [len(ticks(stream)) >= 3 or stream.ended or stream.reset is not None for stream in sources]
            return all(done)
        try:
            await connection.until(settled, WAIT, "every echo and 3 ticks on every EventSource")
        finally:
            echoed = sum(1 for ws, message in expected.items() if ws.messages[:1] == [message])
            ticking = [stream for stream in sources if stream.status == 200 and len(ticks(stream)) >= 3
                       and all(later > earlier for earlier, later in zip(ticks(stream), ticks(stream)[1:]))]
            counts = f"{echoed} of 40 WebSockets echoed their own message; {len(ticking)} of 20 EventSources got 3 ticks or more with increasing ids"
        if echoed < 40 or len(ticking) < 20:
            raise AssertionError(counts)
        return f"{counts} (at least {min(len(ticks(stream)) for stream in sources)} each)"

    async def beyond_limit(self, connection):
        limit = connection.h2.remote_settings.max_concurrent_streams
        if limit != 100:
            raise AssertionError(f"the server's MAX_CONCURRENT_STREAMS is {limit}, not 100")
        sources = [connection.start(connection.get_headers(f"/events/{index}", "text/event-stream"), end_stream=True)
                   for index in range(limit)]
        await connection.flush()
        for stream in sources:
            await connection.response(stream)
            if stream.status != 200:
                raise AssertionError(f"EventSource stream {stream.id} answered {stream.status}")
        # h2 refuses to open a stream beyond the peer's MAX_CONCURRENT_STREAMS (TooManyStreamsError).
        # remote_settings is h2's public Settings mapping of the peer's values: assigning a value
        # queues it and acknowledge() makes it current, as h2 does itself on a received SETTINGS.
        connection.h2.remote_settings.max_concurrent_streams = limit + 1
        connection.h2.remote_settings.acknowledge()
        extra = connection.start(connection.get_headers("/events/extra", "text/event-stream"), end_stream=True)
        await connection.flush()
        await connection.until(lambda: extra.reset is not None or extra.headers is not None, WAIT, "the refusal")
        if extra.reset != ErrorCodes.REFUSED_STREAM:
            answer = f"status {extra.status}" if extra.headers else f"RST_STREAM {extra.reset}"
            raise AssertionError(f"stream {extra.id}, the {limit + 1}th open: {answer}, not RST_STREAM REFUSED_STREAM")
        for stream in sources:
            connection.h2.reset_stream(stream.id, ErrorCodes.CANCEL)
        await connection.flush()
        after = await connection.request(connection.get_headers("/"), end_stream=True)
        await connection.until(lambda: after.ended, WAIT, "the body of GET /")
        ws = await connection.websocket()
        await ws.expect_echo("after the refusal")
        if after.status != 200:
            raise AssertionError(f"GET / after resetting the {limit} answered {after.status}")
        return (f"{limit} EventSource streams open: stream {extra.id} got RST_STREAM REFUSED_STREAM; "
                f"after resetting the {limit}, GET / answered 200 and a WebSocket echoed")

    async def refused(self, connection, headers, expected, header=None):
        stream = await connection.request(headers)
        if stream.status != expected:
            raise AssertionError(f"answered {stream.status}, not {expected}")
        if header and stream.headers.get(header[0]) != header[1]:
            raise AssertionError(f"{expected} without {header[0]}: {header[1]} ({stream.headers.get(header[0])!r})")
        if not stream.ended and stream.reset is None:
            await connection.reset(stream, ErrorCodes.CANCEL)
        note = f" with {header[0]}: {header[1]}" if header else ""
        return f"answered {stream.status}{note}"

    def plan(self):
        """Every check: (name, timeout, body, "tls" or "h2c" when only there)."""
        def on(body, *arguments, validate=True):
            return lambda: self.on_connection(lambda connection: body(connection, *arguments), validate)
        plain_connect = [(":method", "CONNECT"), (":authority", self.target.authority)]
        return [
            ("alpn selects h2", WAIT, self.alpn_h2, "tls"),
            ("alpn http/1.1 fallback", WAIT, self.alpn_fallback, "tls"),
            ("h1 on the h2c port", WAIT, self.h1_on_h2c_port, "h2c"),
            ("settings advertise extended CONNECT", WAIT, on(self.settings), None),
            ("GET / over h2", WAIT, on(self.get_root), None),
            ("extended CONNECT accepted", WAIT, on(self.connect_accepted), None),
            ("echo text", WAIT, on(self.echo, MULTIBYTE_TEXT), None),
            ("echo binary", WAIT, on(self.echo, bytes(range(256))), None),
            ("echo 1 MiB binary", 40, on(self.echo, random.Random(1).randbytes(1 << 20)), None),
            ("echo deflated text", WAIT, on(self.echo_deflated), None),
            ("close from client", WAIT, on(self.close_from_client), None),
            ("close from server", WAIT, on(self.close_from_server), None),
            ("rst from client leaves the connection", WAIT, on(self.rst_from_client), None),
            ("protocol error stays in its stream", WAIT, on(self.protocol_error), None),
            ("non-reading stream blocks only itself", 45, on(self.non_reading), None),
            ("many streams on one connection", 30, on(self.many_streams), None),
            ("stream beyond the limit refused", 30, on(self.beyond_limit), None),
            ("plain CONNECT refused", WAIT, on(self.refused, plain_connect, 405), None),
            ("extended CONNECT without authority refused", WAIT,
             on(lambda c: self.refused(c, c.connect_headers(authority=False), 400), validate=False), None),
            ("wrong websocket version refused", WAIT,
             on(lambda c: self.refused(c, c.connect_headers(version="8"), 426, ("sec-websocket-version", "13"))), None),
        ]

    async def all(self):
        mode = "tls" if self.target.tls else "h2c"
        for name, timeout, body, only_in in self.plan():
            if only_in in (None, mode):
                await self.run(name, timeout, body)


def error_name(code, names=ErrorCodes):
    """The name of an h2 error code (or, with names=SettingCodes, of a setting)."""
    try:
        return names(code).name
    except ValueError:
        return hex(code)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="https://HOST:PORT (TLS, ALPN) or http://HOST:PORT (h2c)")
    parser.add_argument("--cafile", help="the CA that signed faye-server's certificate (https)")
    parser.add_argument("--only", help="comma-separated check names")
    arguments = parser.parse_args()
    only = [name.strip() for name in arguments.only.split(",")] if arguments.only else None
    battery = Battery(Target(arguments.url, arguments.cafile), only)
    known = [name for name, _, _, _ in battery.plan()]
    unknown = [name for name in only or [] if name not in known]
    if unknown:
        parser.error(f"unknown checks {unknown}; the checks: {', '.join(known)}")
    asyncio.run(battery.all())
    sys.exit(0 if battery.passed else 1)


if __name__ == "__main__":
    main()
