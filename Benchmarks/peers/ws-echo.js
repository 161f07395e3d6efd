#!/usr/bin/env node
'use strict';
// node ws echo server for `faye-bench peers`: the library's own idiomatic echo, with its
// defaults (no permessage-deflate, UTF-8 of text messages validated), on node's one event loop.
// Listens on 127.0.0.1 on an ephemeral port, prints the port and a newline once listening, and
// exits when its standard input reaches end of file (the same protocol as every peer server).
// Debian's node-ws installs the module under /usr/share/nodejs: faye-bench sets NODE_PATH.
let WebSocketServer;
try {
  ({ WebSocketServer } = require('ws'));
} catch (error) {
  process.stderr.write(`ws-echo.js: node ws is not installed (${error.message}): apt-get install node-ws\n`);
  process.exit(3);
}

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
});
server.on('listening', () => process.stdout.write(`${server.address().port}\n`));
server.on('error', (error) => {
  process.stderr.write(`ws-echo.js: ${error.message}\n`);
  process.exit(1);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
