#!/usr/bin/env node
'use strict';
// A node `ws` peer server for the interoperability suite; the same behaviour as peer_server.py:
// echo on every path; /fragmented, /ping and /invalid-utf8 first do what they say. One JSON line
// per event on stdout: {"event": "listening", "port": P, "version": V}, then one "closed" line
// per connection with the close code and reason the client sent.
// usage: node peer_server.js [--server-max-window-bits N] [--server-no-context-takeover]
//                            [--client-no-context-takeover]
let WebSocket;
try {
  WebSocket = require('ws');
} catch (error) {
  process.stderr.write(`peer_server.js: node ws is not installed (${error.message}): apt-get install node-ws\n`);
  process.exit(3);
}
const version = require('ws/package.json').version;
const C = require('./constants.js');

const argv = process.argv.slice(2);
const perMessageDeflate = {};
for (let index = 0; index < argv.length; index += 1) {
  switch (argv[index]) {
    case '--server-max-window-bits':
      perMessageDeflate.serverMaxWindowBits = Number(argv[++index]);
      break;
    case '--server-no-context-takeover':
      perMessageDeflate.serverNoContextTakeover = true;
      break;
    case '--client-no-context-takeover':
      perMessageDeflate.clientNoContextTakeover = true;
      break;
    default:
      process.stderr.write(`peer_server.js: unknown argument ${argv[index]}\n`);
      process.exit(2);
  }
}

const emit = (fields) => process.stdout.write(JSON.stringify(fields) + '\n');

const server = new WebSocket.Server({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate,
  maxPayload: C.MAX_SIZE,
  handleProtocols: (offered) => {
    for (const name of offered) if (C.SUBPROTOCOLS.includes(name)) return name;
    return false;
  },
});

server.on('connection', (ws, request) => {
  const path = request.url;
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('close', (code, reason) => emit({ event: 'closed', path, code, reason: reason.toString() }));
  ws.on('error', () => {});
  if (path === '/fragmented') {
    const pieces = C.fragments(Buffer.from(C.FRAGMENTED_TEXT));
    pieces.forEach((piece, index) => ws.send(piece, { binary: false, fin: index === pieces.length - 1 }));
  } else if (path === '/ping') {
    ws.once('pong', (data) => {
      if (data.equals(C.SERVER_PING_PAYLOAD)) ws.send(C.SERVER_PING_CONFIRMATION);
      else ws.close(4000, 'pong payload differs');
    });
    ws.ping(C.SERVER_PING_PAYLOAD);
  } else if (path === '/invalid-utf8') {
    ws.send(C.INVALID_UTF8, { binary: false });
  }
});

server.on('listening', () => emit({ event: 'listening', port: server.address().port, version }));
for (const name of ['SIGINT', 'SIGTERM']) process.on(name, () => process.exit(0));
