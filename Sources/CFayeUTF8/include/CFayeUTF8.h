#ifndef CFAYEUTF8_H
#define CFAYEUTF8_H

#include <stddef.h>
#include <stdint.h>

/// What `faye_utf8_copy_validate` found in the bytes it processed.
typedef struct {
    /// How many bytes were copied and checked (a multiple of 64, possibly 0).
    size_t processed;
    /// Nonzero when a byte in them makes the text invalid UTF-8.
    int invalid;
    /// Nonzero when any of them is not ASCII.
    int sawNonASCII;
    /// Nonzero when they end inside a character (its lead byte is among the last three).
    int endsIncomplete;
} faye_utf8_result;

/// Copies whole 64-byte blocks of `count` bytes from `source` to `destination`, XOR-ing them
/// with `key` (eight key bytes, repeated), and checks them as UTF-8 in the same pass, assuming
/// the text before `source` ends on a character boundary. Processes nothing (returns
/// `processed == 0`) where no vector implementation is available for this processor; the
/// caller then does all the work.
faye_utf8_result faye_utf8_copy_validate(
    const uint8_t *source, uint8_t *destination, size_t count, uint64_t key);

#endif
