/*
 * echo_client: the load generator of bench/echo. One thread, one epoll loop,
 * N connections to 127.0.0.1:PORT, each closed-loop: send a SIZE-byte
 * message, wait for all SIZE bytes back (checking them), record the round
 * trip, send the next. All N connect before the clock starts; after DURATION
 * seconds it stops and prints one JSON line: requests, requests/s, p50/p99
 * round trip in microseconds, errors. Bounded: it exits after DURATION + 10 s
 * (+ 30 s with --sync, per run) whatever the server does (an alarm),
 * reporting what it saw.
 *   echo_client --port P --conns N --duration S [--size B] [--sync]
 *               [--period-ms MS] [--warmup S]
 * --period-ms (bench/echo/idle.py: connections that are mostly idle): each
 * connection sends its next message MS milliseconds after its echo came
 * back instead of at once (the first ones spread evenly over MS), so the
 * server holds N connections that each wait about MS between requests.
 * --warmup: the --sync warm-up's length in seconds (default 1).
 * --sync (bench/report/iocost.py, which measures the server only while the
 * requests it counts run): after connecting, a warm-up of one second; then
 * every message in flight is received (drained), `{"warm": true}` printed,
 * and one line read from stdin before the measured run starts; that run
 * ends drained too (every request the server saw is counted), its line is
 * printed, and one more line is read before the connections close. So the
 * server does, between the two lines, exactly the requests counted: no
 * accept, no connection set-up or close, no request of the warm-up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct cl {
    int fd;
    size_t got;      /* bytes of the current echo received */
    int64_t sent_ns; /* when the current message went out */
    unsigned seq;    /* message number: its bytes encode it */
} cl;

static size_t size = 64;
static int64_t period_ns; /* --period-ms: think time after each echo (0: closed loop) */
/* Connections waiting out their think time, in the order they become due
 * (each is due a fixed time after its echo, so arrival order is due order). */
static struct {
    cl **c;
    int64_t *due;
    size_t head, n, cap;
} idle_q;

static void idle_push(cl *c, int64_t due)
{
    size_t i = (idle_q.head + idle_q.n++) % idle_q.cap;
    idle_q.c[i] = c;
    idle_q.due[i] = due;
}
static int64_t *lat;
static size_t nlat, caplat;
static long errors;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void fill(char *b, const cl *c)
{
    for (size_t i = 0; i < size; i++)
        b[i] = (char)(c->seq * 31u + (unsigned)c->fd * 7u + (unsigned)i);
}

/* Sends the next message whole (SIZE is far below the socket buffer: a
 * short send means the connection is broken). */
static int send_msg(cl *c)
{
    char b[65536];
    c->seq++;
    fill(b, c);
    c->got = 0;
    c->sent_ns = now_ns();
    return send(c->fd, b, size, MSG_NOSIGNAL) == (ssize_t)size ? 0 : -1;
}

/* Sends c's next message: 1 sent (now in flight), or 0 with the connection
 * counted as an error and dropped from the loop. */
static int send_or_drop(cl *c, int ep)
{
    if (send_msg(c) == 0)
        return 1;
    errors++;
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    c->fd = -1;
    return 0;
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static volatile sig_atomic_t overdue;

/* --sync: one line from the driver (false at its end of file). */
static bool wait_line(void)
{
    char line[64];
    return fgets(line, sizeof line, stdin) != NULL;
}

/* The closed loop for `duration` seconds (or until the alarm): each
 * connection sends its first message, then the next as each echo completes.
 * drain: after the time is up, also receive every echo still in flight (a
 * connection whose echo does not come within 10 s counts as an error).
 * Records each round trip in lat; returns the time it stopped, *t0 when it
 * began. */
static int64_t run(cl *cs, int conns, int ep, double duration, bool drain, int64_t *t0p)
{
    int64_t t0 = now_ns(), end = t0 + (int64_t)(duration * 1e9);
    if (t0p)
        *t0p = t0;
    int inflight = 0;
    idle_q.head = idle_q.n = 0;
    for (int i = 0; i < conns; i++) {
        if (cs[i].fd < 0)
            continue;
        if (period_ns) {
            idle_push(&cs[i], t0 + period_ns * i / conns);
            continue;
        }
        if (send_msg(&cs[i]) != 0)
            errors++;
        else
            inflight++;
    }
    struct epoll_event evs[256];
    static char in[65536], want[65536];
    int64_t now = t0, stop = end;
    while (!overdue && (now < end || (drain && inflight > 0 && now < stop))) {
        int wait_ms = 100;
        if (idle_q.n && now < end) {
            int64_t left = idle_q.due[idle_q.head] - now;
            wait_ms = left <= 0 ? 0 : left < 100000000 ? (int)((left + 999999) / 1000000) : 100;
        }
        int n = epoll_wait(ep, evs, 256, wait_ms);
        now = now_ns();
        while (idle_q.n && now < end && idle_q.due[idle_q.head] <= now) {
            cl *c = idle_q.c[idle_q.head];
            idle_q.head = (idle_q.head + 1) % idle_q.cap;
            idle_q.n--;
            if (c->fd >= 0)
                inflight += send_or_drop(c, ep);
        }
        if (now >= end && stop == end)
            stop = end + 10000000000; /* the drain's 10 s (a server under valgrind, a loaded machine) */
        for (int i = 0; i < n; i++) {
            cl *c = evs[i].data.ptr;
            ssize_t k = recv(c->fd, in, size - c->got, MSG_DONTWAIT);
            if (k <= 0) {
                if (k < 0 && errno == EAGAIN)
                    continue;
                errors++; /* the server closed or reset: this connection is done */
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                c->fd = -1;
                inflight--;
                continue;
            }
            fill(want, c);
            if (memcmp(in, want + c->got, (size_t)k) != 0)
                errors++;
            c->got += (size_t)k;
            if (c->got < size)
                continue;
            if (nlat == caplat) {
                caplat *= 2;
                lat = realloc(lat, caplat * sizeof *lat);
            }
            lat[nlat++] = now - c->sent_ns;
            inflight--;
            if (now < end && period_ns) {
                idle_push(c, now + period_ns);
            } else if (now < end) {
                inflight += send_or_drop(c, ep);
            }
        }
    }
    if (drain)
        errors += inflight; /* echoes that never came back */
    return now;
}

static void on_alarm(int s)
{
    (void)s;
    overdue = 1;
}

int main(int argc, char **argv)
{
    int port = 0, conns = 1;
    double duration = 3, warmup = 1, period_ms = 0;
    bool driven = false;
    for (int i = 1; i < argc; i += 2) {
        if (strcmp(argv[i], "--sync") == 0) {
            driven = true;
            i--;
        } else if (i + 1 >= argc)
            break;
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--conns") == 0)
            conns = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--duration") == 0)
            duration = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--size") == 0)
            size = (size_t)atol(argv[i + 1]);
        else if (strcmp(argv[i], "--period-ms") == 0)
            period_ms = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--warmup") == 0)
            warmup = atof(argv[i + 1]);
    }
    if (port <= 0 || conns < 1 || duration <= 0 || size < 1 || size > 65536 || period_ms < 0 || warmup <= 0 ||
        warmup > 600) {
        fprintf(stderr, "usage: echo_client --port P --conns N --duration S [--size 1..65536] [--sync] "
                        "[--period-ms MS] [--warmup S]\n");
        return 2;
    }
    period_ns = (int64_t)(period_ms * 1e6);
    idle_q.cap = (size_t)conns;
    idle_q.c = malloc(idle_q.cap * sizeof *idle_q.c);
    idle_q.due = malloc(idle_q.cap * sizeof *idle_q.due);
    signal(SIGALRM, on_alarm);
    alarm((unsigned)duration +
          (driven ? 30 + (unsigned)warmup : 10)); /* --sync: its warm-up and drains too */
    cl *cs = calloc((size_t)conns, sizeof *cs);
    int ep = epoll_create1(0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < conns; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
            fprintf(stderr, "echo_client: connect %d: %s\n", i, strerror(errno));
            return 1;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        cs[i].fd = fd;
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = &cs[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    }
    caplat = 1 << 20;
    lat = malloc(caplat * sizeof *lat);
    if (driven) {
        run(cs, conns, ep, warmup, true, NULL);
        if (overdue || errors) {
            fprintf(stderr, "echo_client: the warm-up did not complete (%ld errors)\n", errors);
            return 1;
        }
        alarm(0); /* the driver may take its time (valgrind) */
        nlat = 0;
        printf("{\"warm\": true}\n");
        fflush(stdout);
        if (!wait_line())
            return 1;
        alarm((unsigned)duration + 30);
    }
    int64_t t0, now = run(cs, conns, ep, duration, driven, &t0);
    double secs = (double)(now - t0) / 1e9;
    qsort(lat, nlat, sizeof *lat, cmp);
    double p50 = nlat ? (double)lat[nlat / 2] / 1e3 : 0;
    double p99 = nlat ? (double)lat[(size_t)((double)nlat * 0.99)] / 1e3 : 0;
    printf("{\"requests\": %zu, \"rps\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"errors\": %ld, "
           "\"conns\": %d, \"size\": %zu, \"seconds\": %.3f}\n",
           nlat, secs > 0 ? (double)nlat / secs : 0, p50, p99, errors, conns, size, secs);
    if (driven) {
        fflush(stdout);
        wait_line();
    }
    return 0;
}
