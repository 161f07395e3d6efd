#!/usr/bin/env python3
"""A third-party Server-Sent Events server for the interoperability suite's eventsource group:
sse-starlette's EventSourceResponse in a Starlette app, served by uvicorn on 127.0.0.1.

  GET  /events      EVENTS (below), then the stream ends; ?sep=crlf|lf|cr picks the line ending.
                    Comments (an explicit one and keep-alive pings) and a block with only a
                    `retry:` field come between the events: none of them may become an event.
  GET  /ticks       endless in total but TICKS_PER_STREAM `tick` events per response, each with
                    the id N, the data tick_data(N) (two lines, non-ASCII); N goes on from the
                    request's Last-Event-ID (or starts at 1); `retry: 100` first, so the client
                    comes back quickly after each end of stream.
  GET  /nocontent   204: the client must stop without reconnecting.
  GET  /notsse      200 text/plain: not an event stream.
  GET  /error       500.
  POST /llm         like a streaming LLM API: needs `Authorization: Bearer test-token` (else 401)
                    and a JSON body {"prompt": ...} (else 415/400), then streams llm_tokens(prompt)
                    as `token` events with JSON data and a final `done` event with data [DONE],
                    and ends.
Prints one JSON line per event on stdout: {"event": "listening", "port": P, ...} first, then one
"request" line per request (method, path, Last-Event-ID, and for /llm what it received).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys

from importlib.metadata import version

# The suite imports this module for the constants below, with or without the peer installed.
try:
    import uvicorn
    from sse_starlette import EventSourceResponse, ServerSentEvent
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    MISSING = None
except ImportError as error:
    MISSING = error

# What GET /events sends, in order: (event type or None for the default "message", data, id or None).
# An event without an id keeps the last one in force; the client's JSON line must say so.
EVENTS = [
    ("greeting", "hello", "1"),
    (None, "line one\nline two\nline three", "2"),
    ("unicode", "snowman \u2603, clef \U0001d11e, \u65e5\u672c\u8a9e, caf\u00e9", "3"),
    ("no-id", "keeps the id in force", None),
    ("spaces", "  two leading spaces\n\nafter an empty line\ttab ", "\u03b1\u03b2\u03b3-5"),
    ("json", '{"quote": "\\"", "list": [1, 2]}', "6"),
    (None, "", "7"),
]
SEPARATORS = {"crlf": "\r\n", "lf": "\n", "cr": "\r"}
TICKS_PER_STREAM = 6
TICK_RETRY_MS = 100
LLM_TOKEN = "test-token"


def tick_data(number):
    return f"tick {number}\n\u2603 {number}"


def llm_tokens(prompt):
    """The reply's tokens: a fixed start, then the prompt's words (so the body must have arrived)."""
    return ["You", " said", ":"] + [f" {word}" for word in prompt.split()] + [" \u2603"]


def emit(**fields):
    print(json.dumps(fields), flush=True)


def log_request(request: Request, **extra):
    emit(event="request", method=request.method, path=request.url.path,
         last_event_id=request.headers.get("last-event-id"), **extra)


async def events(request: Request):
    log_request(request)
    sep = SEPARATORS.get(request.query_params.get("sep", "crlf"), "\r\n")

    async def stream():
        yield ServerSentEvent(comment="a comment before the first event", sep=sep)
        yield ServerSentEvent(retry=TICK_RETRY_MS, sep=sep)  # no data: no event
        for kind, data, event_id in EVENTS:
            yield ServerSentEvent(data, event=kind, id=event_id, sep=sep)
            # Long enough for a keep-alive ping comment to fall between some events.
            await asyncio.sleep(0.02)

    return EventSourceResponse(stream(), sep=sep, ping=0.03)


async def ticks(request: Request):
    last = request.headers.get("last-event-id", "")
    log_request(request)
    start = int(last) + 1 if last.isdigit() else 1

    async def stream():
        yield ServerSentEvent(retry=TICK_RETRY_MS)
        for number in range(start, start + TICKS_PER_STREAM):
            yield ServerSentEvent(tick_data(number), event="tick", id=str(number))

    return EventSourceResponse(stream(), ping=0)


async def no_content(request: Request):
    log_request(request)
    return Response(status_code=204)


async def not_sse(request: Request):
    log_request(request)
    return PlainTextResponse("this is not an event stream\n")


async def error(request: Request):
    log_request(request)
    return PlainTextResponse("internal error\n", status_code=500)


async def llm(request: Request):
    authorization = request.headers.get("authorization")
    content_type = request.headers.get("content-type")
    body = await request.body()
    log_request(request, authorization=authorization, content_type=content_type,
                body=body.decode(errors="replace"))
    if authorization != f"Bearer {LLM_TOKEN}":
        return PlainTextResponse("missing or wrong bearer token\n", status_code=401)
    if content_type != "application/json":
        return PlainTextResponse("the body must be application/json\n", status_code=415)
    try:
        prompt = json.loads(body)["prompt"]
    except (ValueError, KeyError, TypeError):
        return PlainTextResponse("the body must be a JSON object with a prompt\n", status_code=400)

    async def stream():
        for index, token in enumerate(llm_tokens(prompt)):
            yield ServerSentEvent(json.dumps({"index": index, "token": token}, ensure_ascii=False), event="token")
            await asyncio.sleep(0.005)
        yield ServerSentEvent("[DONE]", event="done")

    return EventSourceResponse(stream(), ping=0)


def make_app():
    return Starlette(routes=[
        Route("/events", events),
        Route("/ticks", ticks),
        Route("/nocontent", no_content),
        Route("/notsse", not_sse),
        Route("/error", error),
        Route("/llm", llm, methods=["POST"]),
    ])


async def main():
    argparse.ArgumentParser(description="An sse-starlette server for the interoperability suite.").parse_args()
    if MISSING is not None:  # a missing peer is a failure, never a skip
        print(f"sse_server.py: sse-starlette or uvicorn is not installed ({MISSING}): scripts/venv.sh installs "
              "them (scripts/interop.sh runs the peers with its python)", file=sys.stderr)
        sys.exit(3)
    # Bound here so that the port is known before uvicorn starts.
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(make_app(), log_level="warning", lifespan="off"))
    serving = asyncio.get_running_loop().create_task(server.serve(sockets=[listener]))
    while not server.started:
        if serving.done():
            await serving  # raises what stopped it
            sys.exit("sse_server.py: uvicorn stopped before it started")
        await asyncio.sleep(0.01)
    emit(event="listening", port=listener.getsockname()[1],
         version=version("sse-starlette"), uvicorn=version("uvicorn"), starlette=version("starlette"))
    await serving


if __name__ == "__main__":
    asyncio.run(main())
