/*
 * c-echo: the ceiling for `faye-bench peers`, a minimal WebSocket echo server in C.
 *
 * A measuring instrument, not a product: one thread, one epoll loop, non-blocking sockets,
 * level-triggered. It does the least work an echo server can do and still speak the protocol:
 *
 *   - the opening handshake: finds Sec-WebSocket-Key and answers 101 with its accept value
 *     (SHA-1 + base64 from libcrypto); nothing else in the request is checked;
 *   - frames: parsed in place from the read buffer, payloads unmasked eight bytes at a time
 *     straight into the output buffer behind an unmasked server header;
 *   - text, binary and continuation frames are echoed frame by frame (same FIN and opcode),
 *     pings answered with pongs, a close answered with a close and the connection closed;
 *   - no UTF-8 validation, no extensions, no limits beyond memory;
 *   - writes are batched: everything one read produced goes out in one write().
 *
 * Protocol with faye-bench (the same for every peer server): listens on 127.0.0.1 on an
 * ephemeral port, prints that port and a newline on standard output once ready, and exits
 * when its standard input reaches end of file.
 *
 * Build: cc -O2 -o c-echo c-echo.c -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { READ_CHUNK = 64 * 1024, MAX_EVENTS = 256 };

/* A growable byte buffer: bytes [start, end) are pending. */
struct buffer {
    unsigned char *bytes;
    size_t start, end, capacity;
};

struct connection {
    int fd;
    int open;         /* the handshake is done: the input holds frames */
    int closing;      /* a close was answered: close once the output is written */
    int want_write;   /* EPOLLOUT is registered */
    struct buffer in, out;
};

static void die(const char *what) {
    perror(what);
    exit(1);
}

/* Makes room for `count` more bytes at the end, moving pending bytes to the front first. */
static unsigned char *reserve(struct buffer *buffer, size_t count) {
    if (buffer->start > 0 && buffer->start == buffer->end) buffer->start = buffer->end = 0;
    if (buffer->capacity - buffer->end < count && buffer->start > 0) {
        memmove(buffer->bytes, buffer->bytes + buffer->start, buffer->end - buffer->start);
        buffer->end -= buffer->start;
        buffer->start = 0;
    }
    if (buffer->capacity - buffer->end < count) {
        size_t capacity = buffer->capacity ? buffer->capacity : 4096;
        while (capacity - buffer->end < count) capacity *= 2;
        unsigned char *bytes = realloc(buffer->bytes, capacity);
        if (!bytes) die("realloc");
        buffer->bytes = bytes;
        buffer->capacity = capacity;
    }
    return buffer->bytes + buffer->end;
}

/* XORs `count` bytes of `from` with the 4-byte `key` into `to`, eight bytes at a time. */
static void unmask(unsigned char *to, const unsigned char *from, size_t count, const unsigned char key[4]) {
    unsigned char key8[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
    uint64_t mask;
    memcpy(&mask, key8, 8);
    size_t index = 0;
    for (; index + 8 <= count; index += 8) {
        uint64_t word;
        memcpy(&word, from + index, 8);
        word ^= mask;
        memcpy(to + index, &word, 8);
    }
    for (; index < count; index++) to[index] = from[index] ^ key[index & 3];
}

/* Appends an unmasked server frame header for a payload of `length` bytes. */
static void put_header(struct buffer *out, unsigned char first, uint64_t length) {
    unsigned char *header = reserve(out, 10);
    header[0] = first;
    if (length < 126) {
        header[1] = (unsigned char)length;
        out->end += 2;
    } else if (length <= 0xFFFF) {
        header[1] = 126;
        header[2] = (unsigned char)(length >> 8);
        header[3] = (unsigned char)length;
        out->end += 4;
    } else {
        header[1] = 127;
        for (int shift = 0; shift < 8; shift++) header[2 + shift] = (unsigned char)(length >> (56 - 8 * shift));
        out->end += 10;
    }
}

/* Answers the opening handshake once the request is complete; returns -1 to drop the peer. */
static int handshake(struct connection *connection) {
    struct buffer *in = &connection->in;
    unsigned char *request = in->bytes + in->start;
    size_t length = in->end - in->start;
    unsigned char *end = memmem(request, length, "\r\n\r\n", 4);
    if (!end) return 0;
    static const char name[] = "\r\nsec-websocket-key:";
    const unsigned char *key = NULL;
    for (unsigned char *line = request; line + sizeof name - 1 <= end; line++) {
        if (strncasecmp((const char *)line, name, sizeof name - 1) == 0) {
            key = line + sizeof name - 1;
            break;
        }
    }
    if (!key) return -1;
    while (*key == ' ') key++;
    const unsigned char *key_end = key;
    while (key_end < end && *key_end != '\r' && *key_end != ' ') key_end++;

    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char input[128];
    size_t key_length = (size_t)(key_end - key);
    if (key_length + sizeof guid - 1 > sizeof input) return -1;
    memcpy(input, key, key_length);
    memcpy(input + key_length, guid, sizeof guid - 1);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    if (!EVP_Digest(input, key_length + sizeof guid - 1, digest, &digest_length, EVP_sha1(), NULL)) return -1;
    unsigned char accept[64];
    EVP_EncodeBlock(accept, digest, (int)digest_length);

    char response[256];
    int count = snprintf(response, sizeof response,
                         "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: %s\r\n\r\n",
                         accept);
    memcpy(reserve(&connection->out, (size_t)count), response, (size_t)count);
    connection->out.end += (size_t)count;
    in->start += (size_t)(end + 4 - request);
    connection->open = 1;
    return 0;
}

/* Echoes every complete frame in the input; returns -1 to drop the peer. */
static int frames(struct connection *connection) {
    struct buffer *in = &connection->in;
    while (!connection->closing) {
        const unsigned char *frame = in->bytes + in->start;
        size_t available = in->end - in->start;
        if (available < 2) break;
        unsigned char first = frame[0], opcode = first & 0x0F;
        uint64_t length = frame[1] & 0x7F;
        size_t header = 2;
        if (length == 126) {
            header = 4;
            if (available < header) break;
            length = ((uint64_t)frame[2] << 8) | frame[3];
        } else if (length == 127) {
            header = 10;
            if (available < header) break;
            length = 0;
            for (int index = 2; index < 10; index++) length = (length << 8) | frame[index];
        }
        if (!(frame[1] & 0x80)) return -1; /* a client frame must be masked */
        if (length > (1ull << 40)) return -1;
        header += 4;
        if (available < header + length) break;
        const unsigned char *key = frame + header - 4;
        const unsigned char *payload = frame + header;

        unsigned char reply = first;
        if (opcode == 0x9) reply = 0x80 | 0xA;       /* ping: pong */
        else if (opcode == 0x8) connection->closing = 1; /* close: echo it, then close */
        if (opcode != 0xA) {
            put_header(&connection->out, reply, length);
            unmask(reserve(&connection->out, length), payload, length, key);
            connection->out.end += length;
        }
        in->start += header + length;
    }
    return 0;
}

static void release(int epoll, struct connection *connection) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, connection->fd, NULL);
    close(connection->fd);
    free(connection->in.bytes);
    free(connection->out.bytes);
    free(connection);
}

/* Writes what is pending; registers for EPOLLOUT while some remains. Returns -1 on failure. */
static int flush(int epoll, struct connection *connection) {
    struct buffer *out = &connection->out;
    while (out->start < out->end) {
        ssize_t written = write(connection->fd, out->bytes + out->start, out->end - out->start);
        if (written < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) return -1;
            break;
        }
        out->start += (size_t)written;
    }
    int want = out->start < out->end;
    if (want != connection->want_write) {
        struct epoll_event event = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = connection};
        if (epoll_ctl(epoll, EPOLL_CTL_MOD, connection->fd, &event) < 0) return -1;
        connection->want_write = want;
    }
    if (!want && connection->closing) return -1; /* close answered and sent */
    return 0;
}

/* One read, then every complete frame echoed, then one write. Returns -1 to drop the peer. */
static int readable(int epoll, struct connection *connection) {
    unsigned char *space = reserve(&connection->in, READ_CHUNK);
    ssize_t got = read(connection->fd, space, READ_CHUNK);
    if (got == 0) return -1;
    if (got < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    connection->in.end += (size_t)got;
    if (!connection->open && handshake(connection) < 0) return -1;
    if (connection->open && frames(connection) < 0) return -1;
    return flush(epoll, connection);
}

static int listener(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) die("bind");
    if (listen(fd, 512) < 0) die("listen");
    socklen_t size = sizeof address;
    if (getsockname(fd, (struct sockaddr *)&address, &size) < 0) die("getsockname");
    printf("%d\n", ntohs(address.sin_port));
    fflush(stdout);
    return fd;
}

static void accept_all(int epoll, int server) {
    for (;;) {
        int fd = accept4(server, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) return; /* EAGAIN: none left (other errors: try again on the next event) */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct connection *connection = calloc(1, sizeof *connection);
        if (!connection) die("calloc");
        connection->fd = fd;
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = connection};
        if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) < 0) die("epoll_ctl");
    }
}

int main(void) {
    int server = listener();
    int epoll = epoll_create1(0);
    if (epoll < 0) die("epoll_create1");
    /* The listener and standard input are told apart from connections by these markers. */
    static int server_marker, stdin_marker;
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = &server_marker};
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, server, &event) < 0) die("epoll_ctl");
    event.data.ptr = &stdin_marker;
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, STDIN_FILENO, &event) < 0) die("epoll_ctl stdin");

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int count = epoll_wait(epoll, events, MAX_EVENTS, -1);
        if (count < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int index = 0; index < count; index++) {
            void *tag = events[index].data.ptr;
            if (tag == &server_marker) {
                accept_all(epoll, server);
            } else if (tag == &stdin_marker) {
                char discard[256];
                if (read(STDIN_FILENO, discard, sizeof discard) <= 0) return 0; /* the parent is done */
            } else {
                struct connection *connection = tag;
                uint32_t flags = events[index].events;
                int result = 0;
                if (flags & (EPOLLERR | EPOLLHUP)) result = -1;
                if (result == 0 && (flags & EPOLLOUT)) result = flush(epoll, connection);
                if (result == 0 && (flags & EPOLLIN)) result = readable(epoll, connection);
                if (result < 0) release(epoll, connection);
            }
        }
    }
}
