/*
 * rta_async1_read / rta_async1_write (src/io/async1.c) awaited by
 * hand-written async1 methods on the workers, on pipes:
 *  - a read on an empty pipe suspends (its value task is not immediate when
 *    the method gets it, which main waits for before it writes) and resumes
 *    with the data written afterwards;
 *  - a read with a 30 ms deadline suspends and ends with -ETIMEDOUT, no
 *    earlier than the deadline; the pipe stays usable: a read of data already
 *    there completes at once (an immediate value task: nothing allocated);
 *  - called on main (not a worker) a read that must wait does not block
 *    main: it hops onto the workers and main gets a pending value task;
 *  - a read ended by rta_close from main ends with -ECANCELED;
 *  - a write into a full pipe suspends and completes as main drains it, every
 *    byte in order;
 *  - two methods play ping-pong over two pipes many times with deadlines
 *    (their timers armed on one worker, the waits ended on either), which
 *    reuses the wait records and the methods' pooled boxes;
 *  - none of this starts a tasklet (rta_stats.tasks_spawned does not move):
 *    async1 I/O is the async1 engine's own, not a tasklet bridge.
 * Registered per backend (io_async1, io_async1_epoll).
 */
#include "iotest.h"

#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

/* What an operation's method tells main: 0 not yet called, 1 the call
 * suspended (value task not immediate), 2 it completed at once. */
static _Atomic int probe;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits (bounded: a hang fails) until the method has made its call. */
static int wait_probe(void)
{
    for (int i = 0; i < 20000; i++) {
        int p = atomic_load(&probe);
        if (p)
            return p;
        sleep_ms(1);
    }
    fprintf(stderr, "the method never made its call\n");
    abort();
}

/* One read or write, made on a worker. */
typedef struct op_sm {
    rta_async1_sm hdr;
    int write;
    int fd;
    void *buf;
    size_t n;
    rta_deadline d;
    rta_vtask v;
    int64_t r;
} op_sm;

RTA_ASYNC1_METHOD(io_op, rta_task *);

static void io_op_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(io_op, op_sm, sm, m);
    RTA_AWAIT1_YIELD_CFG(false); /* started by main: go on on a worker */
    sm->v = sm->write ? rta_async1_write(sm->fd, sm->buf, sm->n, sm->d)
                      : rta_async1_read(sm->fd, sm->buf, sm->n, sm->d);
    atomic_store(&probe, rta_vtask_is_immediate(sm->v) ? 2 : 1);
    RTA_AWAIT1_VTASK(sm->v, sm->v, sm->r);
    RTA_ASYNC1_RETURN(sm->r);
    RTA_ASYNC1_END();
}

static rta_task *io_op(int write, int fd, void *buf, size_t n, rta_deadline d)
{
    atomic_store(&probe, 0);
    op_sm sm = {.write = write, .fd = fd, .buf = buf, .n = n, .d = d};
    RTA_ASYNC1_START(io_op, &sm, io_op_mn);
    return RTA_ASYNC1_TASK(io_op, &sm);
}

/* Ping-pong: ping writes byte i to a and reads it back from b; pong echoes. */
typedef struct pp_sm {
    rta_async1_sm hdr;
    int ping;
    int in, out;
    long rounds, i;
    unsigned char c;
    rta_vtask v;
    int64_t r;
} pp_sm;

RTA_ASYNC1_METHOD(pp, rta_task *);

static void pp_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(pp, pp_sm, sm, m);
    RTA_AWAIT1_YIELD_CFG(false);
    for (sm->i = 0; sm->i < sm->rounds; sm->i++) {
        if (sm->ping) {
            sm->c = (unsigned char)sm->i;
            RTA_AWAIT1_VTASK(sm->v, rta_async1_write(sm->out, &sm->c, 1, rta_after_ms(60000)), sm->r);
            if (sm->r != 1)
                RTA_ASYNC1_RETURN(-1000 + sm->r);
        }
        /* sm is the heap box since the yield: &sm->c stays valid. */
        RTA_AWAIT1_VTASK(sm->v, rta_async1_read(sm->in, &sm->c, 1, rta_after_ms(60000)), sm->r);
        if (sm->r != 1)
            RTA_ASYNC1_RETURN(-2000 + sm->r);
        if (sm->ping) {
            if (sm->c != (unsigned char)sm->i)
                RTA_ASYNC1_RETURN(-3000);
        } else {
            RTA_AWAIT1_VTASK(sm->v, rta_async1_write(sm->out, &sm->c, 1, rta_after_ms(60000)), sm->r);
            if (sm->r != 1)
                RTA_ASYNC1_RETURN(-4000 + sm->r);
        }
    }
    RTA_ASYNC1_RETURN(sm->rounds);
    RTA_ASYNC1_END();
}

static uint64_t spawned(void)
{
    rta_stats st;
    rta_stats_get(&st);
    return st.tasks_spawned;
}

static int64_t join(rta_task *t)
{
    return iotest_join(t);
}

int main(void)
{
    iotest_init(2);
    uint64_t spawned0 = spawned();
    int p[2];
    char buf[64];

    /* A read on an empty pipe suspends, then gets what main writes. */
    CHECK_OK(pipe(p));
    rta_task *t = io_op(0, p[0], buf, sizeof buf, rta_after_ms(60000));
    CHECK_EQ(wait_probe(), 1);
    CHECK_EQ(write(p[1], "hello", 5), 5);
    CHECK_EQ(join(t), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);

    /* A deadline ends a suspended read; the pipe stays usable. */
    int64_t t0 = rta_now_ns();
    t = io_op(0, p[0], buf, sizeof buf, rta_after_ms(30));
    CHECK_EQ(wait_probe(), 1);
    CHECK_EQ(join(t), -ETIMEDOUT);
    CHECK(rta_now_ns() - t0 >= 30 * 1000000LL);
    CHECK_EQ(write(p[1], "x", 1), 1);
    t = io_op(0, p[0], buf, sizeof buf, rta_after_ms(60000));
    CHECK_EQ(join(t), 1);
    CHECK_EQ(atomic_load(&probe), 2); /* the data was there: done at once */
    CHECK_EQ(buf[0], 'x');

    /* Called on main (not a worker), a read that must wait hops onto the
     * workers instead of blocking main: main gets a pending value task. */
    rta_vtask v = rta_async1_read(p[0], buf, sizeof buf, rta_after_ms(60000));
    CHECK(!rta_vtask_is_immediate(v));
    CHECK_EQ(write(p[1], "main", 4), 4);
    rta_error *err = NULL;
    CHECK_EQ(rta_vtask_wait(v, &err), 4);
    CHECK(err == NULL);
    CHECK(memcmp(buf, "main", 4) == 0);

    /* rta_close ends a suspended read with -ECANCELED. */
    t = io_op(0, p[0], buf, sizeof buf, RTA_FOREVER);
    CHECK_EQ(wait_probe(), 1);
    CHECK_OK(rta_close(p[0]));
    CHECK_EQ(join(t), -ECANCELED);
    CHECK_OK(rta_close(p[1]));

    /* A write into a full pipe suspends until main has drained it all. */
    CHECK_OK(pipe(p));
    size_t total = 256 * 1024; /* four times a default pipe (64 KiB) */
    unsigned char *src = malloc(total), *dst = malloc(total);
    CHECK(src && dst);
    for (size_t i = 0; i < total; i++)
        src[i] = (unsigned char)(i * 31 + i / 997);
    t = io_op(1, p[1], src, total, rta_after_ms(60000));
    CHECK_EQ(wait_probe(), 1);
    size_t got = 0;
    while (got < total) {
        ssize_t r = rta_read(p[0], dst + got, total - got, rta_after_ms(60000)); /* main: poll(2) */
        CHECK(r > 0);
        got += (size_t)r;
    }
    CHECK_EQ(join(t), (int64_t)total);
    CHECK(memcmp(src, dst, total) == 0);
    free(src);
    free(dst);
    CHECK_OK(rta_close(p[0]));
    CHECK_OK(rta_close(p[1]));

    /* Ping-pong: many suspensions and resumptions on both workers. */
    int a[2], b[2];
    CHECK_OK(pipe(a));
    CHECK_OK(pipe(b));
    long rounds = iotest_scaled(3000, 50);
    pp_sm ping = {.ping = 1, .in = b[0], .out = a[1], .rounds = rounds};
    pp_sm pong = {.ping = 0, .in = a[0], .out = b[1], .rounds = rounds};
    RTA_ASYNC1_START(pp, &pong, pp_mn);
    rta_task *tpong = RTA_ASYNC1_TASK(pp, &pong);
    RTA_ASYNC1_START(pp, &ping, pp_mn);
    rta_task *tping = RTA_ASYNC1_TASK(pp, &ping);
    CHECK_EQ(join(tping), rounds);
    CHECK_EQ(join(tpong), rounds);
    for (int i = 0; i < 2; i++) {
        CHECK_OK(rta_close(a[i]));
        CHECK_OK(rta_close(b[i]));
    }

    /* No tasklet was started for any of it (the bridge started one per call). */
    CHECK_EQ(spawned(), spawned0);
    fprintf(stderr, "async1 I/O: %ld ping-pong rounds, %llu tasklets started\n", rounds,
            (unsigned long long)(spawned() - spawned0));
    rta_shutdown();
    return 0;
}
