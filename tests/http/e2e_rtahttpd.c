/*
 * rtahttpd end to end: starts the installed-to-be binary on port 0, reads its
 * listening line, and talks to it over loopback with plain blocking sockets:
 * the contract of issue 13 (statuses, headers, bodies, keep-alive rules,
 * pipelining, chunked echo, limits, a slow client that must not block the
 * others, SIGTERM/SIGINT drain with exit 0 within 5 s). Every wait is bounded
 * by poll timeouts; the server is killed if the test fails.
 *
 *   e2e_rtahttpd [EMULATOR ARGS...] PATH-TO-RTAHTTPD
 * (a cross build passes its emulator, e.g. qemu-aarch64 -L SYSROOT)
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char **server_cmd; /* argv prefix that runs rtahttpd */
static int server_cmd_n;
static pid_t server_pid = -1;
static int server_port;
static const char *server_engine = "tasklet";
static const char *phase = "start"; /* the test running, for die's message */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "e2e_rtahttpd (engine %s, %s): ", server_engine, phase);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (server_pid > 0)
        kill(server_pid, SIGKILL);
    exit(1);
}

#define CHECK(c)                                                                                             \
    do {                                                                                                     \
        if (!(c))                                                                                            \
            die("%s:%d: CHECK(%s) failed", __FILE__, __LINE__, #c);                                          \
    } while (0)

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Runs rtahttpd with extra arguments in a child (stdout to out_fd if >= 0). */
static pid_t spawn_server(int out_fd, const char *const *extra)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid != 0)
        return pid;
    if (out_fd >= 0)
        dup2(out_fd, 1);
    else
        dup2(open("/dev/null", 1), 2);
    char *args[64];
    int n = 0;
    for (int i = 0; i < server_cmd_n; i++)
        args[n++] = server_cmd[i];
    for (int i = 0; extra[i]; i++)
        args[n++] = (char *)extra[i];
    args[n] = NULL;
    execvp(args[0], args);
    _exit(127);
}

static void start_server(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    const char *const args[] = {"--engine", server_engine, "--port", "0", "--workers", "2", NULL};
    setenv("RTAHTTPD_HEADER_TIMEOUT_MS", "1500", 1);
    server_pid = spawn_server(p[1], args);
    close(p[1]);
    char line[128];
    size_t n = 0;
    while (n < sizeof line - 1 && (n == 0 || line[n - 1] != '\n')) {
        struct pollfd pf = {p[0], POLLIN, 0};
        if (poll(&pf, 1, 10000) <= 0)
            die("no listening line within 10 s");
        ssize_t k = read(p[0], line + n, 1);
        if (k <= 0)
            die("server exited before listening");
        n += (size_t)k;
    }
    line[n] = 0;
    if (sscanf(line, "listening on 127.0.0.1:%d\n", &server_port) != 1 || server_port <= 0)
        die("bad listening line '%s'", line);
    char want[64];
    snprintf(want, sizeof want, "listening on 127.0.0.1:%d\n", server_port);
    CHECK(strcmp(line, want) == 0);
    close(p[0]);
}

/* Waits for the server to exit; returns its status, or dies after ms. */
static int wait_server(long ms)
{
    long t0 = now_ms();
    for (;;) {
        int st;
        pid_t r = waitpid(server_pid, &st, WNOHANG);
        if (r == server_pid) {
            server_pid = -1;
            return st;
        }
        if (now_ms() - t0 > ms)
            die("server still running %ld ms after the signal", ms);
        sleep_ms(5);
    }
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)server_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        CHECK(k > 0);
        s += k;
        n -= (size_t)k;
    }
}

static void send_str(int fd, const char *s)
{
    send_all(fd, s, strlen(s));
}

typedef struct resp {
    int status;
    char head[2048];
    char body[4096];
    size_t body_len;
} resp;

typedef struct conn {
    int fd;
    char buf[256 * 1024];
    size_t len;
    bool eof;
} conn;

/* Reads more; false at EOF. Dies after 5 s without bytes. */
static bool more(conn *c)
{
    if (c->eof)
        return false;
    struct pollfd pf = {c->fd, POLLIN, 0};
    if (poll(&pf, 1, 5000) <= 0)
        die("no answer within 5 s (have %zu bytes)", c->len);
    CHECK(c->len < sizeof c->buf);
    ssize_t k = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (k <= 0) {
        c->eof = true;
        return false;
    }
    c->len += (size_t)k;
    return true;
}

static const char *header(const resp *r, const char *name)
{
    static char v[256];
    char key[64];
    snprintf(key, sizeof key, "\r\n%s: ", name);
    const char *p = strstr(r->head, key);
    if (!p)
        return NULL;
    p += strlen(key);
    size_t n = strcspn(p, "\r");
    snprintf(v, sizeof v, "%.*s", (int)n, p);
    return v;
}

/* Whether header name is present with exactly value. A missing header was
 * strcmp(NULL, ...): the test segfaulted instead of failing (twice in a
 * 200-round loaded repeat, in test_drain). */
static bool header_eq(const resp *r, const char *name, const char *value)
{
    const char *v = header(r, name);
    return v && strcmp(v, value) == 0;
}

/* Reads one response (head_req: an answer to HEAD, no body). */
static void read_resp(conn *c, resp *r, bool head_req)
{
    char *he;
    while (!(he = memmem(c->buf, c->len, "\r\n\r\n", 4)))
        if (!more(c))
            die("connection closed before a response head");
    size_t hl = (size_t)(he + 4 - c->buf);
    CHECK(hl < sizeof r->head);
    memcpy(r->head, c->buf, hl);
    r->head[hl] = 0;
    CHECK(strncmp(r->head, "HTTP/1.", 7) == 0);
    r->status = atoi(r->head + 9);
    CHECK(header(r, "Server") != NULL);
    const char *date = header(r, "Date");
    CHECK(date && strlen(date) == 29 && strcmp(date + 25, " GMT") == 0);
    const char *cl = header(r, "Content-Length");
    CHECK(cl != NULL);
    r->body_len = head_req ? 0 : (size_t)atol(cl);
    CHECK(r->body_len < sizeof r->body);
    while (c->len < hl + r->body_len)
        if (!more(c))
            die("connection closed inside a body");
    memcpy(r->body, c->buf + hl, r->body_len);
    r->body[r->body_len] = 0;
    memmove(c->buf, c->buf + hl + r->body_len, c->len - hl - r->body_len);
    c->len -= hl + r->body_len;
}

static void expect_closed(conn *c)
{
    while (more(c))
        ;
    CHECK(c->len == 0);
}

static conn *open_conn(void)
{
    conn *c = calloc(1, sizeof *c);
    CHECK(c != NULL);
    c->fd = dial();
    return c;
}

static void close_conn(conn *c)
{
    close(c->fd);
    free(c);
}

static void one(const char *req, int status, resp *r, bool closes)
{
    conn *c = open_conn();
    send_str(c->fd, req);
    read_resp(c, r, strncmp(req, "HEAD", 4) == 0);
    if (r->status != status)
        die("'%.40s...' gave %d, want %d", req, r->status, status);
    if (closes)
        expect_closed(c);
    close_conn(c);
}

static void test_contract(void)
{
    resp r;
    one("GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r, false);
    CHECK(header_eq(&r, "Content-Type", "text/plain"));
    CHECK(strcmp(r.body, "Hello, World!") == 0);
    CHECK(header_eq(&r, "Content-Length", "13"));
    one("GET /json HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r, false);
    CHECK(header_eq(&r, "Content-Type", "application/json"));
    CHECK(strcmp(r.body, "{\"message\":\"Hello, World!\"}") == 0);
    CHECK(header_eq(&r, "Content-Length", "27"));
    one("GET /missing HTTP/1.1\r\nHost: t\r\n\r\n", 404, &r, false);
    one("POST /plaintext HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 405, &r, false);
    CHECK(header(&r, "Allow") && strstr(header(&r, "Allow"), "GET"));
    one("GET /json HTTP/1.1\r\nHost t\r\n\r\n", 400, &r, true);
    one("GARBAGE\r\n\r\n", 400, &r, true);
    one("POST /echo HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413, &r, true);
    static char big[12000];
    snprintf(big, sizeof big, "GET /plaintext HTTP/1.1\r\nX-Big: %09000d\r\n\r\n", 7);
    one(big, 431, &r, true);
    one("GET /plaintext HTTP/1.1\r\nConnection: close\r\n\r\n", 200, &r, true);
    CHECK(header_eq(&r, "Connection", "close"));
    one("GET /plaintext HTTP/1.0\r\n\r\n", 200, &r, true);
    one("HEAD /json HTTP/1.1\r\n\r\n", 200, &r, false);
    CHECK(header_eq(&r, "Content-Length", "27"));
}

static void test_keep_alive_and_pipelining(void)
{
    conn *c = open_conn();
    resp r;
    /* 1.0 with keep-alive stays open */
    send_str(c->fd, "GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    read_resp(c, &r, false);
    CHECK(r.status == 200 && header_eq(&r, "Connection", "keep-alive"));
    send_str(c->fd, "GET /json HTTP/1.1\r\n\r\n");
    read_resp(c, &r, false);
    CHECK(r.status == 200);
    /* 16 pipelined requests in one send: answered in order */
    char req[16 * 64];
    size_t n = 0;
    for (int i = 0; i < 16; i++)
        n += (size_t)sprintf(req + n, "GET /%s HTTP/1.1\r\nHost: t\r\n\r\n", i % 2 ? "json" : "plaintext");
    send_all(c->fd, req, n);
    for (int i = 0; i < 16; i++) {
        read_resp(c, &r, false);
        CHECK(r.status == 200);
        const char *want = i % 2 ? "{\"message\":\"Hello, World!\"}" : "Hello, World!";
        CHECK(r.body_len == strlen(want) && memcmp(r.body, want, r.body_len) == 0);
    }
    /* chunked echo, sent in pieces: the server suspends mid-body */
    const char *parts[] = {"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n",
                           "Content-Type: text/plain\r\n\r\n5\r\nhel", "lo\r\n7\r\n, wor", "ld\r\n0\r\n\r\n"};
    for (int i = 0; i < 4; i++) {
        send_str(c->fd, parts[i]);
        sleep_ms(20);
    }
    read_resp(c, &r, false);
    CHECK(r.status == 200 && strcmp(r.body, "hello, world") == 0);
    close_conn(c);
}

/* A client that stalls mid-head blocks nobody and is cut at the deadline. */
static void test_slow_client(void)
{
    conn *slow = open_conn();
    send_str(slow->fd, "GET /plaintext HTTP/1.1\r\nHost: t\r\nX-Slow: ");
    resp r;
    for (int i = 0; i < 10; i++)
        one("GET /plaintext HTTP/1.1\r\n\r\n", 200, &r, false);
    /* the others were answered while it stalled (its deadline is 1.5 s) */
    struct pollfd pf = {slow->fd, POLLIN, 0};
    CHECK(poll(&pf, 1, 0) == 0);
    read_resp(slow, &r, false);
    CHECK(r.status == 408);
    expect_closed(slow);
    close_conn(slow);
}

/* 64 connections, three rounds of a request each (/json, /plaintext, /json:
 * each connection's writer is its own); and one bad client never
 * stops the others: in each round, before the others' requests, one client
 * misbehaves: a malformed request (answered 400, closed), a connection reset
 * in the middle of a head (SO_LINGER 0: an RST, the server's read fails), a
 * half request and a close. Every round still answers all 64. */
static void test_many(void)
{
    enum { N = 64 };
    conn *cs[N];
    for (int i = 0; i < N; i++)
        cs[i] = open_conn();
    for (int round = 0; round < 3; round++) {
        conn *bad = open_conn();
        if (round == 0) {
            send_str(bad->fd, "GET /plaintext HTTP/1.1\r\nBad header\r\n\r\n");
        } else {
            send_str(bad->fd, "GET /plaintext HTTP/1.1\r\nHo");
            if (round == 1) {
                struct linger lg = {1, 0};
                CHECK(setsockopt(bad->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
            }
            close_conn(bad);
            bad = NULL;
        }
        bool json = round != 1;
        for (int i = 0; i < N; i++)
            send_str(cs[i]->fd, json ? "GET /json HTTP/1.1\r\n\r\n" : "GET /plaintext HTTP/1.1\r\n\r\n");
        for (int i = 0; i < N; i++) {
            resp r;
            read_resp(cs[i], &r, false);
            CHECK(r.status == 200 &&
                  strcmp(r.body, json ? "{\"message\":\"Hello, World!\"}" : "Hello, World!") == 0);
        }
        if (bad) {
            resp r;
            read_resp(bad, &r, false);
            CHECK(r.status == 400);
            expect_closed(bad);
            close_conn(bad);
        }
    }
    for (int i = 0; i < N; i++)
        close_conn(cs[i]);
}

/* A request in flight at the signal is answered; idle connections close.
 *
 * In flight means that the server has read part of it: busy sends a whole
 * request and the start of a second in one send (56 bytes on loopback: one
 * segment, which one read of the server's 4 KiB buffer takes whole), so the
 * answer to the first shows that the second's start is in the server's
 * buffer. (Sending only the start and sleeping 50 ms was a race: at load 29
 * the server had not read it when the signal came, counted the connection
 * idle and closed it; in `scripts/repeat.sh 200 all` http_e2e failed its 4th
 * run, http_e2e_epoll its 2nd. Stopping the server with SIGSTOP across the
 * signal, as a loaded machine may, made that form fail 3 of 6 runs.)
 *
 * Two forms, both required of every engine:
 *  - first_send: the pipelined send is busy's first, so the server may read
 *    it in the connection task's synchronous start (an async1 method runs
 *    inside the acceptor's rta_spawn, on the acceptor tasklet, until it
 *    first suspends), where the second request's read then waits;
 *  - stop: busy has one request answered before, and the server is stopped
 *    (SIGSTOP) across the signal, so the drain and the workers start again
 *    together.
 * The async1 server closed busy without the second answer in these forms
 * (this test against rtahttpd built at e878fb8: 6 of 60 runs; at 5925c57's
 * parent: 5 of 60, all first-send), so the test avoided them; at 5925c57: 0
 * of 60, and at 0e381bc: 0 of 260 (load 11). 5925c57 gave an async1
 * task a cancel scope of its own from its first line: before it, a wait
 * begun in the synchronous start asked the cancel flag of the tasklet it
 * ran on, the acceptor, which the drain cancels. tests/rtac/spawn_cancel.c
 * checks that a spawned task never takes its spawner's cancellation (a
 * value-task method rta_spawn started still did after 5925c57). */
static void test_drain(int sig, bool first_send, bool stop)
{
    conn *idle = open_conn(), *busy = open_conn();
    resp r;
    send_str(idle->fd, "GET /plaintext HTTP/1.1\r\n\r\n");
    read_resp(idle, &r, false);
    if (!first_send) {
        send_str(busy->fd, "GET /plaintext HTTP/1.1\r\n\r\n");
        read_resp(busy, &r, false);
    }
    send_str(busy->fd, "GET /plaintext HTTP/1.1\r\n\r\nGET /json HTTP/1.1\r\nHost: t\r\n");
    read_resp(busy, &r, false);
    CHECK(r.status == 200);
    long t0 = now_ms();
    if (stop)
        CHECK(kill(server_pid, SIGSTOP) == 0);
    CHECK(kill(server_pid, sig) == 0);
    if (stop)
        CHECK(kill(server_pid, SIGCONT) == 0);
    /* The idle connection closing shows that the server is draining; only
     * then is the rest of the busy request sent, so its answer must say
     * close. (A fixed 100 ms sleep was too short on a machine at load 15: the
     * answer came before the server had seen the signal, without the header.) */
    expect_closed(idle);
    send_str(busy->fd, "\r\n");
    read_resp(busy, &r, false);
    CHECK(r.status == 200 && header_eq(&r, "Connection", "close"));
    expect_closed(busy);
    int st = wait_server(5000);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(now_ms() - t0 < 5000);
    close_conn(idle);
    close_conn(busy);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: e2e_rtahttpd [EMULATOR ARGS...] PATH-TO-RTAHTTPD (env HTTP_E2E_ENGINES: "
            "the engines to run, space-separated; default tasklet)");
    server_cmd = argv + 1;
    server_cmd_n = argc - 1;
    signal(SIGPIPE, SIG_IGN);
    /* every engine the build has (HTTP_E2E_ENGINES, from CMake), each in full */
    const char *list = getenv("HTTP_E2E_ENGINES");
    char engines[128];
    snprintf(engines, sizeof engines, "%s", list && *list ? list : "tasklet");
    for (char *save, *e = strtok_r(engines, " ", &save); e; e = strtok_r(NULL, " ", &save)) {
        server_engine = e;
        start_server();
        phase = "test_contract";
        test_contract();
        phase = "test_keep_alive_and_pipelining";
        test_keep_alive_and_pipelining();
        phase = "test_slow_client";
        test_slow_client();
        phase = "test_many";
        test_many();
        phase = "test_drain(SIGTERM, first send)";
        test_drain(SIGTERM, true, false);
        start_server();
        phase = "test_drain(SIGINT, stopped)";
        test_drain(SIGINT, false, true);
        printf("%s: ok\n", e);
    }
    /* usage errors exit 2 */
    static const char *const bad[][4] = {
        {"--bogus", NULL}, {"--port", "x", NULL}, {"--engine", "fibers", NULL}, {"--workers", "0", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st;
        pid_t pid = spawn_server(-1, bad[i]);
        CHECK(waitpid(pid, &st, 0) == pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    }
    printf("ok\n");
    return 0;
}
