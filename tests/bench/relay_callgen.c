/* relay_callgen.c: Twilio's side of N media streams, in C, for the relay
 * benchmark (tests/bench/relay_bench.py --generator c).
 *
 * ../shared/bench/callgen.js (Node) saturates its core near 1,600 calls
 * while the worker still has room; this generator does what it does with
 * far less CPU: per call a WebSocket (TCP or unix socket), `connected`,
 * `start` (with a stream token, signed as lib/stream_token.c signs them),
 * a `media` every 20 ms whose 160 bytes carry callgen.js's marker (MAGIC,
 * call id, frame number at offsets 0, 4, 8), each `mark` answered at once,
 * `stop` once every frame came back or the grace ran out. It measures as
 * callgen.js does and prints the fields relay_bench.py reads, under the same
 * names: frames lost (first second / later), RTT percentiles over the window
 * [ramp + settle, duration], the relay tree's CPU over the window per echoed
 * frame and calls per core, its RSS (start, peak), the generator's cores.
 *
 *   relay_callgen --url ws://HOST:PORT/PATH | ws+unix:///SOCKET:/PATH
 *                 --calls N [--duration S] [--ramp S] [--settle S] [--grace S]
 *                 [--relay-pid PID] [--out FILE] [--quiet]
 *   environment: CORTANA_BENCH_KEY_HEX, CORTANA_BENCH_BUSINESS (the token)
 *
 * One thread, epoll, one min-heap of calls by next frame due. Client frames
 * are masked as RFC 6455 requires. Not a general WebSocket client: it reads
 * the unfragmented text frames a relay sends, answers pings, stops on close. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAGIC    0x524c4231u /* "RLB1", as callgen.js */
#define FRAME    160
#define FRAME_MS 20
#define HIST_N   (10000 + 9900) /* 10 us bins to 100 ms, then 1 ms bins to 10 s */

typedef struct call_t {
    int fd, id, open, done, closed, stopping;
    char call_sid[35], stream_sid[35];
    unsigned char in[65536];
    size_t in_len;
    unsigned char *out; /* what the socket did not take yet */
    size_t out_len, out_cap;
    uint32_t seq, received, heap_at;
    int64_t next_due, last_sent, *sent_at;
    unsigned char *got;
    uint32_t rng;
} call_t;

static struct {
    const char *url, *out, *key_hex, *business;
    int calls, quiet, relay_pid;
    double duration, ramp, settle, grace;
} cfg = {NULL, NULL, NULL, NULL, 0, 0, 0, 15, 2, 1, 3};

static call_t *calls;
static uint32_t *heap, heap_n, frames_per_call;
static int ep;
static int64_t t0, win_start, win_end;
static uint64_t hist_all[HIST_N], hist_win[HIST_N];
static uint64_t sent_total, received_total, win_received, lost_first, lost_after, failed,
    closed_early, unmarked, marks;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------- histogram --- */

static void hist_add(uint64_t *h, int64_t us)
{
    int64_t bin = us < 100000 ? us / 10 : 10000 + (us - 100000) / 1000;
    h[bin < HIST_N ? bin : HIST_N - 1]++;
}

static double hist_q(const uint64_t *h, double q)
{
    uint64_t n = 0, seen = 0;
    for (int i = 0; i < HIST_N; i++) {
        n += h[i];
    }
    for (int i = 0; i < HIST_N && n; i++) {
        seen += h[i];
        if (seen >= (uint64_t)(q * (double)n) && h[i]) {
            return i < 10000 ? i * 0.01 + 0.005 : 100.0 + (i - 10000) + 0.5;
        }
    }
    return 0;
}

static double hist_max(const uint64_t *h)
{
    for (int i = HIST_N - 1; i >= 0; i--) {
        if (h[i]) {
            return i < 10000 ? i * 0.01 + 0.01 : 100.0 + (i - 10000) + 1;
        }
    }
    return 0;
}

/* -------------------------------------------------- the relay's /proc tree --- */

typedef struct tree_t {
    double cpu_s;
    long rss_kb;
} tree_t;

static tree_t tree_of(int root)
{
    static int ppid[1 << 22];
    static int pids[65536];
    int n = 0;
    tree_t t = {0, 0};
    DIR *d = opendir("/proc");
    struct dirent *e;
    long tck = sysconf(_SC_CLK_TCK);

    while (d && (e = readdir(d)) != NULL && n < 65536) {
        char path[64], buf[1024], *p;
        int pid = atoi(e->d_name), pp = 0;
        FILE *f;
        if (pid <= 0 || pid >= (1 << 22)) {
            continue;
        }
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        if ((f = fopen(path, "r")) == NULL) {
            continue;
        }
        if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) != NULL) {
            sscanf(p + 2, "%*c %d", &pp);
        }
        fclose(f);
        ppid[pid] = pp;
        pids[n++] = pid;
    }
    if (d) {
        closedir(d);
    }
    for (int i = 0; i < n; i++) {
        int pid = pids[i], x = pid;
        while (x > 1 && x != root) {
            x = ppid[x];
        }
        if (x == root) {
            char path[64], buf[1024], *p;
            unsigned long ut = 0, st = 0;
            FILE *f;
            snprintf(path, sizeof(path), "/proc/%d/stat", pid);
            if ((f = fopen(path, "r")) != NULL) {
                if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) != NULL) {
                    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
                }
                fclose(f);
            }
            t.cpu_s += (double)(ut + st) / (double)tck;
            snprintf(path, sizeof(path), "/proc/%d/status", pid);
            if ((f = fopen(path, "r")) != NULL) {
                while (fgets(buf, sizeof(buf), f)) {
                    if (strncmp(buf, "VmRSS:", 6) == 0) {
                        t.rss_kb += atol(buf + 6);
                    }
                }
                fclose(f);
            }
        }
    }
    return t;
}

/* ------------------------------------------------------------ the socket --- */

static void flush_out(call_t *c)
{
    while (c->out_len) {
        ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                struct epoll_event ev = {EPOLLIN | EPOLLOUT, {.u32 = (uint32_t)c->id}};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                return;
            }
            c->closed = 1;
            return;
        }
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (size_t)n;
    }
}

static void put(call_t *c, const void *data, size_t n)
{
    if (c->out_len + n > c->out_cap) {
        c->out_cap = (c->out_len + n) * 2;
        c->out = realloc(c->out, c->out_cap);
    }
    memcpy(c->out + c->out_len, data, n);
    c->out_len += n;
}

/* One masked text frame (a client's). */
static void send_text(call_t *c, const char *text, size_t n)
{
    unsigned char h[14];
    size_t hn = 2;
    unsigned char mask[4];
    int queued = c->out_len > 0;

    h[0] = 0x81;
    if (n < 126) {
        h[1] = (unsigned char)(0x80 | n);
    } else {
        h[1] = 0x80 | 126;
        h[2] = (unsigned char)(n >> 8);
        h[3] = (unsigned char)n;
        hn = 4;
    }
    c->rng ^= c->rng << 13, c->rng ^= c->rng >> 17, c->rng ^= c->rng << 5;
    memcpy(mask, &c->rng, 4);
    memcpy(h + hn, mask, 4);
    hn += 4;
    put(c, h, hn);
    {
        unsigned char *o;
        put(c, text, n);
        o = c->out + c->out_len - n;
        for (size_t i = 0; i < n; i++) {
            o[i] ^= mask[i & 3];
        }
    }
    if (!queued) {
        flush_out(c);
    }
}

static int connect_to(const char *url, char *path, size_t path_len)
{
    int fd = -1;

    if (strncmp(url, "ws+unix://", 10) == 0) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        const char *sock = url + 10, *colon = strchr(sock, ':');
        if (colon == NULL || (size_t)(colon - sock) >= sizeof(sa.sun_path)) {
            return -1;
        }
        memcpy(sa.sun_path, sock, (size_t)(colon - sock));
        snprintf(path, path_len, "%s", colon + 1);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            close(fd);
            return -1;
        }
    } else if (strncmp(url, "ws://", 5) == 0) {
        struct sockaddr_in sa = {.sin_family = AF_INET};
        char host[64];
        int port = 80, one = 1;
        const char *slash = strchr(url + 5, '/');
        snprintf(path, path_len, "%s", slash ? slash : "/");
        snprintf(host, sizeof(host), "%.*s", (int)((slash ? slash : url + strlen(url)) - url - 5),
                 url + 5);
        if (strchr(host, ':')) {
            port = atoi(strchr(host, ':') + 1);
            *strchr(host, ':') = '\0';
        }
        sa.sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, host, &sa.sin_addr);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* ------------------------------------------------------------- the call --- */

static void token(char *out, size_t len, const char *call_sid)
{
    unsigned char key[32], mac[crypto_auth_hmacsha256_BYTES];
    char msg[256], b64[64];
    long expiry = (long)time(NULL) + 600;

    if (cfg.key_hex == NULL ||
        sodium_hex2bin(key, sizeof(key), cfg.key_hex, strlen(cfg.key_hex), NULL, NULL, NULL)) {
        memset(key, 0, sizeof(key));
    }
    snprintf(msg, sizeof(msg), "v1|%s|%s|%ld", call_sid, cfg.business ? cfg.business : "",
             expiry);
    crypto_auth_hmacsha256(mac, (unsigned char *)msg, strlen(msg), key);
    sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out, len, "%ld.%s.%s", expiry, cfg.business ? cfg.business : "", b64);
}

static int open_call(call_t *c)
{
    char path[512], req[1024], start[1024], tok[256];
    size_t got = 0;
    int n;

    if ((c->fd = connect_to(cfg.url, path, sizeof(path))) < 0) {
        return -1;
    }
    n = snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: "
                 "Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n",
                 path);
    if (write(c->fd, req, (size_t)n) != n) {
        return -1;
    }
    while (got < sizeof(c->in) - 1) { /* the handshake, blocking: calls start one by one */
        ssize_t r = read(c->fd, c->in + got, sizeof(c->in) - 1 - got);
        char *end;
        if (r <= 0) {
            return -1;
        }
        got += (size_t)r;
        c->in[got] = '\0';
        if ((end = strstr((char *)c->in, "\r\n\r\n")) != NULL) {
            if (strncmp((char *)c->in, "HTTP/1.1 101", 12) != 0) {
                return -1;
            }
            c->in_len = got - (size_t)((unsigned char *)end + 4 - c->in);
            memmove(c->in, end + 4, c->in_len);
            break;
        }
    }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    {
        struct epoll_event ev = {EPOLLIN, {.u32 = (uint32_t)c->id}};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
    token(tok, sizeof(tok), c->call_sid);
    send_text(c, "{\"event\":\"connected\",\"protocol\":\"Call\",\"version\":\"1.0.0\"}", 57);
    n = snprintf(start, sizeof(start),
                 "{\"event\":\"start\",\"sequenceNumber\":\"1\",\"start\":{\"accountSid\":\"AC%032d\","
                 "\"streamSid\":\"%s\",\"callSid\":\"%s\",\"tracks\":[\"inbound\"],"
                 "\"customParameters\":{\"token\":\"%s\"},\"mediaFormat\":{\"encoding\":"
                 "\"audio/x-mulaw\",\"sampleRate\":8000,\"channels\":1}},\"streamSid\":\"%s\"}",
                 0, c->stream_sid, c->call_sid, tok, c->stream_sid);
    send_text(c, start, (size_t)n);
    c->open = 1;
    return 0;
}

static void send_frame(call_t *c, int64_t now)
{
    unsigned char audio[FRAME];
    char b64[sodium_base64_ENCODED_LEN(FRAME, sodium_base64_VARIANT_ORIGINAL)], msg[512];
    uint32_t seq = c->seq++, be;
    int n;

    memset(audio, 0xFF, sizeof(audio));
    be = htonl(MAGIC), memcpy(audio, &be, 4);
    be = htonl((uint32_t)c->id), memcpy(audio + 4, &be, 4);
    be = htonl(seq), memcpy(audio + 8, &be, 4);
    sodium_bin2base64(b64, sizeof(b64), audio, sizeof(audio), sodium_base64_VARIANT_ORIGINAL);
    n = snprintf(msg, sizeof(msg),
                 "{\"event\":\"media\",\"sequenceNumber\":\"%u\",\"media\":{\"track\":\"inbound\","
                 "\"chunk\":\"%u\",\"timestamp\":\"%u\",\"payload\":\"%s\"},\"streamSid\":\"%s\"}",
                 seq + 2, seq + 1, seq * FRAME_MS, b64, c->stream_sid);
    c->sent_at[seq] = now;
    c->last_sent = now;
    sent_total++;
    send_text(c, msg, (size_t)n);
}

static void finish(call_t *c)
{
    char msg[256];
    int n = snprintf(msg, sizeof(msg),
                     "{\"event\":\"stop\",\"sequenceNumber\":\"%u\",\"streamSid\":\"%s\",\"stop\":"
                     "{\"callSid\":\"%s\"}}",
                     c->seq + 2, c->stream_sid, c->call_sid);
    send_text(c, msg, (size_t)n);
    for (uint32_t s = 0; s < c->seq; s++) {
        if (!c->got[s]) {
            *(s < 1000 / FRAME_MS ? &lost_first : &lost_after) += 1;
        }
    }
    c->done = 1;
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
}

/* The string value of "key":"…" in a message (no escapes expected). */
static const char *field(const char *msg, size_t len, const char *key, size_t *vn)
{
    char pat[32];
    const char *p, *q;
    int pn = snprintf(pat, sizeof(pat), "\"%s\":\"", key);

    p = memmem(msg, len, pat, (size_t)pn);
    if (p == NULL) {
        return NULL;
    }
    p += pn;
    q = memchr(p, '"', len - (size_t)(p - msg));
    *vn = q ? (size_t)(q - p) : 0;
    return q ? p : NULL;
}

static void on_message(call_t *c, const char *msg, size_t len, int64_t now)
{
    size_t vn;
    const char *v;

    if ((v = field(msg, len, "event", &vn)) == NULL) {
        return;
    }
    if (vn == 5 && memcmp(v, "media", 5) == 0 && (v = field(msg, len, "payload", &vn))) {
        unsigned char audio[16384];
        size_t n = 0;
        if (sodium_base642bin(audio, sizeof(audio), v, vn, NULL, &n, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0) {
            return;
        }
        for (size_t off = 0; off + 20 <= n; off += FRAME) {
            uint32_t magic, id, seq;
            memcpy(&magic, audio + off, 4), memcpy(&id, audio + off + 4, 4);
            memcpy(&seq, audio + off + 8, 4);
            if (ntohl(magic) != MAGIC) {
                unmarked += off == 0;
                break;
            }
            seq = ntohl(seq);
            if (ntohl(id) != (uint32_t)c->id || seq >= c->seq || c->got[seq]) {
                continue;
            }
            c->got[seq] = 1;
            c->received++;
            received_total++;
            hist_add(hist_all, now - c->sent_at[seq]);
            if (now >= win_start && now < win_end) {
                hist_add(hist_win, now - c->sent_at[seq]);
                win_received++;
            }
        }
    } else if (vn == 4 && memcmp(v, "mark", 4) == 0 && (v = field(msg, len, "name", &vn))) {
        char reply[256];
        int n = snprintf(reply, sizeof(reply),
                         "{\"event\":\"mark\",\"sequenceNumber\":\"%u\",\"streamSid\":\"%s\","
                         "\"mark\":{\"name\":\"%.*s\"}}",
                         c->seq + 2, c->stream_sid, (int)vn, v);
        marks++;
        send_text(c, reply, (size_t)n);
    }
}

static void on_readable(call_t *c, int64_t now)
{
    for (;;) {
        ssize_t r = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
        size_t at = 0;
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            c->closed = 1;
            return;
        }
        if (r < 0) {
            return;
        }
        c->in_len += (size_t)r;
        while (c->in_len - at >= 2) { /* whole unmasked frames */
            unsigned char *h = c->in + at;
            size_t hn = 2, n = h[1] & 0x7F;
            if (n == 126) {
                if (c->in_len - at < 4) {
                    break;
                }
                n = (size_t)h[2] << 8 | h[3], hn = 4;
            } else if (n == 127) {
                if (c->in_len - at < 10) {
                    break;
                }
                n = 0;
                for (int i = 0; i < 8; i++) {
                    n = n << 8 | h[2 + i];
                }
                hn = 10;
            }
            if (c->in_len - at < hn + n) {
                break;
            }
            if ((h[0] & 0x0F) == 0x1) {
                on_message(c, (char *)h + hn, n, now);
            } else if ((h[0] & 0x0F) == 0x8) {
                c->closed = 1;
            } else if ((h[0] & 0x0F) == 0x9) {
                unsigned char pong[6] = {0x8A, 0x80, 0, 0, 0, 0};
                put(c, pong, sizeof(pong)), flush_out(c);
            }
            at += hn + n;
        }
        memmove(c->in, c->in + at, c->in_len - at);
        c->in_len -= at;
    }
}

/* ----------------------------------------------------------------- heap --- */

static void heap_swap(uint32_t a, uint32_t b)
{
    uint32_t t = heap[a];
    heap[a] = heap[b], heap[b] = t;
}

static void heap_push(uint32_t id)
{
    uint32_t i = heap_n++;
    heap[i] = id;
    while (i > 0 && calls[heap[(i - 1) / 2]].next_due > calls[heap[i]].next_due) {
        heap_swap(i, (i - 1) / 2), i = (i - 1) / 2;
    }
}

static uint32_t heap_pop(void)
{
    uint32_t top = heap[0], i = 0;
    heap[0] = heap[--heap_n];
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < heap_n && calls[heap[l]].next_due < calls[heap[m]].next_due) {
            m = l;
        }
        if (r < heap_n && calls[heap[r]].next_due < calls[heap[m]].next_due) {
            m = r;
        }
        if (m == i) {
            return top;
        }
        heap_swap(i, m), i = m;
    }
}

/* ----------------------------------------------------------------- main --- */

static void parse(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--quiet")) {
            cfg.quiet = 1;
            continue;
        }
        i++;
        if (!strcmp(a, "--url")) {
            cfg.url = v;
        } else if (!strcmp(a, "--calls")) {
            cfg.calls = atoi(v);
        } else if (!strcmp(a, "--duration")) {
            cfg.duration = atof(v);
        } else if (!strcmp(a, "--ramp")) {
            cfg.ramp = atof(v);
        } else if (!strcmp(a, "--settle")) {
            cfg.settle = atof(v);
        } else if (!strcmp(a, "--grace")) {
            cfg.grace = atof(v);
        } else if (!strcmp(a, "--relay-pid")) {
            cfg.relay_pid = atoi(v);
        } else if (!strcmp(a, "--out")) {
            cfg.out = v;
        } else if (strcmp(a, "--fake-pid") != 0) {
            fprintf(stderr, "relay_callgen: unknown option %s\n", a);
            exit(2);
        }
    }
    if (cfg.url == NULL || cfg.calls <= 0) {
        fprintf(stderr, "usage: relay_callgen --url URL --calls N [--duration S] [--ramp S] "
                        "[--settle S] [--grace S] [--relay-pid PID] [--out FILE] [--quiet]\n");
        exit(2);
    }
}

static double cpu_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
    struct epoll_event evs[256];
    int started = 0, active = 0;
    int64_t next_rss = 0, gen_end;
    tree_t rs = {0, 0}, rw = {0, 0}, re = {0, 0};
    long rss_peak = 0;
    double gen_w = 0, gen_e = 0, cpu_s, cores;
    char json[4096];
    int n;

    parse(argc, argv);
    if (sodium_init() < 0) {
        return 1;
    }
    cfg.key_hex = getenv("CORTANA_BENCH_KEY_HEX");
    cfg.business = getenv("CORTANA_BENCH_BUSINESS");
    frames_per_call = (uint32_t)(cfg.duration * 1000 / FRAME_MS);
    calls = calloc((size_t)cfg.calls, sizeof(call_t));
    heap = calloc((size_t)cfg.calls, sizeof(uint32_t));
    ep = epoll_create1(0);
    for (int i = 0; i < cfg.calls; i++) {
        call_t *c = &calls[i];
        c->id = i;
        c->rng = 2463534242u + (uint32_t)i * 2654435761u;
        c->sent_at = calloc(frames_per_call, sizeof(int64_t));
        c->got = calloc(frames_per_call, 1);
        snprintf(c->call_sid, sizeof(c->call_sid), "CA%08x%024d", (unsigned)i, getpid());
        snprintf(c->stream_sid, sizeof(c->stream_sid), "MZ%08x%024d", (unsigned)i, getpid());
    }
    if (cfg.relay_pid) {
        rs = tree_of(cfg.relay_pid);
    }
    t0 = now_us();
    win_start = t0 + (int64_t)((cfg.ramp + cfg.settle) * 1e6);
    win_end = t0 + (int64_t)(cfg.duration * 1e6);
    gen_end = t0 + (int64_t)((cfg.ramp + cfg.duration + cfg.grace + 5) * 1e6);
    while (1) {
        int64_t now = now_us(), wait_us = 1000;
        int k;
        /* calls start evenly over the ramp */
        while (started < cfg.calls &&
               now >= t0 + (int64_t)(cfg.ramp * 1e6) * started / cfg.calls) {
            call_t *c = &calls[started++];
            if (open_call(c) != 0) {
                failed++;
                c->done = 1;
                continue;
            }
            active++;
            c->next_due = now_us();
            heap_push((uint32_t)c->id);
        }
        now = now_us();
        while (heap_n && calls[heap[0]].next_due <= now) {
            call_t *c = &calls[heap_pop()];
            if (c->done || c->closed) {
                continue;
            }
            send_frame(c, now);
            if (c->seq < frames_per_call) {
                c->next_due += FRAME_MS * 1000;
                heap_push((uint32_t)c->id);
            }
        }
        if (rw.cpu_s == 0 && cfg.relay_pid && now >= win_start) {
            rw = tree_of(cfg.relay_pid), gen_w = cpu_self();
        }
        if (re.cpu_s == 0 && cfg.relay_pid && now >= win_end) {
            re = tree_of(cfg.relay_pid), gen_e = cpu_self();
        }
        if (cfg.relay_pid && now >= next_rss) {
            tree_t t = tree_of(cfg.relay_pid);
            rss_peak = t.rss_kb > rss_peak ? t.rss_kb : rss_peak;
            next_rss = now + 250000;
        }
        if (heap_n) {
            wait_us = calls[heap[0]].next_due - now;
        }
        k = epoll_wait(ep, evs, 256, wait_us > 0 ? (int)((wait_us + 999) / 1000) : 0);
        now = now_us();
        for (int i = 0; i < k; i++) {
            call_t *c = &calls[evs[i].data.u32];
            if (evs[i].events & EPOLLOUT) {
                flush_out(c);
                if (c->out_len == 0) {
                    struct epoll_event ev = {EPOLLIN, {.u32 = (uint32_t)c->id}};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                on_readable(c, now);
            }
        }
        for (int i = 0; i < started; i++) { /* calls whose frames are all sent */
            call_t *c = &calls[i];
            if (c->done) {
                continue;
            }
            if (c->closed && c->seq < frames_per_call) {
                closed_early++;
                finish(c), active--;
            } else if (c->seq >= frames_per_call &&
                       (c->received >= c->seq || c->closed ||
                        now - c->last_sent > (int64_t)(cfg.grace * 1e6))) {
                finish(c), active--;
            }
        }
        if ((started == cfg.calls && active == 0) || now > gen_end) {
            break;
        }
    }
    if (re.cpu_s == 0 && cfg.relay_pid) {
        re = tree_of(cfg.relay_pid), gen_e = cpu_self();
    }
    cpu_s = re.cpu_s - rw.cpu_s;
    cores = cpu_s / ((double)(win_end - win_start) / 1e6);
    n = snprintf(
        json, sizeof(json),
        "{\"tool\":\"relay_callgen\",\"config\":{\"url\":\"%s\",\"calls\":%d,\"duration_s\":%g},"
        "\"calls\":{\"established\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"closed_early\":%" PRIu64
        "},\"frames\":{\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64
        ",\"lost_first_1s\":%" PRIu64 ",\"lost_after_1s\":%" PRIu64 ",\"unmarked\":%" PRIu64
        "},\"marks_answered\":%" PRIu64 ","
        "\"rtt_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
        "\"rtt_window_ms\":{\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
        "\"relay\":{\"cpu_s\":%.3f,\"cores\":%.3f,\"cpu_us_per_frame\":%.1f,"
        "\"max_calls_per_core\":%.0f,\"rss_start_mb\":%.1f,\"rss_peak_mb\":%.1f},"
        "\"generator\":{\"cores\":%.3f},\"warnings\":[%s]}\n",
        cfg.url, cfg.calls, cfg.duration, (uint64_t)cfg.calls - failed, failed, closed_early,
        sent_total, received_total, lost_first + lost_after, lost_first, lost_after, unmarked,
        marks, hist_q(hist_all, 0.5), hist_q(hist_all, 0.99), hist_max(hist_all),
        hist_q(hist_win, 0.5), hist_q(hist_win, 0.95), hist_q(hist_win, 0.99), hist_max(hist_win),
        cpu_s, cores, win_received ? cpu_s * 1e6 / (double)win_received : 0,
        cpu_s > 0 ? (double)win_received * FRAME_MS / 1000 / cpu_s : 0, rs.rss_kb / 1024.0,
        rss_peak / 1024.0, (gen_e - gen_w) / ((double)(win_end - win_start) / 1e6),
        lost_after ? "\"frames lost after the first second\"" : "");
    if (!cfg.quiet) {
        fputs(json, stdout);
    }
    if (cfg.out) {
        FILE *f = fopen(cfg.out, "a");
        if (f) {
            fwrite(json, 1, (size_t)n, f);
            fclose(f);
        }
    }
    return 0;
}
