#!/usr/bin/env node
'use strict';
// The node `ws` client battery against faye-server (echo on every path; subprotocols
// chat.v1,chat.v2). One JSON line per check: {"check", "ok", "detail", "seconds"}.
// usage: node peer_client.js --url ws://HOST:PORT --relay-url ws://HOST:PORT
let WebSocket;
try {
  WebSocket = require('ws');
} catch (error) {
  process.stderr.write(`peer_client.js: node ws is not installed (${error.message}): apt-get install node-ws\n`);
  process.exit(3);
}
const crypto = require('crypto');
const C = require('./constants.js');

const argv = process.argv.slice(2);
const option = (name) => {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1].replace(/\/$/, '') : undefined;
};
const baseURL = option('--url');
const relayURL = option('--relay-url');

const WORDS = 'alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike'.split(' ');
function textOf(size) {
  const parts = [];
  let length = 0;
  while (length < size) {
    const word = WORDS[crypto.randomInt(WORDS.length)] + (crypto.randomInt(8) === 0 ? '\n' : ' ');
    parts.push(word);
    length += word.length;
  }
  return parts.join('').slice(0, size);
}
function compressibleText(size) {
  const lines = [];
  let length = 0;
  for (let index = 0; length < size; index += 1) {
    const line = `{"id":${index},"type":"tick","status":"ok","payload":"interoperability"}\n`;
    lines.push(line);
    length += line.length;
  }
  return lines.join('').slice(0, size);
}

/** A connection with a message queue, so that checks can await the next message. */
class Session {
  constructor(url, protocols) {
    this.ws = new WebSocket(url, protocols, { perMessageDeflate: true, maxPayload: C.MAX_SIZE });
    this.queue = [];
    this.waiters = [];
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        this.closeEvent = { code, reason: reason.toString() };
        for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(`closed with ${code} before a message`));
        resolve(this.closeEvent);
      });
    });
    this.ws.on('upgrade', (response) => {
      this.extensionsHeader = response.headers['sec-websocket-extensions'] || '';
    });
    this.ws.on('error', (error) => {
      this.error = error;
    });
    this.ws.on('message', (data, isBinary) => {
      const message = isBinary ? { binary: true, data } : { binary: false, data: data.toString() };
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(message);
      else this.queue.push(message);
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('close', () => reject(new Error(`did not open: ${this.error ? this.error.message : 'closed'}`)));
    });
  }

  next() {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    if (this.closeEvent) return Promise.reject(new Error(`closed with ${this.closeEvent.code}`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async expectEcho(data, binary) {
    this.ws.send(data, { binary });
    const received = await this.next();
    if (received.binary !== binary) throw new Error(`${binary ? 'binary' : 'text'} came back as the other kind`);
    const same = binary ? Buffer.compare(received.data, data) === 0 : received.data === data;
    if (!same) throw new Error(`echo of ${data.length} differs (${received.data.length} came back)`);
  }

  async close(code, reason) {
    this.ws.close(code, reason);
    return this.closed;
  }

  async cleanClose() {
    const event = await this.close(1000);
    if (event.code !== 1000) throw new Error(`closing: expected 1000 back, got ${event.code}`);
  }
}

let passed = true;
async function run(name, timeoutSeconds, body) {
  const started = Date.now();
  const sessions = [];
  const open = async (path = '/echo', protocols = [], base = baseURL) => {
    const session = new Session(base + path, protocols);
    sessions.push(session);
    await session.opened;
    return session;
  };
  let timer;
  const line = { check: name, ok: true, detail: '' };
  try {
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutSeconds} s`)), timeoutSeconds * 1000);
    });
    const result = await Promise.race([body(open), timeout]);
    if (typeof result === 'string') line.detail = result;
    else Object.assign(line, result);
  } catch (error) {
    line.ok = false;
    line.detail = error.message;
  } finally {
    clearTimeout(timer);
    for (const session of sessions) session.ws.terminate();
  }
  line.seconds = (Date.now() - started) / 1000;
  passed = passed && line.ok;
  process.stdout.write(JSON.stringify(line) + '\n');
}

async function main() {
  for (const kind of ['text', 'binary']) {
    for (const size of C.ECHO_SIZES) {
      await run(`echo ${kind} ${size}`, size >= 1 << 20 ? 60 : 15, async (open) => {
        const session = await open();
        const data = kind === 'text' ? textOf(size) : crypto.randomBytes(size);
        await session.expectEcho(data, kind === 'binary');
        await session.cleanClose();
        return `${size} bytes echoed`;
      });
    }
  }
  await run('utf8 multibyte', 15, async (open) => {
    const session = await open();
    const long = (C.MULTIBYTE_TEXT + '\n').repeat(4000);
    await session.expectEcho(C.MULTIBYTE_TEXT, false);
    await session.expectEcho(long, false);
    await session.cleanClose();
    return `2-, 3- and 4-byte characters echoed (${Buffer.byteLength(long)} bytes in the long message)`;
  });
  await run('fragmented utf8 sent', 15, async (open) => {
    const session = await open();
    const pieces = C.fragments(Buffer.from(C.FRAGMENTED_TEXT));
    pieces.forEach((piece, index) => session.ws.send(piece, { binary: false, fin: index === pieces.length - 1 }));
    const received = await session.next();
    if (received.binary || received.data !== C.FRAGMENTED_TEXT) {
      throw new Error(`the reassembled echo differs: ${JSON.stringify(received.data.toString())}`);
    }
    await session.cleanClose();
    return `sent in ${pieces.length} fragments cut inside characters; echoed whole`;
  });
  await run('ping pong', 15, async (open) => {
    const session = await open();
    const payload = Buffer.from('client-ping \u2603 0123456789');
    const pong = new Promise((resolve) => session.ws.once('pong', resolve));
    session.ws.ping(payload);
    const data = await pong;
    if (!data.equals(payload)) throw new Error(`the pong carried ${JSON.stringify(data.toString())}`);
    await session.cleanClose();
    return `the pong matched the ping's ${payload.length}-byte payload`;
  });
  await run('close 1000 with reason', 15, async (open) => {
    const session = await open();
    await session.expectEcho('before closing', false);
    const event = await session.close(1000, 'bye \u2603');
    if (event.code !== 1000) throw new Error(`expected faye-server to echo 1000, got ${event.code}`);
    return `faye-server echoed ${event.code} '${event.reason}'`;
  });
  await run('subprotocol', 15, async (open) => {
    const offered = ['x-unknown', 'chat.v2', 'chat.v1'];
    const session = await open('/echo', offered);
    const selected = session.ws.protocol;
    await session.expectEcho('with a subprotocol', false);
    await session.cleanClose();
    if (selected !== 'chat.v2') throw new Error(`offered ${offered}: expected chat.v2, got '${selected}'`);
    return `offered ${offered.join(', ')}; faye-server selected chat.v2`;
  });
  await run('deflate negotiated', 15, async (open) => {
    const session = await open();
    const header = session.extensionsHeader;
    if (!session.ws.extensions.includes('permessage-deflate')) throw new Error(`not negotiated: '${header}'`);
    await session.expectEcho(compressibleText(64 << 10), false);
    await session.expectEcho(crypto.randomBytes(64 << 10), true);
    await session.cleanClose();
    return `response: ${header}`;
  });
  await run('deflate on the wire', 30, async (open) => {
    if (!relayURL) throw new Error('no --relay-url given: cannot count wire bytes');
    const session = await open('/echo', [], relayURL);
    if (!session.ws.extensions.includes('permessage-deflate')) throw new Error('not negotiated through the relay');
    const text = compressibleText(256 << 10);
    await session.expectEcho(text, false);
    await session.expectEcho(Buffer.from(text), true);
    await session.cleanClose();
    return { detail: '2 compressible messages echoed through the counting relay', payload_bytes: 512 << 10 };
  });
  await run('burst of 1000 in order', 30, async (open) => {
    const session = await open();
    for (let index = 0; index < 1000; index += 1) {
      session.ws.send(index % 2 === 0 ? `burst ${index}` : Buffer.from(`burst ${index}`), { binary: index % 2 === 1 });
    }
    for (let index = 0; index < 1000; index += 1) {
      const received = await session.next();
      if (received.binary !== (index % 2 === 1) || received.data.toString() !== `burst ${index}`) {
        throw new Error(`message ${index} out of order or changed: ${received.data.toString()}`);
      }
    }
    await session.cleanClose();
    return '1000 messages sent without waiting came back in order';
  });
  await run('invalid utf8 closed with 1007', 15, async (open) => {
    const session = await open();
    session.ws.send(C.INVALID_UTF8, { binary: false });
    const event = await session.closed;
    if (session.queue.length > 0) throw new Error('faye-server echoed invalid UTF-8');
    if (event.code !== 1007) throw new Error(`expected faye-server to close with 1007, got ${event.code}`);
    return `faye-server closed with 1007 '${event.reason}'`;
  });
  process.exit(passed ? 0 : 1);
}

main();
