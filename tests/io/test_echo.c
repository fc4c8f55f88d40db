/*
 * An echo server on 127.0.0.1 with many concurrent connections (10,000 when
 * the descriptor limit allows: two descriptors per connection), every client
 * a task in the same runtime: each connects, waits until all are connected
 * (so the connections really are concurrent), then echoes rounds of
 * messages whose bytes name the client and round, and checks every byte.
 * The server's acceptor ends when the listener is closed under it
 * (rta_close: its pending accept returns -ECANCELED).
 * Scaled down under valgrind/ASan/qemu (iotest_scaled), and to the descriptor
 * hard limit (skipped, 77, only below 100 connections).
 */
#include "iotest.h"

#include <stdatomic.h>

enum { MSG = 600, ROUNDS = 3 };

static int port;
static long nclients;
static _Atomic long connected, echoed_bytes, handlers_done;
static rta_task *all_connected;

static int64_t handler(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[2048];
    for (;;) {
        ssize_t n = rta_read(fd, buf, sizeof buf, RTA_FOREVER);
        if (n <= 0) {
            CHECK_EQ(n, 0); /* clients close cleanly */
            break;
        }
        CHECK_EQ(rta_write(fd, buf, (size_t)n, RTA_FOREVER), n);
        atomic_fetch_add(&echoed_bytes, n);
    }
    CHECK_OK(rta_close(fd));
    atomic_fetch_add(&handlers_done, 1);
    return 0;
}

static int64_t acceptor(void *arg)
{
    int lfd = (int)(intptr_t)arg;
    long accepted = 0;
    for (;;) {
        int fd = rta_tcp_accept(lfd, RTA_FOREVER);
        if (fd == -ECANCELED)
            break;
        CHECK(fd >= 0);
        rta_task *t = rta_spawn(handler, (void *)(intptr_t)fd);
        CHECK(t);
        rta_task_release(t);
        accepted++;
    }
    return accepted;
}

static int64_t client(void *arg)
{
    long id = (long)(intptr_t)arg;
    int fd = rta_tcp_connect("127.0.0.1", port, rta_after_ms(60000));
    CHECK(fd >= 0);
    if (atomic_fetch_add(&connected, 1) + 1 == nclients)
        rta_promise_resolve(all_connected, 1);
    rta_await(all_connected);
    char out[MSG], in[MSG];
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < MSG; i++)
            out[i] = (char)(id * 31 + r * 7 + i);
        CHECK_EQ(rta_write(fd, out, MSG, RTA_FOREVER), MSG);
        size_t got = 0;
        while (got < MSG) {
            ssize_t n = rta_read(fd, in + got, MSG - got, rta_after_ms(60000));
            CHECK(n > 0);
            got += (size_t)n;
        }
        CHECK(memcmp(in, out, MSG) == 0);
    }
    CHECK_OK(rta_close(fd));
    return 1;
}

int main(void)
{
    long nofile = iotest_raise_nofile();
    nclients = iotest_scaled(10000, 20);
    if (nclients > (nofile - 64) / 2) {
        /* Two descriptors per connection (both ends live here). */
        if ((nofile - 64) / 2 < 100) {
            fprintf(stderr, "descriptor hard limit %ld is too low for even 100 connections\n", nofile);
            return 77;
        }
        fprintf(stderr, "descriptor hard limit %ld: %ld connections instead of %ld\n", nofile,
                (nofile - 64) / 2, nclients);
        nclients = (nofile - 64) / 2;
    }
    iotest_init(2);
    int lfd = rta_tcp_listen("127.0.0.1", 0, 4096);
    CHECK(lfd >= 0);
    port = rta_sock_port(lfd);
    CHECK(port > 0);
    all_connected = rta_promise_new();
    rta_task *acc = rta_spawn(acceptor, (void *)(intptr_t)lfd);
    CHECK(acc);
    rta_task **clients = calloc((size_t)nclients, sizeof *clients);
    for (long i = 0; i < nclients; i++)
        CHECK((clients[i] = rta_spawn(client, (void *)(intptr_t)i)) != NULL);
    for (long i = 0; i < nclients; i++)
        CHECK_EQ(iotest_join(clients[i]), 1);
    CHECK_OK(rta_close(lfd));
    CHECK_EQ(iotest_join(acc), nclients);
    while (atomic_load(&handlers_done) < nclients)
        test_sleep_ms(1);
    CHECK_EQ(atomic_load(&echoed_bytes), nclients * MSG * ROUNDS);
    rta_task_release(all_connected);
    free(clients);
    fprintf(stderr, "%ld connections, %ld bytes echoed\n", nclients, (long)atomic_load(&echoed_bytes));
    rta_shutdown();
    printf("ok\n");
    return 0;
}
