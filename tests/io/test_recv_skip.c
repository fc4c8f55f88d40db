/*
 * The read that is not made (rta__io_recv, src/io/io.h): after a short read
 * of a TCP socket, the next rta_read says EAGAIN to itself and waits for
 * the next readable edge instead of calling read(2). What must still hold:
 *  - the end behind the data: the peer writes and shuts down (or resets)
 *    before the server reads, and the poller has taken that edge already
 *    (the server slept, so its worker waited in the poller): the short
 *    read that takes the data leaves the FIN unread with no edge to come,
 *    so the next read must still be made and say 0 (or -ECONNRESET), not
 *    wait until the deadline;
 *  - the same with the server waiting in its read first;
 *  - data that comes after a short read wakes the next read (several
 *    messages one at a time, the client waiting for each echo).
 * Each read has a 10 s deadline: a skipped read that waits for an edge that
 * never comes shows as -ETIMEDOUT.
 */
#include "iotest.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { ROUNDS = 20, MSGS = 50 };

typedef struct round {
    int lfd;
    bool sleep_first; /* the poller takes the edges before the first read */
} round;

/* Accepts one connection and reads it to its end: the bytes read, or the
 * read's error (-ECONNRESET allowed by the caller for a reset). */
static int64_t drain(void *arg)
{
    round *r = arg;
    int fd = rta_tcp_accept(r->lfd, rta_after_ms(10000));
    CHECK(fd >= 0);
    if (r->sleep_first)
        rta_sleep_ms(5);
    char buf[256];
    int64_t total = 0;
    for (;;) {
        ssize_t n = rta_read(fd, buf, sizeof buf, rta_after_ms(10000));
        CHECK(n != -ETIMEDOUT);
        if (n <= 0) {
            rta_close(fd);
            return n < 0 ? n : total;
        }
        total += n;
    }
}

/* Echoes messages until the end: each short read is followed by a wait. */
static int64_t echo(void *arg)
{
    round *r = arg;
    int fd = rta_tcp_accept(r->lfd, rta_after_ms(10000));
    CHECK(fd >= 0);
    char buf[256];
    int64_t msgs = 0;
    for (;;) {
        ssize_t n = rta_read(fd, buf, sizeof buf, rta_after_ms(10000));
        CHECK(n >= 0);
        if (n == 0)
            break;
        CHECK_EQ(rta_write(fd, buf, (size_t)n, rta_after_ms(10000)), n);
        msgs++;
    }
    rta_close(fd);
    return msgs;
}

static int dial(int port)
{
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(c >= 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_EQ(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    return c;
}

int main(void)
{
    iotest_init(1);
    int lfd = rta_tcp_listen("127.0.0.1", 0, 64);
    CHECK(lfd >= 0);
    int port = rta_sock_port(lfd);
    for (int i = 0; i < ROUNDS; i++) {
        for (int reset = 0; reset < 2; reset++) {
            round r = {lfd, i % 2 == 0};
            rta_task *t = rta_spawn(drain, &r);
            int c = dial(port);
            CHECK_EQ(write(c, "hello", 5), 5);
            if (reset) {
                struct linger lg = {.l_onoff = 1, .l_linger = 0};
                CHECK_EQ(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
                close(c); /* a reset behind the data */
            } else {
                CHECK_EQ(shutdown(c, SHUT_WR), 0);
            }
            int64_t got = iotest_join(t);
            if (reset)
                CHECK(got == 5 || got == -ECONNRESET);
            else {
                CHECK_EQ(got, 5);
                close(c);
            }
        }
    }
    round r = {lfd, false};
    rta_task *t = rta_spawn(echo, &r);
    int c = dial(port);
    for (int m = 0; m < MSGS; m++) {
        char msg[16], back[16];
        int len = snprintf(msg, sizeof msg, "msg %d", m);
        CHECK_EQ(write(c, msg, (size_t)len), len);
        ssize_t got = 0;
        while (got < len) {
            ssize_t n = read(c, back + got, (size_t)(len - got));
            CHECK(n > 0);
            got += n;
        }
        CHECK(memcmp(msg, back, (size_t)len) == 0);
    }
    shutdown(c, SHUT_WR);
    CHECK_EQ(iotest_join(t), MSGS);
    close(c);
    rta_close(lfd);
    rta_shutdown();
    return 0;
}
