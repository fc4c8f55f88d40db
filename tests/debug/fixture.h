/*
 * A fixed set of suspended tasks on every engine, for the dump test and the
 * gdb test program: each engine runs a chain root -> mid -> leaf whose leaf
 * awaits a promise, so its async stack is known by name and by line
 * (FIX_LINE_* are the lines of the awaiting calls). fixture_start suspends
 * them all; fixture_finish resolves the promises and releases everything.
 */
#ifndef RTA_TEST_DEBUG_FIXTURE_H
#define RTA_TEST_DEBUG_FIXTURE_H

#include <rta.h>

#include <time.h>

#include "check.h"
#include "testutil.h"

typedef struct fixture {
    rta_task *p_tasklet, *p_cont, *p_async1; /* the promises the leaves await */
    rta_task *tasklet, *tasklet_waiter, *cont, *async1_outer, *done;
} fixture;

static fixture FX;

/* ---- tasklet: fx_t_root -> fx_t_mid -> fx_t_leaf awaits FX.p_tasklet ---- */
static TEST_NOINLINE int64_t fx_t_leaf(int64_t x)
{
    int64_t v = rta_await(FX.p_tasklet); /* FIX_LINE_T_LEAF */
    KEEP_FRAME();
    return v + x;
}
static TEST_NOINLINE int64_t fx_t_mid(int64_t x)
{
    int64_t v = fx_t_leaf(x + 1); /* FIX_LINE_T_MID */
    KEEP_FRAME();
    return v;
}
static TEST_NOINLINE int64_t fx_t_root(void *arg)
{
    int64_t v = fx_t_mid((int64_t)(intptr_t)arg); /* FIX_LINE_T_ROOT */
    KEEP_FRAME();
    return v;
}
/* Awaits fx_t_root's task: links "awaited by". */
static TEST_NOINLINE int64_t fx_t_waiter(void *arg)
{
    (void)arg;
    int64_t v = rta_await(FX.tasklet); /* FIX_LINE_T_WAITER */
    KEEP_FRAME();
    return v;
}
static TEST_NOINLINE int64_t fx_t_done(void *arg)
{
    (void)arg;
    rta_yield(); /* suspends once: registered, then completes */
    return 42;
}

/* ---- cont: fx_c_root -> fx_c_mid -> fx_c_leaf awaits FX.p_cont ---- */
RTA_CONT_FN(fx_c_leaf, int64_t, x)
{
    RTA_CONT_FRAME(fx_c_leaf, int64_t x; int64_t v;); /* FIX_LINE_C_FRAME */
    F.x = x;
    RTA_CONT_AWAIT_TASK(F.v, FX.p_cont); /* FIX_LINE_C_LEAF */
    RTA_CONT_RETURN(F.v + F.x);
}
RTA_CONT_FN(fx_c_mid, int64_t, x)
{
    RTA_CONT_FRAME(fx_c_mid, int64_t v;);
    RTA_CONT_CALL(F.v, fx_c_leaf, x + 1); /* FIX_LINE_C_MID */
    RTA_CONT_RETURN(F.v);
}
RTA_CONT_FN(fx_c_root, void *, arg)
{
    RTA_CONT_FRAME(fx_c_root, int64_t v;);
    RTA_CONT_CALL(F.v, fx_c_mid, (int64_t)(intptr_t)arg); /* FIX_LINE_C_ROOT */
    RTA_CONT_RETURN(F.v);
}

/* ---- async1: fx_a_outer awaits fx_a_inner's task, which awaits FX.p_async1 ---- */
typedef struct fx_a_sm {
    rta_async1_sm hdr;
    int64_t v;
    rta_task *inner;
} fx_a_sm;

RTA_ASYNC1_METHOD(fx_a_inner, rta_task *);
static void fx_a_inner_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(fx_a_inner, fx_a_sm, sm, m);
    RTA_AWAIT1(&rta_task_awaiter, FX.p_async1, sm->v); /* FIX_LINE_A_INNER */
    RTA_ASYNC1_RETURN(sm->v + 1);
    RTA_ASYNC1_END();
}
static rta_task *fx_a_inner(void)
{
    fx_a_sm sm = {.v = 0};
    RTA_ASYNC1_START(fx_a_inner, &sm, fx_a_inner_move_next);
    return RTA_ASYNC1_TASK(fx_a_inner, &sm);
}

RTA_ASYNC1_METHOD(fx_a_outer, rta_task *);
static void fx_a_outer_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(fx_a_outer, fx_a_sm, sm, m);
    sm->inner = fx_a_inner();
    RTA_AWAIT1(&rta_task_awaiter, sm->inner, sm->v); /* FIX_LINE_A_OUTER */
    rta_task_release(sm->inner);
    RTA_ASYNC1_RETURN(sm->v + 1);
    RTA_ASYNC1_END();
}
static rta_task *fx_a_outer(void)
{
    fx_a_sm sm = {.v = 0};
    RTA_ASYNC1_START(fx_a_outer, &sm, fx_a_outer_move_next);
    return RTA_ASYNC1_TASK(fx_a_outer, &sm);
}

/* The line of the first line containing `marker` in this file, for the
 * checks of file:line (counted from the source the test was built from). */
static int fixture_line(const char *path, const char *marker)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char buf[512];
    int n = 0;
    while (fgets(buf, sizeof buf, f)) {
        n++;
        if (strstr(buf, marker) && !strstr(buf, "fixture_line")) {
            fclose(f);
            return n;
        }
    }
    fclose(f);
    return -1;
}

static void fixture_wait_suspensions(uint64_t n)
{
    for (;;) {
        rta_stats st;
        rta_stats_get(&st);
        if (st.suspensions >= n)
            return;
        test_sleep_ms(1);
    }
}

/* Suspends everything; the runtime must be running. */
static void fixture_start(void)
{
    FX.p_tasklet = rta_promise_new();
    FX.p_cont = rta_promise_new();
    FX.p_async1 = rta_promise_new();
    CHECK(FX.p_tasklet && FX.p_cont && FX.p_async1);
    FX.done = rta_spawn(fx_t_done, NULL);
    CHECK(FX.done);
    CHECK_EQ(rta_task_wait(FX.done, NULL), 42);
    FX.tasklet = rta_spawn(fx_t_root, (void *)(intptr_t)1);
    CHECK(FX.tasklet);
    fixture_wait_suspensions(2); /* fx_t_done's yield and fx_t_leaf's await */
    FX.tasklet_waiter = rta_spawn(fx_t_waiter, NULL);
    CHECK(FX.tasklet_waiter);
    fixture_wait_suspensions(3);
    /* These run here until their first suspension: registered on return. */
    FX.cont = rta_cont_call(fx_c_root, (void *)(intptr_t)10);
    CHECK(FX.cont);
    FX.async1_outer = fx_a_outer();
    CHECK(FX.async1_outer);
}

static void fixture_finish(void)
{
    CHECK(rta_promise_resolve(FX.p_tasklet, 100));
    CHECK(rta_promise_resolve(FX.p_cont, 200));
    CHECK(rta_promise_resolve(FX.p_async1, 300));
    CHECK_EQ(rta_task_wait(FX.tasklet, NULL), 102);
    CHECK_EQ(rta_task_wait(FX.tasklet_waiter, NULL), 102);
    CHECK_EQ(rta_task_wait(FX.cont, NULL), 211);
    CHECK_EQ(rta_task_wait(FX.async1_outer, NULL), 302);
    rta_task *all[] = {FX.p_tasklet,      FX.p_cont, FX.p_async1,     FX.tasklet,
                       FX.tasklet_waiter, FX.cont,   FX.async1_outer, FX.done};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        rta_task_release(all[i]);
}

#endif
