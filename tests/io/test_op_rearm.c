/*
 * A cont or async1 write that waits again (src/io/op.c: a partial write
 * filled the socket's buffer again, so its record waits once more) leaves
 * nothing of its task behind in the record: cancelling that task later
 * must not reach whatever wait reuses the record.
 *
 * Found by reading: op_edge waited again through the relay's on_completed,
 * which arms the record's cancel hook in the task's scope; a second arm
 * linked the hook into the list twice, and get_result's disarm left it
 * there. The next wait to take the record from the worker's pool (another
 * task's read) was then ended by a cancel of the writer.
 *
 * Per engine (cont, async1), one worker (the pool hands out the record the
 * write freed, last in first out):
 *  - A writes 8 MiB into a socket pair main drains in 64 KiB pieces (the
 *    write waits again many times), then awaits a promise;
 *  - B, started once A's write returned, reads a socket nobody writes to
 *    yet: its wait takes the record A's write used;
 *  - main resolves the promise; A reads a quiet socket; main cancels A:
 *    A's read says -ECANCELED, B's read goes on and returns the byte main
 *    writes then (before the fix: -ECANCELED).
 * The pauses only let a task reach its wait (B's read not yet parked when
 * A is cancelled would pass either way, never fail). A is cancelled only
 * once it is past its await of the promise, which would throw the cancel
 * (a status-less wait) instead of its read returning it: a 50 ms pause was
 * once too short for that resume on a loaded machine (the CI repeat: "task
 * 2 was canceled", 1 run in 60).
 * Registered per backend (io_op_rearm, io_op_rearm_epoll).
 */
#include "iotest.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BIG = 8 << 20, PIECE = 64 << 10 };

static int wsock[2], asock[2], bsock[2];
static char *big;
static char abuf[1], bbuf[1]; /* not in a frame or a state machine: they move */
static rta_task *go;
static _Atomic int wrote, past_go;

RTA_CONT_FN(c_writer, void *, arg)
{
    RTA_CONT_FRAME(c_writer, int64_t w; int64_t r;);
    (void)arg;
    RTA_CONT_CALL(F.w, rta_cont_write, wsock[0], big, BIG, RTA_FOREVER);
    atomic_store(&wrote, 1);
    RTA_CONT_AWAIT_TASK(F.r, go);
    atomic_store(&past_go, 1);
    RTA_CONT_CALL(F.r, rta_cont_read, asock[0], abuf, 1, RTA_FOREVER);
    RTA_CONT_RETURN(F.w == BIG && F.r == -ECANCELED ? 1 : F.w != BIG ? -1 : -2);
}

RTA_CONT_FN(c_reader, void *, arg)
{
    RTA_CONT_FRAME(c_reader, int64_t r;);
    (void)arg;
    RTA_CONT_CALL(F.r, rta_cont_read, bsock[0], bbuf, 1, RTA_FOREVER);
    RTA_CONT_RETURN(F.r);
}

typedef struct a_sm {
    rta_async1_sm hdr;
    rta_vtask v;
    int64_t w;
    int64_t r;
} a_sm;

RTA_ASYNC1_METHOD(a_writer, rta_task *);
static void a_writer_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(a_writer, a_sm, sm, m);
    RTA_AWAIT1_YIELD_CFG(false); /* started by main: go on on the worker */
    RTA_AWAIT1_VTASK(sm->v, rta_async1_write(wsock[0], big, BIG, RTA_FOREVER), sm->w);
    atomic_store(&wrote, 1);
    RTA_AWAIT1(&rta_task_awaiter, go, sm->r);
    atomic_store(&past_go, 1);
    RTA_AWAIT1_VTASK(sm->v, rta_async1_read(asock[0], abuf, 1, RTA_FOREVER), sm->r);
    RTA_ASYNC1_RETURN(sm->w == BIG && sm->r == -ECANCELED ? 1 : sm->w != BIG ? -1 : -2);
    RTA_ASYNC1_END();
}

RTA_ASYNC1_METHOD(a_reader, rta_task *);
static void a_reader_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(a_reader, a_sm, sm, m);
    RTA_AWAIT1_YIELD_CFG(false);
    RTA_AWAIT1_VTASK(sm->v, rta_async1_read(bsock[0], bbuf, 1, RTA_FOREVER), sm->r);
    RTA_ASYNC1_RETURN(sm->r);
    RTA_ASYNC1_END();
}

static rta_task *start(bool cont, bool writer)
{
    if (cont)
        return rta_cont_spawn(writer ? c_writer : c_reader, NULL);
    a_sm sm = {.w = 0};
    if (writer) {
        RTA_ASYNC1_START(a_writer, &sm, a_writer_mn);
        return RTA_ASYNC1_TASK(a_writer, &sm);
    }
    RTA_ASYNC1_START(a_reader, &sm, a_reader_mn);
    return RTA_ASYNC1_TASK(a_reader, &sm);
}

static void round_of(bool cont)
{
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, wsock));
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, asock));
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, bsock));
    go = rta_promise_new();
    CHECK(go != NULL);
    atomic_store(&wrote, 0);
    atomic_store(&past_go, 0);
    rta_task *a = start(cont, true);
    CHECK(a != NULL);
    /* Drain the write in pieces (wsock[1] is a plain blocking socket). */
    char *got = malloc(BIG);
    CHECK(got != NULL);
    size_t n = 0;
    while (n < BIG) {
        ssize_t r = read(wsock[1], got + n, BIG - n < PIECE ? BIG - n : PIECE);
        CHECK(r > 0);
        n += (size_t)r;
    }
    CHECK(memcmp(got, big, BIG) == 0);
    free(got);
    for (int i = 0; i < 20000 && !atomic_load(&wrote); i++)
        test_sleep_ms(1);
    CHECK(atomic_load(&wrote));
    rta_task *b = start(cont, false);
    CHECK(b != NULL);
    test_sleep_ms(50); /* B parks in its read, on the record A's write used */
    CHECK(rta_promise_resolve(go, 0));
    for (int i = 0; i < 20000 && !atomic_load(&past_go); i++)
        test_sleep_ms(1);
    CHECK(atomic_load(&past_go));
    test_sleep_ms(50); /* A parks in its read (or its read finds the cancel pending: the same result) */
    CHECK(rta_task_cancel(a));
    CHECK_EQ(iotest_join(a), 1);
    CHECK_EQ(write(bsock[1], "x", 1), 1);
    CHECK_EQ(iotest_join(b), 1); /* not cancelled */
    CHECK_EQ(bbuf[0], 'x');
    rta_task_release(go);
    for (int i = 0; i < 2; i++) {
        CHECK_OK(rta_close(wsock[i]));
        CHECK_OK(rta_close(asock[i]));
        CHECK_OK(rta_close(bsock[i]));
    }
}

int main(void)
{
    iotest_init(1);
    big = malloc(BIG);
    CHECK(big != NULL);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (char)(i * 7 + i / 4096);
    round_of(true);
    printf("cont: ok\n");
    round_of(false);
    printf("async1: ok\n");
    free(big);
    rta_shutdown();
    return 0;
}
