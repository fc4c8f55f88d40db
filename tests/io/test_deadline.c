/*
 * Deadlines, close and shutdown end waits:
 *  - a read past its deadline returns -ETIMEDOUT (no earlier than the
 *    deadline; the lateness is printed, not asserted), and the descriptor
 *    stays usable: data written afterwards is read by the next call;
 *  - many concurrent reads with deadlines, half of which get data first:
 *    those return the data and their deadline timers are withdrawn (removed
 *    from the heap; a stale one firing would corrupt a reused wait record),
 *    the others time out;
 *  - an accept with a deadline times out;
 *  - rta_close ends another task's pending read with -ECANCELED;
 *  - rta_shutdown does not hang on a task blocked in accept forever: the
 *    accept returns -ECANCELED and the task ends.
 */
#include "iotest.h"

#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

static int64_t read_with_deadline(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c;
    int64_t t0 = rta_now_ns();
    ssize_t n = rta_read(fd, &c, 1, rta_after_ms(50));
    CHECK_EQ(n, -ETIMEDOUT);
    int64_t late = rta_now_ns() - t0 - 50 * 1000000LL;
    CHECK(late >= 0);
    fprintf(stderr, "timeout arrived %.2f ms after the deadline\n", late / 1e6);
    return 1;
}

static int64_t read_one(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c = 0;
    CHECK_EQ(rta_read(fd, &c, 1, RTA_FOREVER), 1);
    return c;
}

enum { NPAIRS = 100 };
static int pairs[NPAIRS][2];

static int64_t racer(void *arg)
{
    long i = (long)(intptr_t)arg;
    char c = 0;
    /* Even: data comes within a few ms, deadline far. Odd: never, 30 ms. */
    ssize_t n = rta_read(pairs[i][0], &c, 1, rta_after_ms(i % 2 ? 30 : 60000));
    if (i % 2) {
        CHECK_EQ(n, -ETIMEDOUT);
    } else {
        CHECK_EQ(n, 1);
        CHECK_EQ(c, (char)i);
    }
    /* Reuse this worker's wait records right away with short deadlines. */
    for (int k = 0; k < 3; k++)
        CHECK_EQ(rta_read(pairs[i][0], &c, 1, rta_after_ms(2)), -ETIMEDOUT);
    return 1;
}

static int64_t writer(void *arg)
{
    (void)arg;
    rta_sleep_ms(5);
    for (int i = 0; i < NPAIRS; i += 2) {
        char c = (char)i;
        CHECK_EQ(rta_write(pairs[i][1], &c, 1, RTA_FOREVER), 1);
    }
    return 1;
}

static int64_t accept_deadline(void *arg)
{
    return rta_tcp_accept((int)(intptr_t)arg, rta_after_ms(20));
}

static int64_t reader_closed(void *arg)
{
    char c;
    return rta_read((int)(intptr_t)arg, &c, 1, RTA_FOREVER);
}

static int64_t closer(void *arg)
{
    rta_sleep_ms(10);
    return rta_close((int)(intptr_t)arg);
}

static _Atomic int forever_result = 1;
static int64_t accept_forever(void *arg)
{
    atomic_store(&forever_result, rta_tcp_accept((int)(intptr_t)arg, RTA_FOREVER));
    return 0;
}

int main(void)
{
    iotest_init(2);

    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_EQ(iotest_join(rta_spawn(read_with_deadline, (void *)(intptr_t)sv[0])), 1);
    CHECK_EQ(write(sv[1], "x", 1), 1);
    CHECK_EQ(iotest_join(rta_spawn(read_one, (void *)(intptr_t)sv[0])), 'x');
    CHECK_OK(rta_close(sv[0]));
    CHECK_OK(rta_close(sv[1]));

    for (int i = 0; i < NPAIRS; i++)
        CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]));
    rta_task *ts[NPAIRS];
    for (long i = 0; i < NPAIRS; i++)
        CHECK((ts[i] = rta_spawn(racer, (void *)(intptr_t)i)) != NULL);
    rta_task *w = rta_spawn(writer, NULL);
    for (int i = 0; i < NPAIRS; i++)
        CHECK_EQ(iotest_join(ts[i]), 1);
    iotest_join(w);
    for (int i = 0; i < NPAIRS; i++) {
        CHECK_OK(rta_close(pairs[i][0]));
        CHECK_OK(rta_close(pairs[i][1]));
    }

    int lfd = rta_tcp_listen("127.0.0.1", 0, 16);
    CHECK(lfd >= 0);
    CHECK_EQ(iotest_join(rta_spawn(accept_deadline, (void *)(intptr_t)lfd)), -ETIMEDOUT);

    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    rta_task *r = rta_spawn(reader_closed, (void *)(intptr_t)sv[0]);
    CHECK_EQ(iotest_join(rta_spawn(closer, (void *)(intptr_t)sv[0])), 0);
    CHECK_EQ(iotest_join(r), -ECANCELED);
    CHECK_OK(rta_close(sv[1]));

    rta_task *f = rta_spawn(accept_forever, (void *)(intptr_t)lfd);
    CHECK(f);
    rta_task_release(f);
    test_sleep_ms(10); /* usually in its wait by now; either way it must end */
    rta_shutdown();
    CHECK_EQ(atomic_load(&forever_result), -ECANCELED);
    close(lfd);
    printf("ok\n");
    return 0;
}
