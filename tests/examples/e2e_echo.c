/*
 * examples/echo.c end to end: starts the example on port 0 with a short idle
 * deadline, reads its listening line, and checks over loopback with plain
 * sockets what its comment promises: several clients at once get their bytes
 * back exactly (one sends more than the socket buffers hold, so the server's
 * write must suspend until the client reads), a half-closed client gets the
 * rest and then the end of the stream, a silent client is dropped by the idle
 * deadline (2 s) while another is served, and SIGTERM stops it with exit 0
 * while a connection is open. Every wait is bounded by a poll timeout; the
 * server is killed if the test fails.
 *
 *   e2e_echo [PREFIX ARGS...] PATH-TO-ECHO
 * (PREFIX: an emulator, or valgrind, that runs the example)
 */
#include <errno.h>
#include <netinet/in.h>
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

enum {
    WAIT_MS = 60000, /* any single wait: generous for valgrind and qemu */
    BIG = 1 << 20,   /* more than loopback's socket buffers hold */
    CLIENTS = 4
};

static pid_t server_pid = -1;
static int server_port;
static const char *phase = "start";

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "e2e_echo (%s): ", phase);
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
            die("%s:%d: CHECK(%s) failed (errno %s)", __FILE__, __LINE__, #c, strerror(errno));              \
    } while (0)

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void start_server(char **cmd, int n)
{
    int p[2];
    CHECK(pipe(p) == 0);
    server_pid = fork();
    CHECK(server_pid >= 0);
    if (server_pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        char **argv = calloc((size_t)n + 4, sizeof *argv);
        memcpy(argv, cmd, (size_t)n * sizeof *argv);
        argv[n] = "--idle-ms";
        argv[n + 1] = "2000";
        execvp(argv[0], argv);
        perror("e2e_echo: exec");
        _exit(127);
    }
    close(p[1]);
    char line[128];
    size_t len = 0;
    long t0 = now_ms();
    while (len < sizeof line - 1 && (len == 0 || line[len - 1] != '\n')) {
        struct pollfd pf = {p[0], POLLIN, 0};
        int left = (int)(WAIT_MS - (now_ms() - t0));
        CHECK(left > 0 && poll(&pf, 1, left) == 1);
        ssize_t k = read(p[0], line + len, 1);
        CHECK(k == 1); /* EOF here: the example exited before listening */
        len++;
    }
    line[len] = '\0';
    close(p[0]);
    if (sscanf(line, "listening on 127.0.0.1:%d", &server_port) != 1 || server_port <= 0)
        die("unexpected first line '%s'", line);
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)server_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    return fd;
}

/* Sends out[0..n) and reads the echo into in, interleaved with poll so that
 * neither side's full buffer blocks the other; bounded by WAIT_MS without
 * progress. half_close: shut our write side once everything is sent. */
static void exchange(int fd, const char *out, char *in, size_t n, bool half_close)
{
    size_t sent = 0, got = 0;
    bool shut = false;
    while (got < n) {
        if (half_close && sent == n && !shut) {
            CHECK(shutdown(fd, SHUT_WR) == 0);
            shut = true;
        }
        struct pollfd pf = {fd, (short)(POLLIN | (sent < n ? POLLOUT : 0)), 0};
        CHECK(poll(&pf, 1, WAIT_MS) == 1);
        if ((pf.revents & POLLOUT) && sent < n) {
            ssize_t k = send(fd, out + sent, n - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            CHECK(k > 0 || (k < 0 && errno == EAGAIN));
            if (k > 0)
                sent += (size_t)k;
        }
        if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t k = recv(fd, in + got, n - got, MSG_DONTWAIT);
            if (k == 0)
                die("the server closed after echoing %zu of %zu bytes", got, n);
            CHECK(k > 0 || (k < 0 && errno == EAGAIN));
            if (k > 0)
                got += (size_t)k;
        }
    }
    if (memcmp(in, out, n) != 0)
        die("the echo of %zu bytes differs from what was sent", n);
}

/* The server closes the connection within WAIT_MS: recv sees the end. */
static void expect_eof(int fd)
{
    char c;
    struct pollfd pf = {fd, POLLIN, 0};
    CHECK(poll(&pf, 1, WAIT_MS) == 1);
    ssize_t k = recv(fd, &c, 1, 0);
    if (k != 0)
        die("expected the end of the stream, got %zd (%s)", k, k < 0 ? strerror(errno) : "a byte");
}

static void fill(char *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (char)(seed * 131 + i * 7 + (i >> 9));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: e2e_echo [PREFIX ARGS...] PATH-TO-ECHO\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    start_server(argv + 1, argc - 1);
    char *out = malloc(BIG), *in = malloc(BIG);
    CHECK(out && in);

    /* Several clients connected at once, each echoing messages of several
     * sizes; the first also sends BIG bytes in one go (the server's write
     * suspends while our receive buffer is full). */
    phase = "concurrent clients";
    int fds[CLIENTS];
    for (int c = 0; c < CLIENTS; c++)
        fds[c] = dial();
    static const size_t sizes[] = {1, 100, 4096, 4097, 65536};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int c = 0; c < CLIENTS; c++) {
            fill(out, sizes[s], (unsigned)(c * 10 + s));
            exchange(fds[c], out, in, sizes[s], false);
        }
    phase = "a message larger than the socket buffers";
    fill(out, BIG, 99);
    exchange(fds[0], out, in, BIG, false);

    /* Half-close: the rest is echoed, then the server closes its side. */
    phase = "half-close";
    int half = dial();
    fill(out, 10000, 7);
    exchange(half, out, in, 10000, true);
    expect_eof(half);
    close(half);

    /* A silent client is dropped once its idle deadline (2 s) passes;
     * meanwhile another client is served. (The clients above idle too from
     * here on, and are dropped as well: they are not used again.) */
    phase = "idle deadline";
    long t0 = now_ms();
    int quiet = dial(), busy = dial();
    fill(out, 512, 3);
    exchange(busy, out, in, 512, false);
    expect_eof(quiet);
    if (now_ms() - t0 < 1500)
        die("the silent client was dropped after %ld ms, before its 2 s deadline", now_ms() - t0);
    close(quiet);
    close(busy);

    /* SIGTERM with a connection open: exit 0, and the connection sees the
     * end of the stream. */
    phase = "SIGTERM";
    int open_fd = dial();
    exchange(open_fd, "x", in, 1, false);
    CHECK(kill(server_pid, SIGTERM) == 0);
    int status = 0;
    long t1 = now_ms();
    pid_t w;
    while ((w = waitpid(server_pid, &status, WNOHANG)) == 0) {
        if (now_ms() - t1 > WAIT_MS)
            die("still running %d ms after SIGTERM", WAIT_MS);
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    CHECK(w == server_pid);
    server_pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("the example ended with status 0x%x, not exit 0", status);
    expect_eof(open_fd);
    close(open_fd);
    for (int c = 0; c < CLIENTS; c++)
        close(fds[c]);
    free(out);
    free(in);
    printf("e2e_echo: ok\n");
    return 0;
}
