'use strict';
// Constants shared by the node peers; the same values as constants.py and
// Sources/faye-interop/Payloads.swift.
module.exports = {
  ECHO_SIZES: [0, 1, 125, 126, 127, 65535, 65536, 1 << 20, 16 << 20],
  MULTIBYTE_TEXT: '\u03ba\u1f79\u03c3\u03bc\u03b5 \u2014 \u00fc \u00df \u2603 \u2713 \u4e2d\u6587 \u{1d11e} \u{1f600}',
  FRAGMENTED_TEXT: 'fragments: \u0125\u00e9llo w\u00f6rld \u2603 \u2713 \u2014 \u{1d11e} \u{1f600}',
  SERVER_PING_PAYLOAD: Buffer.from('server-ping \u2603'),
  SERVER_PING_CONFIRMATION: 'pong ok',
  // "κόσμε" followed by an encoded UTF-16 surrogate (U+D800), which is not valid UTF-8.
  INVALID_UTF8: Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80]),
  SUBPROTOCOLS: ['chat.v1', 'chat.v2'],
  MAX_SIZE: 32 << 20,
  // Pieces of 1, 2, 3, 1, 2, 3... bytes, so that boundaries fall inside every multi-byte character.
  fragments(data) {
    const pieces = [];
    let index = 0;
    let step = 0;
    while (index < data.length) {
      const size = (step % 3) + 1;
      pieces.push(data.subarray(index, index + size));
      index += size;
      step += 1;
    }
    return pieces;
  },
};
