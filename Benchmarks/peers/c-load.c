/*
 * c-load: the load generator of `faye-bench peers`, a minimal WebSocket echo client in C.
 *
 * A measuring instrument, like c-echo.c beside it: it should cost no more CPU per message than
 * the servers it measures, so that their cores, not the generator's, are the limit. (Against
 * c-echo at 32 B it costs about as much as c-echo does: each makes one read() and one write()
 * per batch of messages, and on loopback the writer pays for the TCP receive path too.)
 * One thread, one epoll loop, non-blocking sockets, level-triggered:
 *
 *   - opens CONNECTIONS connections to 127.0.0.1:PORT (TCP_NODELAY) and does the opening
 *     handshake with a fixed key (RFC 6455's sample), checking for 101 and the accept value;
 *   - then keeps IN_FLIGHT text messages of the payload outstanding on every connection: one
 *     masked client frame, built once (a fixed masking key: this is a benchmark client, not a
 *     browser; RFC 6455 section 10.3's unpredictable keys protect proxies, of which there are
 *     none here), copied into the output buffer for each send;
 *   - parses the echoed (unmasked) frames across reads, 7-, 16- and 64-bit lengths, and checks
 *     each: FIN text frame, unmasked, the payload's length and bytes; anything else fails the
 *     run (a wrong server cannot look fast);
 *   - each echo sends the next message; everything one read produced goes out in one write();
 *   - the round trip of every echo in the measured window is timed (one clock read per read(),
 *     the sends of a slot's next message stamped with it) into a 1 µs histogram.
 *
 * After WARMUP seconds of load it measures for SECONDS: messages echoed, the wall time, and the
 * time on a CPU and waiting on a run queue of this process and, given SERVER_PID, of the server
 * process (every thread: the sums of /proc/PID/task/TID/schedstat's first two fields, ns; where
 * there is no schedstat, /proc/PID/stat's utime + stime in clock ticks and no wait), read as the
 * window opens and as it closes. A process whose run + wait is close to the window was never
 * idle, waiting for its peer: it was the limit. Then it stops sending, sends a close frame
 * (1000) on every connection, reads until the server's close arrives (2 s at most; connections
 * still open then are reset) and prints one line on standard output:
 *
 *   result messages=N seconds=S p50_us=X p99_us=Y load_cpu_seconds=L load_wait_seconds=W
 *          server_cpu_seconds=C server_wait_seconds=V core=K      (all on one line)
 *
 * (the server's figures are -1 without SERVER_PID, a wait -1 when unknown; core is the one
 * core this process may run on, -1 when it may run on several; round trips in whole µs, the
 * upper end of their 1 µs bucket). Failures go to standard error with exit status 1.
 *
 * Standard input: first exactly SIZE bytes, the message's payload (sent as a text frame: it
 * must be UTF-8 for servers that validate it); then it stays open, and end of file on it
 * (faye-bench gone) ends the run at once.
 *
 * Usage: c-load PORT CONNECTIONS IN_FLIGHT SIZE WARMUP SECONDS [SERVER_PID]
 * Build: cc -O2 -o c-load c-load.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
    READ_CHUNK = 64 * 1024,
    MAX_EVENTS = 256,
    /* Round trips are counted in 1 µs buckets up to this; longer ones in the last bucket. */
    HISTOGRAM_MICROSECONDS = 1000 * 1000,
};

/* Where a connection is. */
enum phase { CONNECTING, HANDSHAKING, OPEN, CLOSING, DONE };

/* A growable byte buffer: bytes [start, end) are pending. */
struct buffer {
    unsigned char *bytes;
    size_t start, end, capacity;
};

struct connection {
    int fd;
    int index;
    enum phase phase;
    int want_write; /* EPOLLOUT is registered */
    struct buffer in, out;
    /* Send times of the messages in flight, oldest first (echoes come back in order). */
    uint64_t *sent;
    size_t sent_head, sent_count;
};

/* The run's settings and state; one thread, so plain globals. */
static struct {
    int connections, in_flight;
    size_t size;
    unsigned char *payload;
    unsigned char *frame; /* the masked client frame carrying the payload */
    size_t frame_length;
    int epoll;
    struct connection *all;
    int open_count, done_count;
    int measuring, stopping;
    uint64_t completed;
    uint32_t *histogram;
} run;

static void fail(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    fputs("c-load: ", stderr);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    exit(1);
}

static uint64_t clock_ns(clockid_t clock) {
    struct timespec spec;
    clock_gettime(clock, &spec);
    return (uint64_t)spec.tv_sec * 1000000000u + (uint64_t)spec.tv_nsec;
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
        if (!bytes) fail("out of memory");
        buffer->bytes = bytes;
        buffer->capacity = capacity;
    }
    return buffer->bytes + buffer->end;
}

static void append(struct buffer *buffer, const void *bytes, size_t count) {
    memcpy(reserve(buffer, count), bytes, count);
    buffer->end += count;
}

/* A masked client frame: FIN + `opcode`, `length` bytes of `payload` XORed with `key`. */
static size_t client_frame(unsigned char *to, unsigned char opcode, const unsigned char *payload, size_t length,
                           const unsigned char key[4]) {
    size_t header = 2;
    to[0] = 0x80 | opcode;
    if (length < 126) {
        to[1] = 0x80 | (unsigned char)length;
    } else if (length <= 0xFFFF) {
        to[1] = 0x80 | 126;
        to[2] = (unsigned char)(length >> 8);
        to[3] = (unsigned char)length;
        header = 4;
    } else {
        to[1] = 0x80 | 127;
        for (int shift = 0; shift < 8; shift++) to[2 + shift] = (unsigned char)((uint64_t)length >> (56 - 8 * shift));
        header = 10;
    }
    memcpy(to + header, key, 4);
    header += 4;
    for (size_t index = 0; index < length; index++) to[header + index] = payload[index] ^ key[index & 3];
    return header + length;
}

/* Registers for EPOLLOUT exactly while output is pending. */
static void watch_writes(struct connection *connection, int want) {
    if (want == connection->want_write) return;
    struct epoll_event event = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = connection};
    if (epoll_ctl(run.epoll, EPOLL_CTL_MOD, connection->fd, &event) < 0) fail("epoll_ctl: %s", strerror(errno));
    connection->want_write = want;
}

/* Writes what is pending (one write() when the socket takes it all). */
static void flush(struct connection *connection) {
    struct buffer *out = &connection->out;
    while (out->start < out->end) {
        ssize_t written = write(connection->fd, out->bytes + out->start, out->end - out->start);
        if (written < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            if (run.stopping) return; /* the close handshake's end: the peer may be gone */
            fail("connection %d: write: %s", connection->index, strerror(errno));
        }
        out->start += (size_t)written;
    }
    watch_writes(connection, out->start < out->end);
}

/* Queues one message, stamped with `now`. */
static void send_message(struct connection *connection, uint64_t now) {
    size_t slot = (connection->sent_head + connection->sent_count) % (size_t)run.in_flight;
    connection->sent[slot] = now;
    connection->sent_count++;
    append(&connection->out, run.frame, run.frame_length);
}

static void finish(struct connection *connection) {
    if (connection->phase == DONE) return;
    connection->phase = DONE;
    epoll_ctl(run.epoll, EPOLL_CTL_DEL, connection->fd, NULL);
    close(connection->fd);
    run.done_count++;
}

/* The 101 response, once complete; then the connection is open. */
static void handshake_response(struct connection *connection) {
    struct buffer *in = &connection->in;
    unsigned char *response = in->bytes + in->start;
    size_t length = in->end - in->start;
    unsigned char *end = memmem(response, length, "\r\n\r\n", 4);
    if (!end) {
        if (length > 16 * 1024) fail("connection %d: no end to the handshake response", connection->index);
        return;
    }
    *end = 0; /* the headers as a string (the frames after them start at end + 4) */
    if (strncmp((const char *)response, "HTTP/1.1 101 ", 13) != 0) {
        fail("connection %d: the server answered '%.*s' instead of 101", connection->index,
             (int)strcspn((const char *)response, "\r"), response);
    }
    /* The accept value for the request's key, RFC 6455 section 1.3's example. */
    static const char name[] = "\r\nsec-websocket-accept:";
    int accepted = 0;
    for (unsigned char *line = response; line < end; line++) {
        if (strncasecmp((const char *)line, name, sizeof name - 1) == 0) {
            const char *value = (const char *)line + sizeof name - 1;
            value += strspn(value, " ");
            accepted = strncmp(value, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28) == 0;
            break;
        }
    }
    if (!accepted) fail("connection %d: missing or wrong Sec-WebSocket-Accept", connection->index);
    in->start += (size_t)(end + 4 - response);
    connection->phase = OPEN;
    run.open_count++;
}

/* Every complete frame in the input: echoes checked and counted, the next messages queued. */
static void frames(struct connection *connection, uint64_t now) {
    struct buffer *in = &connection->in;
    for (;;) {
        const unsigned char *frame = in->bytes + in->start;
        size_t available = in->end - in->start;
        if (available < 2) return;
        uint64_t length = frame[1] & 0x7F;
        size_t header = 2;
        if (length == 126) {
            header = 4;
            if (available < header) return;
            length = ((uint64_t)frame[2] << 8) | frame[3];
        } else if (length == 127) {
            header = 10;
            if (available < header) return;
            length = 0;
            for (int index = 2; index < 10; index++) length = (length << 8) | frame[index];
        }
        if (frame[1] & 0x80) fail("connection %d: the server sent a masked frame", connection->index);
        if (length > (uint64_t)run.size + 125) {
            fail("connection %d: a %llu-byte frame where %zu-byte echoes were expected", connection->index,
                 (unsigned long long)length, run.size);
        }
        if (available < header + length) return;
        const unsigned char *payload = frame + header;
        unsigned char opcode = frame[0] & 0x0F;
        in->start += header + (size_t)length;

        if (opcode == 0x9) { /* ping: pong */
            unsigned char pong[14 + 125];
            static const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
            if (length > 125) fail("connection %d: a ping longer than 125 bytes", connection->index);
            append(&connection->out, pong, client_frame(pong, 0xA, payload, (size_t)length, key));
            continue;
        }
        if (opcode == 0xA) continue;
        if (opcode == 0x8) {
            if (connection->phase == CLOSING) {
                finish(connection);
                return;
            }
            unsigned code = length >= 2 ? (unsigned)payload[0] << 8 | payload[1] : 0;
            fail("connection %d: the server closed it (code %u)", connection->index, code);
        }
        if (frame[0] != 0x81) fail("connection %d: an echo with first byte 0x%02x, not a whole text frame",
                                   connection->index, frame[0]);
        if (length != run.size || memcmp(payload, run.payload, run.size) != 0) {
            fail("connection %d: an echo of %llu bytes that differs from the %zu-byte message", connection->index,
                 (unsigned long long)length, run.size);
        }
        if (connection->sent_count == 0) fail("connection %d: an echo of a message never sent", connection->index);
        uint64_t sent = connection->sent[connection->sent_head];
        connection->sent_head = (connection->sent_head + 1) % (size_t)run.in_flight;
        connection->sent_count--;
        if (run.measuring) {
            uint64_t microseconds = (now - sent) / 1000;
            run.histogram[microseconds < HISTOGRAM_MICROSECONDS ? microseconds : HISTOGRAM_MICROSECONDS - 1]++;
            run.completed++;
        }
        if (connection->phase == OPEN && !run.stopping) send_message(connection, now);
    }
}

/* One read, then every complete frame handled, then one write. */
static void readable(struct connection *connection) {
    unsigned char *space = reserve(&connection->in, READ_CHUNK);
    ssize_t got = read(connection->fd, space, READ_CHUNK);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (got <= 0) {
        if (connection->phase == CLOSING) { /* the server closed the TCP connection at once */
            finish(connection);
            return;
        }
        fail("connection %d: %s", connection->index, got == 0 ? "the server closed it" : strerror(errno));
    }
    uint64_t now = clock_ns(CLOCK_MONOTONIC);
    connection->in.end += (size_t)got;
    if (connection->phase == HANDSHAKING) handshake_response(connection);
    if (connection->phase == OPEN || connection->phase == CLOSING) frames(connection, now);
    if (connection->phase != DONE) flush(connection);
}

/* The non-blocking connect finished: sends the opening handshake. */
static void connected(struct connection *connection, int port) {
    int error = 0;
    socklen_t size = sizeof error;
    getsockopt(connection->fd, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error) fail("connection %d: connect to port %d: %s", connection->index, port, strerror(error));
    char request[256];
    int count = snprintf(request, sizeof request,
                         "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                         port);
    append(&connection->out, request, (size_t)count);
    connection->phase = HANDSHAKING;
    flush(connection);
}

static void open_connection(struct connection *connection, int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) fail("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0 && errno != EINPROGRESS) {
        fail("connect to port %d: %s", port, strerror(errno));
    }
    connection->fd = fd;
    connection->phase = CONNECTING;
    connection->want_write = 1;
    struct epoll_event event = {.events = EPOLLIN | EPOLLOUT, .data.ptr = connection};
    if (epoll_ctl(run.epoll, EPOLL_CTL_ADD, fd, &event) < 0) fail("epoll_ctl: %s", strerror(errno));
}

/* Time of a process on a CPU and waiting for one, in seconds (wait -1 when unknown). */
struct cpu_time {
    double run, wait;
};

/* The sum over the threads of process `pid` of their schedstat's run time and run-queue wait
 * (ns), or, without schedstat, /proc/PID/stat's utime + stime (clock ticks) and no wait. */
static struct cpu_time process_cpu_time(long pid) {
    char path[96];
    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR *directory = opendir(path);
    if (!directory) fail("cannot read %s: %s", path, strerror(errno));
    uint64_t run_ns = 0, wait_ns = 0;
    int threads = 0, schedstat = 1;
    struct dirent *entry;
    while (schedstat && (entry = readdir(directory))) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%ld/task/%.20s/schedstat", pid, entry->d_name);
        FILE *file = fopen(path, "r");
        if (!file) continue; /* a thread that just exited */
        unsigned long long on_cpu, waiting;
        if (fscanf(file, "%llu %llu", &on_cpu, &waiting) == 2) {
            run_ns += on_cpu;
            wait_ns += waiting;
            threads++;
        } else {
            schedstat = 0;
        }
        fclose(file);
    }
    closedir(directory);
    if (schedstat && threads > 0) return (struct cpu_time){(double)run_ns / 1e9, (double)wait_ns / 1e9};
    /* No schedstat: utime and stime, fields 14 and 15, after the command's closing parenthesis. */
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *file = fopen(path, "r");
    if (!file) fail("cannot read %s: %s", path, strerror(errno));
    char text[1024];
    size_t count = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[count] = 0;
    char *close = strrchr(text, ')');
    unsigned long long user, system;
    if (!close || sscanf(close + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &user, &system) != 2) {
        fail("unexpected %s", path);
    }
    return (struct cpu_time){(double)(user + system) / (double)sysconf(_SC_CLK_TCK), -1};
}

/* The round trip (µs) below which `fraction` of the counted ones fall: the bucket's upper end. */
static double percentile(double fraction) {
    uint64_t rank = (uint64_t)(fraction * (double)run.completed + 0.999999);
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (int bucket = 0; bucket < HISTOGRAM_MICROSECONDS; bucket++) {
        seen += run.histogram[bucket];
        if (seen >= rank) return bucket + 1;
    }
    return HISTOGRAM_MICROSECONDS;
}

/* The one core this process may run on, or -1. */
static int pinned_core(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) != 1) return -1;
    for (int core = 0; core < CPU_SETSIZE; core++) {
        if (CPU_ISSET(core, &set)) return core;
    }
    return -1;
}

static long number(const char *text, const char *what, long low, long high) {
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || *end || end == text || value < low || value > high) {
        fail("%s must be a whole number from %ld to %ld, not '%s'", what, low, high, text);
    }
    return value;
}

static double seconds_argument(const char *text, const char *what) {
    char *end;
    double value = strtod(text, &end);
    if (*end || end == text || !(value > 0) || value > 3600) fail("%s must be seconds in (0, 3600], not '%s'", what, text);
    return value;
}

int main(int argc, char **argv) {
    if (argc != 7 && argc != 8) {
        fprintf(stderr, "usage: c-load PORT CONNECTIONS IN_FLIGHT SIZE WARMUP SECONDS [SERVER_PID]\n"
                        "  (the SIZE-byte payload on standard input)\n");
        return 2;
    }
    int port = (int)number(argv[1], "PORT", 1, 65535);
    run.connections = (int)number(argv[2], "CONNECTIONS", 1, 10000);
    run.in_flight = (int)number(argv[3], "IN_FLIGHT", 1, 100000);
    run.size = (size_t)number(argv[4], "SIZE", 0, 64 << 20);
    double warmup = seconds_argument(argv[5], "WARMUP");
    double seconds = seconds_argument(argv[6], "SECONDS");
    long server_pid = argc == 8 ? number(argv[7], "SERVER_PID", 1, 1L << 30) : 0;

    /* The payload, then the masked frame that carries it. */
    run.payload = malloc(run.size + 1);
    run.frame = malloc(run.size + 14);
    run.histogram = calloc(HISTOGRAM_MICROSECONDS, sizeof *run.histogram);
    run.all = calloc((size_t)run.connections, sizeof *run.all);
    if (!run.payload || !run.frame || !run.histogram || !run.all) fail("out of memory");
    for (size_t have = 0; have < run.size;) {
        ssize_t got = read(STDIN_FILENO, run.payload + have, run.size - have);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) fail("standard input ended after %zu of the payload's %zu bytes", have, run.size);
        have += (size_t)got;
    }
    static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    run.frame_length = client_frame(run.frame, 0x1, run.payload, run.size, key);

    run.epoll = epoll_create1(0);
    if (run.epoll < 0) fail("epoll_create1: %s", strerror(errno));
    /* Standard input is told apart from the connections by this marker. */
    static int stdin_marker;
    struct epoll_event stdin_event = {.events = EPOLLIN, .data.ptr = &stdin_marker};
    if (epoll_ctl(run.epoll, EPOLL_CTL_ADD, STDIN_FILENO, &stdin_event) < 0) fail("epoll_ctl stdin: %s", strerror(errno));
    for (int index = 0; index < run.connections; index++) {
        struct connection *connection = &run.all[index];
        connection->index = index;
        connection->sent = calloc((size_t)run.in_flight, sizeof *connection->sent);
        if (!connection->sent) fail("out of memory");
        open_connection(connection, port);
    }

    /* Deadlines, set as the load starts: warm-up end, window end, close handshake end. */
    uint64_t window_opens = 0, window_closes = 0, give_up = 0;
    uint64_t wall_open = 0, wall_closed = 0;
    struct cpu_time server_open = {0, 0}, server_closed = {0, 0}, load_open = {0, 0}, load_closed = {0, 0};
    uint64_t connect_deadline = clock_ns(CLOCK_MONOTONIC) + 30000000000u;
    int loading = 0;
    struct epoll_event events[MAX_EVENTS];
    while (run.done_count < run.connections) {
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        if (!loading && run.open_count == run.connections) {
            /* Every connection is open: the load starts everywhere at once. */
            loading = 1;
            for (int index = 0; index < run.connections; index++) {
                struct connection *connection = &run.all[index];
                for (int message = 0; message < run.in_flight; message++) send_message(connection, now);
                flush(connection);
            }
            window_opens = now + (uint64_t)(warmup * 1e9);
            window_closes = window_opens + (uint64_t)(seconds * 1e9);
        }
        if (!loading && now > connect_deadline) {
            fail("only %d of %d connections open after 30 s", run.open_count, run.connections);
        }
        if (loading && !run.measuring && !run.stopping && now >= window_opens) {
            if (server_pid) server_open = process_cpu_time(server_pid);
            load_open = process_cpu_time(getpid());
            wall_open = clock_ns(CLOCK_MONOTONIC);
            run.measuring = 1;
        }
        if (run.measuring && now >= window_closes) {
            wall_closed = clock_ns(CLOCK_MONOTONIC);
            load_closed = process_cpu_time(getpid());
            if (server_pid) server_closed = process_cpu_time(server_pid);
            run.measuring = 0;
            run.stopping = 1;
            /* No more messages; a close frame (1000) after the ones in flight. */
            static const unsigned char code[2] = {0x03, 0xE8};
            unsigned char close_frame[16];
            size_t close_length = client_frame(close_frame, 0x8, code, 2, key);
            for (int index = 0; index < run.connections; index++) {
                struct connection *connection = &run.all[index];
                connection->phase = CLOSING;
                append(&connection->out, close_frame, close_length);
                flush(connection);
            }
            give_up = wall_closed + 2000000000u;
        }
        if (run.stopping && now >= give_up) {
            /* Servers that did not answer the close: reset their connections. */
            struct linger reset = {.l_onoff = 1, .l_linger = 0};
            for (int index = 0; index < run.connections; index++) {
                struct connection *connection = &run.all[index];
                if (connection->phase == DONE) continue;
                setsockopt(connection->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
                finish(connection);
            }
            break;
        }

        /* Sleep at most until the next deadline. */
        uint64_t next = !loading ? connect_deadline : run.stopping ? give_up : run.measuring ? window_closes : window_opens;
        int timeout = next > now ? (int)((next - now) / 1000000) + 1 : 0;
        int count = epoll_wait(run.epoll, events, MAX_EVENTS, timeout);
        if (count < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait: %s", strerror(errno));
        }
        for (int index = 0; index < count; index++) {
            if (events[index].data.ptr == &stdin_marker) {
                char discard[256];
                if (read(STDIN_FILENO, discard, sizeof discard) <= 0) fail("standard input closed: stopping");
                continue;
            }
            struct connection *connection = events[index].data.ptr;
            if (connection->phase == DONE) continue; /* finished earlier in this batch */
            uint32_t flags = events[index].events;
            if (connection->phase == CONNECTING) {
                if (flags & (EPOLLOUT | EPOLLERR | EPOLLHUP)) connected(connection, port);
                continue;
            }
            if (flags & EPOLLOUT) flush(connection);
            if (flags & (EPOLLIN | EPOLLERR | EPOLLHUP)) readable(connection);
        }
    }

    /* A wait is unknown (-1) when either reading lacked it. */
    double server_wait = server_open.wait < 0 || server_closed.wait < 0 ? -1 : server_closed.wait - server_open.wait;
    double load_wait = load_open.wait < 0 || load_closed.wait < 0 ? -1 : load_closed.wait - load_open.wait;
    printf("result messages=%llu seconds=%.6f p50_us=%.0f p99_us=%.0f load_cpu_seconds=%.6f load_wait_seconds=%.6f "
           "server_cpu_seconds=%.6f server_wait_seconds=%.6f core=%d\n",
           (unsigned long long)run.completed, (double)(wall_closed - wall_open) / 1e9, percentile(0.50),
           percentile(0.99), load_closed.run - load_open.run, load_wait,
           server_pid ? server_closed.run - server_open.run : -1.0, server_pid ? server_wait : -1.0, pinned_core());
    return 0;
}
