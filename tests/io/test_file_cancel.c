/*
 * A file call that is cancelled leaves nothing behind (issue 11): no late
 * completion touches memory its caller freed or reused, on every engine.
 *
 * io_uring: rta_pread is a ring read, and on a pipe (which io_uring reads
 * as read(2) would, the offset ignored) it stays in flight until data
 * comes, which lets the test hold it there:
 *  - tasklet, cont and async1: a pread pending on an empty pipe into a heap
 *    buffer is cancelled (rta_task_cancel): the call ends with -ECANCELED,
 *    the buffer is untouched and freed, and the bytes written to the pipe
 *    afterwards are all still there for read(2): the kernel's read was
 *    withdrawn, not left to complete into freed memory later; the task's
 *    next pread ends -ECANCELED at once, submitting nothing;
 *  - buffers on tasklet stacks with one region per worker: 8 tasklets
 *    pread pipes into their stacks while 8 others run with their stacks
 *    full of a pattern; each reader gets its own bytes and no other task's
 *    stack is written (a reader whose frames were copied out while the
 *    kernel's read was in flight would get the bytes into whatever stack
 *    then holds the region, and find its own copy empty);
 *  - a pread pending at rta_shutdown ends with -ECANCELED (withdrawn: the
 *    data written after is still in the pipe) and shutdown returns.
 * epoll: files go to the blocking pool, and a pipe is refused as pread(2)
 * refuses it (-ESPIPE); a pread is held in flight as a job queued behind a
 * blocked one (RTA_BLOCKING_THREADS=1): cancelled, on every engine, it is
 * dequeued and never runs (its heap buffer, freed at once, is never
 * written: ASan and valgrind would say so; and the buffer is checked
 * untouched first).
 * Registered per backend (io_file_cancel, io_file_cancel_epoll). Every wait
 * is for an event, never for a time: a lost cancel hangs (ctest's timeout).
 */
#define _GNU_SOURCE /* pipe2 */
#include "iotest.h"
#include "io/io.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <unistd.h>

enum { N = 64, READERS = 8, CHURNERS = 8, SZ = 2048 };

struct call {
    int fd;
    unsigned char *buf;
};

static _Atomic int began; /* tasks that are about to make their call */

/* ---- one pread per engine -------------------------------------------- */

/* Each reader calls pread twice: the second call, made by a task whose
 * cancel was requested, must end at once, submitting nothing. Returns the
 * first call's result when both are the same, else TWO_DIFFER. */
#define TWO_DIFFER (-100000)

static int64_t t_reader(void *arg)
{
    struct call *c = arg;
    atomic_fetch_add(&began, 1);
    int64_t r = rta_pread(c->fd, c->buf, N, 0);
    return rta_pread(c->fd, c->buf, N, 0) == r ? r : TWO_DIFFER;
}

RTA_CONT_FN(c_reader, void *, arg)
{
    RTA_CONT_FRAME(c_reader, int64_t r; int64_t r2; struct call * c;);
    F.c = arg;
    atomic_fetch_add(&began, 1);
    RTA_CONT_CALL(F.r, rta_cont_pread, F.c->fd, F.c->buf, N, 0);
    RTA_CONT_CALL(F.r2, rta_cont_pread, F.c->fd, F.c->buf, N, 0);
    RTA_CONT_RETURN(F.r2 == F.r ? F.r : TWO_DIFFER);
}

typedef struct a_sm {
    rta_async1_sm hdr;
    struct call *c;
    rta_vtask v;
    int64_t r, r2;
} a_sm;

RTA_ASYNC1_METHOD(a_reader, rta_task *);

static void a_reader_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(a_reader, a_sm, sm, m);
    RTA_AWAIT1_YIELD_CFG(false); /* started by main: go on on a worker */
    atomic_fetch_add(&began, 1);
    sm->v = rta_async1_pread(sm->c->fd, sm->c->buf, N, 0);
    RTA_AWAIT1_VTASK(sm->v, sm->v, sm->r);
    sm->v = rta_async1_pread(sm->c->fd, sm->c->buf, N, 0);
    RTA_AWAIT1_VTASK(sm->v, sm->v, sm->r2);
    RTA_ASYNC1_RETURN(sm->r2 == sm->r ? sm->r : TWO_DIFFER);
    RTA_ASYNC1_END();
}

static rta_task *a_reader(struct call *c)
{
    a_sm sm = {.c = c};
    RTA_ASYNC1_START(a_reader, &sm, a_reader_mn);
    return RTA_ASYNC1_TASK(a_reader, &sm);
}

static const char *const engines[] = {"tasklet", "cont", "async1"};

static rta_task *start(int engine, struct call *c)
{
    atomic_store(&began, 0);
    rta_task *t = engine == 0   ? rta_spawn(t_reader, c)
                  : engine == 1 ? rta_cont_spawn(c_reader, c)
                                : a_reader(c);
    CHECK(t != NULL);
    while (atomic_load(&began) == 0)
        test_sleep_ms(1);
    return t;
}

static struct call new_call(int fd)
{
    struct call c = {.fd = fd, .buf = malloc(N)};
    CHECK(c.buf != NULL);
    memset(c.buf, 0xAA, N);
    return c;
}

/* c's buffer was not written; freed. */
static void untouched_free(struct call *c)
{
    for (int i = 0; i < N; i++)
        CHECK_EQ(c->buf[i], 0xAA);
    free(c->buf);
    c->buf = NULL;
}

/* n bytes written into p[1] are all read back from p[0] (nobody took any). */
static void still_there(int p[2], size_t n)
{
    unsigned char out[SZ], in[SZ];
    CHECK(n <= SZ);
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(i * 7 + 3);
    CHECK_EQ(write(p[1], out, n), (ssize_t)n);
    CHECK_EQ(read(p[0], in, n), (ssize_t)n);
    CHECK(memcmp(in, out, n) == 0);
}

/* ---- io_uring --------------------------------------------------------- */

static void ring_cancel(int engine)
{
    int p[2];
    CHECK_OK(pipe2(p, O_CLOEXEC));
    static struct call c; /* not on main's stack: a cont frame keeps a pointer to it */
    c = new_call(p[0]);
    uint64_t before = atomic_load(&rta__fileops_submitted);
    rta_task *t = start(engine, &c);
    while (atomic_load(&rta__fileops_submitted) == before) /* the read is in the ring */
        test_sleep_ms(1);
    CHECK(rta_task_cancel(t));
    CHECK_EQ(iotest_join(t), -ECANCELED);
    CHECK_EQ(atomic_load(&rta__fileops_submitted), before + 1); /* the second call submitted nothing */
    untouched_free(&c);
    still_there(p, N);
    close(p[0]);
    close(p[1]);
    fprintf(stderr, "%s: a pread in flight cancelled and withdrawn\n", engines[engine]);
}

static int rp[READERS][2];

static unsigned char pattern(long k, int i)
{
    return (unsigned char)(k * 31 + i + 1);
}

static TEST_NOINLINE int64_t stack_reader(void *arg)
{
    long k = (long)(intptr_t)arg;
    unsigned char buf[SZ];
    memset(buf, 0, sizeof buf);
    atomic_fetch_add(&began, 1);
    CHECK_EQ(rta_pread(rp[k][0], buf, SZ, 0), SZ); /* one write of SZ <= PIPE_BUF bytes */
    for (int i = 0; i < SZ; i++)
        CHECK_EQ(buf[i], pattern(k, i));
    return 1;
}

static TEST_NOINLINE int64_t churner(void *arg)
{
    long k = (long)(intptr_t)arg;
    unsigned char mine[SZ];
    memset(mine, (int)(0x5A ^ k), sizeof mine);
    for (int r = 0; r < 50; r++) {
        rta_yield();
        for (int i = 0; i < SZ; i++)
            CHECK_EQ(mine[i], (unsigned char)(0x5A ^ k));
    }
    return 1;
}

static void ring_stacks(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 1, .regions_per_worker = 1}));
    CHECK(strcmp(rta_io_backend(), "io_uring") == 0);
    atomic_store(&began, 0);
    uint64_t before = atomic_load(&rta__fileops_submitted);
    rta_task *r[READERS], *c[CHURNERS];
    for (long k = 0; k < READERS; k++) {
        CHECK_OK(pipe2(rp[k], O_CLOEXEC));
        CHECK((r[k] = rta_spawn(stack_reader, (void *)(intptr_t)k)) != NULL);
    }
    while (atomic_load(&rta__fileops_submitted) < before + READERS) /* every read in flight */
        test_sleep_ms(1);
    for (long k = 0; k < CHURNERS; k++)
        CHECK((c[k] = rta_spawn(churner, (void *)(intptr_t)k)) != NULL);
    for (long k = 0; k < CHURNERS; k++)
        CHECK_EQ(iotest_join(c[k]), 1);
    for (long k = 0; k < READERS; k++) {
        unsigned char out[SZ];
        for (int i = 0; i < SZ; i++)
            out[i] = pattern(k, i);
        CHECK_EQ(write(rp[k][1], out, SZ), SZ);
    }
    for (long k = 0; k < READERS; k++) {
        CHECK_EQ(iotest_join(r[k]), 1);
        close(rp[k][0]);
        close(rp[k][1]);
    }
    rta_shutdown();
    fprintf(stderr, "%d preads into pinned stacks beside %d other tasks\n", READERS, CHURNERS);
}

static int sp[2];
static _Atomic int64_t at_shutdown = 1;

static int64_t shutdown_reader(void *arg)
{
    (void)arg;
    unsigned char b[N];
    atomic_fetch_add(&began, 1);
    atomic_store(&at_shutdown, rta_pread(sp[0], b, N, 0));
    return 0;
}

static void ring_shutdown(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    CHECK_OK(pipe2(sp, O_CLOEXEC));
    uint64_t before = atomic_load(&rta__fileops_submitted);
    rta_task *t = rta_spawn(shutdown_reader, NULL);
    CHECK(t != NULL);
    rta_task_release(t);
    while (atomic_load(&rta__fileops_submitted) == before)
        test_sleep_ms(1);
    rta_shutdown();
    CHECK_EQ(atomic_load(&at_shutdown), -ECANCELED);
    still_there(sp, N);
    close(sp[0]);
    close(sp[1]);
    fprintf(stderr, "a pread in flight at rta_shutdown ended -ECANCELED\n");
}

/* ---- epoll: the blocking pool ----------------------------------------- */

static int bp[2];

static int64_t block(void *arg)
{
    (void)arg;
    char ch;
    return read(bp[0], &ch, 1); /* on the pool's one thread, until main writes */
}

static int64_t blocker(void *arg)
{
    (void)arg;
    return rta_run_blocking(block, NULL);
}

static unsigned queued(void)
{
    unsigned threads, peak, max, q;
    rta__pool_stats(&threads, &peak, &max, &q);
    return q;
}

static void pool_cancel(int file_fd)
{
    CHECK_OK(pipe2(bp, O_CLOEXEC));
    rta_task *b = rta_spawn(blocker, NULL);
    CHECK(b != NULL);
    unsigned threads, peak = 0, max, q;
    for (;;) { /* until the pool's one thread is blocked */
        rta__pool_stats(&threads, &peak, &max, &q);
        if (peak)
            break;
        test_sleep_ms(1);
    }
    for (int engine = 0; engine < 3; engine++) {
        static struct call c; /* not on main's stack: a cont frame keeps a pointer to it */
        c = new_call(file_fd);
        rta_task *t = start(engine, &c);
        while (queued() == 0) /* the pread's job waits behind the blocked one */
            test_sleep_ms(1);
        CHECK(rta_task_cancel(t));
        CHECK_EQ(iotest_join(t), -ECANCELED);
        CHECK_EQ(queued(), 0); /* dequeued: it never runs */
        untouched_free(&c);
        fprintf(stderr, "%s: a queued pread cancelled and dequeued\n", engines[engine]);
    }
    CHECK_EQ(write(bp[1], "x", 1), 1);
    CHECK_EQ(iotest_join(b), 1);
    close(bp[0]);
    close(bp[1]);
}

static int64_t pipe_pread(void *arg)
{
    int *p = arg;
    unsigned char b[N];
    return rta_pread(p[0], b, N, 0);
}

int main(void)
{
    setenv("RTA_BLOCKING_THREADS", "1", 1);
    char path[] = "/tmp/io_file_cancel_XXXXXX";
    int file_fd = mkstemp(path);
    CHECK(file_fd >= 0);
    unlink(path);
    unsigned char data[4096];
    memset(data, 0x33, sizeof data);
    CHECK_EQ(write(file_fd, data, sizeof data), (ssize_t)sizeof data);

    iotest_init(2);
    if (strcmp(rta_io_backend(), "io_uring") == 0) {
        for (int engine = 0; engine < 3; engine++)
            ring_cancel(engine);
        rta_shutdown();
        ring_stacks();
        ring_shutdown();
    } else {
        pool_cancel(file_fd);
        int p[2];
        CHECK_OK(pipe2(p, O_CLOEXEC));
        CHECK_EQ(iotest_join(rta_spawn(pipe_pread, p)), -ESPIPE); /* pread(2)'s answer */
        close(p[0]);
        close(p[1]);
        rta_shutdown();
    }
    close(file_fd);
    printf("ok\n");
    return 0;
}
