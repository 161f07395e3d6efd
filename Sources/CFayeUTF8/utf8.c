// UTF-8 validation with byte shuffles, after the "lookup" algorithm of John Keiser and Daniel
// Lemire ("Validating UTF-8 In Less Than One Instruction Per Byte", 2021): every byte is
// classified, together with the byte before it, by three 16-entry tables indexed by the high
// and low nibbles of the previous byte and the high nibble of the current one; each table
// entry is a set of error kinds, and a pair is invalid when all three sets share a kind.
// Continuation bytes that must follow a three- or four-byte lead are checked separately, from
// the bytes two and three places back.

#include "CFayeUTF8.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define FAYE_UTF8_AVX2 1
#endif

#ifdef FAYE_UTF8_AVX2

// The error kinds, one bit each. A pair (previous byte, current byte) has a kind when the
// previous byte's high nibble, its low nibble and the current byte's high nibble all allow it.
enum {
    // A lead byte followed by something other than a continuation byte.
    TOO_SHORT = 1 << 0,
    // An ASCII byte followed by a continuation byte.
    TOO_LONG = 1 << 1,
    // E0 followed by 80–9F (a three-byte form of a code point below U+0800).
    OVERLONG_3 = 1 << 2,
    // F4 to FF followed by 90–BF (above U+10FFFF, or no lead at all).
    TOO_LARGE = 1 << 3,
    // ED followed by A0–BF (U+D800–U+DFFF).
    SURROGATE = 1 << 4,
    // C0 or C1 followed by a continuation byte (a two-byte form of ASCII).
    OVERLONG_2 = 1 << 5,
    // F0 followed by 80–8F (a four-byte form below U+10000), or F5 to FF followed by 80–8F.
    OVERLONG_4_OR_TOO_LARGE = 1 << 6,
    // Two continuation bytes in a row: an error unless a three- or four-byte character needs
    // them, which the check of the bytes two and three places back accounts for.
    TWO_CONTINUATIONS = 1 << 7,
};

// Which kinds each high nibble of the previous byte allows.
static const int8_t previousHigh[16] = {
    // 0–7: ASCII.
    TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
    // 8–B: continuation bytes.
    (int8_t)TWO_CONTINUATIONS, (int8_t)TWO_CONTINUATIONS, (int8_t)TWO_CONTINUATIONS, (int8_t)TWO_CONTINUATIONS,
    // C: two-byte leads (C0 and C1 overlong).
    TOO_SHORT | OVERLONG_2,
    // D: two-byte leads.
    TOO_SHORT,
    // E: three-byte leads.
    TOO_SHORT | OVERLONG_3 | SURROGATE,
    // F: four-byte leads, and bytes that lead nothing.
    TOO_SHORT | TOO_LARGE | OVERLONG_4_OR_TOO_LARGE,
};

// Which kinds each low nibble of the previous byte allows.
#define ANY_LOW (TOO_SHORT | TOO_LONG | TWO_CONTINUATIONS)
static const int8_t previousLow[16] = {
    // x0: C0, E0, F0.
    (int8_t)(ANY_LOW | OVERLONG_2 | OVERLONG_3 | OVERLONG_4_OR_TOO_LARGE),
    // x1: C1.
    (int8_t)(ANY_LOW | OVERLONG_2),
    (int8_t)ANY_LOW,
    (int8_t)ANY_LOW,
    // x4: F4.
    (int8_t)(ANY_LOW | TOO_LARGE),
    // x5–xC: F5–FC.
    (int8_t)(ANY_LOW | TOO_LARGE | OVERLONG_4_OR_TOO_LARGE),
    (int8_t)(ANY_LOW | TOO_LARGE | OVERLONG_4_OR_TOO_LARGE),
    (int8_t)(ANY_LOW | TOO_LARGE | OVERLONG_4_OR_TOO_LARGE),
    (int8_t)(ANY_LOW | TOO_LARGE | OVERLONG_4_OR_TOO_LARGE),
    (int8_t)(ANY_LOW | TOO_LARGE | OVERLONG_4_OR_TOO_LARGE),
    (int8_t)(ANY_LOW | TOO_LARGE | OVERLONG_4_OR_TOO_LARGE),
    (int8_t)(ANY_LOW | TOO_LARGE | OVERLONG_4_OR_TOO_LARGE),
    (int8_t)(ANY_LOW | TOO_LARGE | OVERLONG_4_OR_TOO_LARGE),
    // xD: ED (and FD).
    (int8_t)(ANY_LOW | SURROGATE | TOO_LARGE | OVERLONG_4_OR_TOO_LARGE),
    // xE, xF: FE, FF.
    (int8_t)(ANY_LOW | TOO_LARGE | OVERLONG_4_OR_TOO_LARGE),
    (int8_t)(ANY_LOW | TOO_LARGE | OVERLONG_4_OR_TOO_LARGE),
};

// Which kinds each high nibble of the current byte allows.
static const int8_t currentHigh[16] = {
    // 0–7: ASCII.
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
    // 8: 80–8F.
    (int8_t)(TOO_LONG | OVERLONG_2 | OVERLONG_3 | OVERLONG_4_OR_TOO_LARGE | TWO_CONTINUATIONS),
    // 9: 90–9F.
    (int8_t)(TOO_LONG | OVERLONG_2 | OVERLONG_3 | TOO_LARGE | TWO_CONTINUATIONS),
    // A, B: A0–BF.
    (int8_t)(TOO_LONG | OVERLONG_2 | SURROGATE | TOO_LARGE | TWO_CONTINUATIONS),
    (int8_t)(TOO_LONG | OVERLONG_2 | SURROGATE | TOO_LARGE | TWO_CONTINUATIONS),
    // C–F: lead bytes.
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
};

#define AVX2 __attribute__((target("avx2")))

AVX2 static inline __m256i table(const int8_t entries[16]) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)entries));
}

// The bytes `n` places before each byte of `current`, the first ones from `previous`.
#define BEFORE(current, previous, n) \
    _mm256_alignr_epi8((current), _mm256_permute2x128_si256((previous), (current), 0x21), 16 - (n))

// The error bits of one block of 32 bytes that follows `previous`.
AVX2 static inline __m256i blockErrors(
    __m256i current, __m256i previous, __m256i tableHigh, __m256i tableLow, __m256i tableCurrent) {
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    __m256i before1 = BEFORE(current, previous, 1);
    __m256i kinds = _mm256_and_si256(
        _mm256_and_si256(
            _mm256_shuffle_epi8(tableHigh, _mm256_and_si256(_mm256_srli_epi16(before1, 4), nibble)),
            _mm256_shuffle_epi8(tableLow, _mm256_and_si256(before1, nibble))),
        _mm256_shuffle_epi8(tableCurrent, _mm256_and_si256(_mm256_srli_epi16(current, 4), nibble)));
    // A byte two places after E0–FF, or three after F0–FF, must be a continuation byte, whose
    // two-continuation bit then cancels (and is an error when it is missing).
    __m256i before2 = BEFORE(current, previous, 2);
    __m256i before3 = BEFORE(current, previous, 3);
    __m256i third = _mm256_subs_epu8(before2, _mm256_set1_epi8((char)(0xE0 - 0x80)));
    __m256i fourth = _mm256_subs_epu8(before3, _mm256_set1_epi8((char)(0xF0 - 0x80)));
    __m256i needed = _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8((char)0x80));
    return _mm256_xor_si256(kinds, needed);
}

// Nonzero lanes where the block ends inside a character: a lead byte among its last three
// bytes that needs more bytes than remain.
AVX2 static inline __m256i endsInside(__m256i block) {
    const __m256i limits = _mm256_setr_epi8(
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, (char)(0xF0 - 1), (char)(0xE0 - 1),
        (char)(0xC0 - 1));
    return _mm256_subs_epu8(block, limits);
}

AVX2 static faye_utf8_result copyValidateAVX2(
    const uint8_t *source, uint8_t *destination, size_t count, uint64_t key) {
    const __m256i mask = _mm256_set1_epi64x((long long)key);
    const __m256i tableHigh = table(previousHigh);
    const __m256i tableLow = table(previousLow);
    const __m256i tableCurrent = table(currentHigh);
    __m256i previous = _mm256_setzero_si256();
    __m256i errors = _mm256_setzero_si256();
    // Nonzero while the previous block ended inside a character.
    __m256i open = _mm256_setzero_si256();
    __m256i seen = _mm256_setzero_si256();
    size_t index = 0;
    for (; index + 64 <= count; index += 64) {
        __m256i a = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(source + index)), mask);
        __m256i b = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(source + index + 32)), mask);
        _mm256_storeu_si256((__m256i *)(destination + index), a);
        _mm256_storeu_si256((__m256i *)(destination + index + 32), b);
        __m256i both = _mm256_or_si256(a, b);
        if (_mm256_movemask_epi8(both) == 0) {
            // ASCII: valid unless a character was left open before it.
            errors = _mm256_or_si256(errors, open);
            open = _mm256_setzero_si256();
            previous = b;
            continue;
        }
        seen = _mm256_or_si256(seen, both);
        errors = _mm256_or_si256(errors, blockErrors(a, previous, tableHigh, tableLow, tableCurrent));
        errors = _mm256_or_si256(errors, blockErrors(b, a, tableHigh, tableLow, tableCurrent));
        open = endsInside(b);
        previous = b;
    }
    faye_utf8_result result;
    result.processed = index;
    result.invalid = !_mm256_testz_si256(errors, errors);
    result.sawNonASCII = _mm256_movemask_epi8(seen) != 0;
    result.endsIncomplete = !_mm256_testz_si256(open, open);
    return result;
}

static int avx2Available(void) {
    static int state = -1;
    int known = __atomic_load_n(&state, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&state, known, __ATOMIC_RELAXED);
    }
    return known;
}

#endif

faye_utf8_result faye_utf8_copy_validate(
    const uint8_t *source, uint8_t *destination, size_t count, uint64_t key) {
#ifdef FAYE_UTF8_AVX2
    if (avx2Available()) return copyValidateAVX2(source, destination, count, key);
#endif
    (void)source;
    (void)destination;
    (void)count;
    (void)key;
    faye_utf8_result none;
    memset(&none, 0, sizeof none);
    return none;
}
