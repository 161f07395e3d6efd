#!/usr/bin/env python3
"""A Python `websockets` peer server for the interoperability suite.

Echoes every message on every path; first, on
  /fragmented    sends FRAGMENTED_TEXT as a text message cut inside its characters,
  /ping          pings with SERVER_PING_PAYLOAD and, once the matching pong came, sends
                 SERVER_PING_CONFIRMATION,
  /invalid-utf8  sends a text frame whose payload is not UTF-8 (the client must close with 1007).
Selects the first client-offered subprotocol among SUBPROTOCOLS. Prints one JSON line per event
on stdout: {"event": "listening", "port": P, "version": V} first, then one "closed" line per
connection with the close code and reason the client sent.
"""
import argparse
import asyncio
import json
import signal
import ssl
import sys

try:
    import websockets
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed
    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
except ImportError as error:  # a missing peer is a failure, never a skip
    print(f"peer_server.py: Python websockets is not installed ({error}): scripts/venv.sh installs it (scripts/interop.sh runs the peers with its python)", file=sys.stderr)
    sys.exit(3)

from constants import (
    FRAGMENTED_TEXT,
    INVALID_UTF8,
    MAX_SIZE,
    SERVER_PING_CONFIRMATION,
    SERVER_PING_PAYLOAD,
    SUBPROTOCOLS,
    fragments,
)


def emit(**fields):
    print(json.dumps(fields), flush=True)


def select_subprotocol(connection, offered):
    for name in offered:
        if name in SUBPROTOCOLS:
            return name
    return None


async def handler(ws):
    path = ws.request.path
    try:
        if path == "/fragmented":
            await ws.send(fragments(FRAGMENTED_TEXT.encode()), text=True)
        elif path == "/ping":
            pong = await ws.ping(SERVER_PING_PAYLOAD)
            await asyncio.wait_for(pong, 10)
            await ws.send(SERVER_PING_CONFIRMATION)
        elif path == "/invalid-utf8":
            await ws.send(INVALID_UTF8, text=True)
        async for message in ws:
            await ws.send(message)
    except ConnectionClosed:
        pass
    finally:
        received = ws.protocol.close_rcvd
        emit(
            event="closed",
            path=path,
            code=received.code if received else None,
            reason=received.reason if received else None,
        )


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--server-max-window-bits", type=int)
    parser.add_argument("--server-no-context-takeover", action="store_true")
    parser.add_argument("--client-no-context-takeover", action="store_true")
    arguments = parser.parse_args()

    custom = (
        arguments.server_max_window_bits is not None
        or arguments.server_no_context_takeover
        or arguments.client_no_context_takeover
    )
    compression = {}
    if custom:
        # A configuration of our own instead of the library's default one.
        compression = dict(
            compression=None,
            extensions=[
                ServerPerMessageDeflateFactory(
                    server_max_window_bits=arguments.server_max_window_bits,
                    server_no_context_takeover=arguments.server_no_context_takeover,
                    client_no_context_takeover=arguments.client_no_context_takeover,
                )
            ],
        )
    context = None
    if arguments.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(arguments.tls_cert, arguments.tls_key)

    stop = asyncio.get_running_loop().create_future()
    for number in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(number, lambda: stop.done() or stop.set_result(None))
    async with serve(
        handler,
        "127.0.0.1",
        arguments.port,
        ssl=context,
        subprotocols=SUBPROTOCOLS,
        select_subprotocol=select_subprotocol,
        max_size=MAX_SIZE,
        ping_interval=None,
        **compression,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        emit(event="listening", port=port, version=websockets.version.version)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
