/* errno is a task's own across a suspension, on every engine (issue 15).
 * errno is the thread's, and while a task is suspended other tasks (and the
 * worker loop) run on that thread and change it; cont roots and async1 boxes
 * may also resume on another worker. The runtime keeps each task's value at
 * its await and puts it back at the resume.
 *
 * Part 1, deterministic (one worker): a task of each engine sets errno,
 * spawns a tasklet that sets errno to something else and resolves a promise,
 * and awaits that promise: the await suspends (the tasklet cannot run
 * before), the tasklet runs on the same thread, then the task resumes and
 * must see its own value. Before the fix every engine saw the tasklet's.
 *
 * Part 2, with migration (three workers): tasks of every engine set a new
 * value before each of many yields, sleeps and awaits of errno-clobbering
 * tasklets, and check it after each. */
#include <rta.h>

#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "testutil.h"

#define MINE 1001
#define THEIRS 2002

static void expect_errno(const char *engine, int want, long where)
{
    int got = errno;
    if (got != want) {
        fprintf(stderr, "%s engine: errno after a suspension is %d, expected the task's own %d (at %ld)\n",
                engine, got, want, where);
        abort();
    }
}

/* A value per task and step, never 0 and never a clobberer's. */
static int val(long id, long i)
{
    return (int)(100000 + (id * 7919 + i) % 1000000);
}

/* ---- part 1 ---------------------------------------------------------------------------- */

static int64_t clobber_resolve(void *p)
{
    errno = THEIRS;
    CHECK(rta_promise_resolve(p, 5));
    errno = THEIRS;
    return 0;
}

/* The tasklet that clobbers errno on its worker while the awaiter waits. */
static rta_task *spawn_clobberer(rta_task *p)
{
    rta_task *b = rta_spawn(clobber_resolve, p);
    CHECK(b != NULL);
    CHECK_EQ(rta_task_status(p), RTA_PENDING); /* so the await below suspends */
    return b;
}

static int64_t t_clobbered(void *p)
{
    rta_task *b = spawn_clobberer(p);
    errno = MINE;
    int64_t v = rta_await(p);
    expect_errno("tasklet", MINE, 0);
    rta_task_release(b);
    return v;
}

RTA_CONT_FN(c_clobbered, void *, arg)
{
    RTA_CONT_FRAME(c_clobbered, rta_task * p; rta_task * b; int64_t v;);
    F.p = arg;
    F.b = spawn_clobberer(F.p);
    errno = MINE;
    RTA_CONT_AWAIT_TASK(F.v, F.p);
    expect_errno("cont", MINE, 0);
    rta_task_release(F.b);
    RTA_CONT_RETURN(F.v);
}

typedef struct clob_sm {
    rta_async1_sm hdr;
    rta_task *p, *b;
    int64_t v;
} clob_sm;

RTA_ASYNC1_METHOD(a_clobbered, rta_task *);
static void a_clobbered_mn(rta_async1_sm *m);
static rta_task *a_clobbered(rta_task *p)
{
    clob_sm sm = {.p = p};
    RTA_ASYNC1_START(a_clobbered, &sm, a_clobbered_mn);
    return RTA_ASYNC1_TASK(a_clobbered, &sm);
}
static void a_clobbered_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(a_clobbered, clob_sm, sm, m);
    sm->b = spawn_clobberer(sm->p);
    errno = MINE;
    RTA_AWAIT1(&rta_task_awaiter, sm->p, sm->v);
    expect_errno("async1", MINE, 0);
    rta_task_release(sm->b);
    RTA_ASYNC1_RETURN(sm->v);
    RTA_ASYNC1_END();
}

/* Starts the async1 method on a worker, so that its clobberer cannot run
 * before its await (one worker: it runs when this tasklet awaits). */
static int64_t a_driver(void *p)
{
    rta_task *t = a_clobbered(p);
    CHECK(t != NULL);
    return rta_await_release(t);
}

static void part1(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 1}));
    for (int engine = 0; engine < 3; engine++) {
        rta_task *p = rta_promise_new();
        CHECK(p != NULL);
        rta_task *t = engine == 0   ? rta_spawn(t_clobbered, p)
                      : engine == 1 ? rta_cont_spawn(c_clobbered, p)
                                    : rta_spawn(a_driver, p);
        CHECK(t != NULL);
        rta_error *err = NULL;
        CHECK_EQ(rta_task_wait(t, &err), 5);
        CHECK(err == NULL);
        rta_task_release(t);
        rta_task_release(p);
    }
    rta_shutdown();
}

/* ---- part 2 ---------------------------------------------------------------------------- */

static long steps;

static int64_t clobber(void *arg)
{
    (void)arg;
    errno = THEIRS;
    rta_yield();
    errno = THEIRS + 1;
    return 1;
}

static int64_t t_loop(void *arg)
{
    long id = (long)(intptr_t)arg;
    for (long i = 0; i < steps; i++) {
        errno = val(id, i);
        switch (i % 8) {
        case 7:
            rta_sleep_ms(1);
            break;
        case 1:
        case 3:
        case 5:
            rta_yield();
            break;
        default: {
            rta_task *c = rta_spawn(clobber, NULL);
            CHECK(c != NULL);
            errno = val(id, i);
            CHECK_EQ(rta_await_release(c), 1);
        }
        }
        expect_errno("tasklet", val(id, i), i);
    }
    return 0;
}

RTA_CONT_FN(c_loop, void *, arg)
{
    RTA_CONT_FRAME(c_loop, long id; long i; rta_task * c; int64_t v;);
    F.id = (long)(intptr_t)arg;
    for (F.i = 0; F.i < steps; F.i++) {
        errno = val(F.id, F.i);
        if (F.i % 8 == 7) {
            RTA_CONT_SLEEP_MS(1);
        } else if (F.i % 2 == 1) {
            RTA_CONT_YIELD();
        } else {
            F.c = rta_spawn(clobber, NULL);
            CHECK(F.c != NULL);
            errno = val(F.id, F.i);
            RTA_CONT_AWAIT_TASK_RELEASE(F.v, F.c);
            CHECK_EQ(F.v, 1);
        }
        expect_errno("cont", val(F.id, F.i), F.i);
    }
    RTA_CONT_RETURN(0);
}

typedef struct loop_sm {
    rta_async1_sm hdr;
    long id, i;
    rta_task *slot;
    int64_t v;
} loop_sm;

RTA_ASYNC1_METHOD(a_loop, rta_task *);
static void a_loop_mn(rta_async1_sm *m);
static rta_task *a_loop(long id)
{
    loop_sm sm = {.id = id};
    RTA_ASYNC1_START(a_loop, &sm, a_loop_mn);
    return RTA_ASYNC1_TASK(a_loop, &sm);
}
static void a_loop_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(a_loop, loop_sm, sm, m);
    for (sm->i = 0; sm->i < steps; sm->i++) {
        errno = val(sm->id, sm->i);
        if (sm->i % 2 == 1) {
            RTA_AWAIT1_YIELD();
        } else {
            RTA_AWAIT1_TASK(sm->slot, rta_spawn(clobber, NULL), sm->v);
            CHECK_EQ(sm->v, 1);
        }
        expect_errno("async1", val(sm->id, sm->i), sm->i);
    }
    RTA_ASYNC1_RETURN(0);
    RTA_ASYNC1_END();
}

static void part2(void)
{
    long per_engine = test_scaled(48, 3);
    steps = test_scaled(240, 16);
    CHECK_OK(rta_init(&(rta_config){.workers = 3}));
    rta_task *ts[3 * 48];
    long n = 0;
    for (long k = 0; k < per_engine; k++) {
        ts[n++] = rta_spawn(t_loop, (void *)(intptr_t)(3 * k));
        ts[n++] = rta_cont_spawn(c_loop, (void *)(intptr_t)(3 * k + 1));
        ts[n++] = a_loop(3 * k + 2); /* started here, resumed on the workers */
    }
    for (long k = 0; k < n; k++) {
        CHECK(ts[k] != NULL);
        rta_error *err = NULL;
        CHECK_EQ(rta_task_wait(ts[k], &err), 0);
        CHECK(err == NULL);
        rta_task_release(ts[k]);
    }
    rta_shutdown();
}

int main(void)
{
    part1();
    part2();
    return 0;
}
