/* Synchronous completion: value-task builders allocate nothing; the default
 * builder allocates only for results outside its task cache; the state
 * machine never leaves the caller's stack (no heap move is counted). None of
 * this needs the runtime to be running. */
#include <rta.h>

#include "alloc_hook.h" /* tests/ */
#include "check.h"

typedef struct fib_sm {
    rta_async1_sm hdr;
    int n;        /* argument */
    int64_t a, b; /* hoisted locals */
    rta_vtask aw; /* awaiter */
    rta_task *awt;
} fib_sm;

/* fib with the value-task builder (the default for rta_vtask). */
RTA_ASYNC1_METHOD(vfib, rta_vtask);
static void vfib_move_next(rta_async1_sm *m);
static rta_vtask vfib(int n)
{
    fib_sm sm;
    sm.n = n;
    RTA_ASYNC1_START(vfib, &sm, vfib_move_next);
    return RTA_ASYNC1_TASK(vfib, &sm);
}
static void vfib_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(vfib, fib_sm, sm, m);
    if (sm->n < 2)
        RTA_ASYNC1_RETURN(sm->n);
    RTA_AWAIT1_VTASK(sm->aw, vfib(sm->n - 1), sm->a);
    RTA_AWAIT1_VTASK(sm->aw, vfib(sm->n - 2), sm->b);
    RTA_ASYNC1_RETURN(sm->a + sm->b);
    RTA_ASYNC1_END();
}

/* The same with the pooling builder, by per-method override. */
RTA_ASYNC1_METHOD(pfib, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, 8));
static void pfib_move_next(rta_async1_sm *m);
static rta_vtask pfib(int n)
{
    fib_sm sm;
    sm.n = n;
    RTA_ASYNC1_START(pfib, &sm, pfib_move_next);
    return RTA_ASYNC1_TASK(pfib, &sm);
}
static void pfib_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(pfib, fib_sm, sm, m);
    if (sm->n < 2)
        RTA_ASYNC1_RETURN(sm->n);
    RTA_AWAIT1_VTASK(sm->aw, pfib(sm->n - 1), sm->a);
    RTA_AWAIT1_VTASK(sm->aw, pfib(sm->n - 2), sm->b);
    RTA_ASYNC1_RETURN(sm->a + sm->b);
    RTA_ASYNC1_END();
}

/* And with the default task builder (rta_task *). */
RTA_ASYNC1_METHOD(tfib, rta_task *);
static void tfib_move_next(rta_async1_sm *m);
static rta_task *tfib(int n)
{
    fib_sm sm;
    sm.n = n;
    RTA_ASYNC1_START(tfib, &sm, tfib_move_next);
    return RTA_ASYNC1_TASK(tfib, &sm);
}
static void tfib_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(tfib, fib_sm, sm, m);
    if (sm->n < 2)
        RTA_ASYNC1_RETURN(sm->n);
    RTA_AWAIT1_TASK(sm->awt, tfib(sm->n - 1), sm->a);
    RTA_AWAIT1_TASK(sm->awt, tfib(sm->n - 2), sm->b);
    RTA_ASYNC1_RETURN(sm->a + sm->b);
    RTA_ASYNC1_END();
}

int main(void)
{
    alloc_counting(); /* starts counting (ASan hooks) before any figure is taken */
    /* Warm up once: first calls check the builders and read the switch. */
    rta_vtask w1 = vfib(2), w2 = pfib(2);
    CHECK(rta_vtask_is_immediate(w1) && rta_vtask_is_immediate(w2));
    rta_task_release(tfib(2));

    uint64_t before = allocs();
    int64_t sum = 0;
    for (int i = 0; i < 100; i++) {
        rta_vtask v = vfib(15);
        CHECK(rta_vtask_is_immediate(v));
        CHECK_EQ(rta_vtask_status(v), RTA_SUCCEEDED);
        sum += rta_vtask_wait(v, NULL);
        rta_vtask p = pfib(15);
        CHECK(rta_vtask_is_immediate(p));
        sum += rta_vtask_await(p); /* immediate: no task needed */
    }
    CHECK_ALLOCS(allocs() - before, 0);
    CHECK_EQ(sum, 200 * 610);

    /* Default builder: calls returning -1..8 use the task cache; fib(15)'s
     * calls with n >= 7 (results >= 13) each allocate a completed task. */
    before = allocs();
    rta_task *t = tfib(6); /* fib(6) = 8: every call cached */
    CHECK_ALLOCS(allocs() - before, 0);
    CHECK_EQ(rta_task_status(t), RTA_SUCCEEDED);
    CHECK_EQ(rta_task_value(t), 8);
    rta_task_release(t);
    before = allocs();
    t = tfib(15);
    CHECK_EQ(rta_task_value(t), 610);
    rta_task_release(t);
    /* calls with n in 7..15: C(n) = fib calls of fib(n) with n>=7 */
    long calls_ge7 = 0;
    {
        /* count calls of fib(15) with argument >= 7 */
        long cnt[16] = {0};
        cnt[15] = 1;
        for (int n = 15; n >= 2; n--) {
            cnt[n - 1] += cnt[n];
            cnt[n - 2] += cnt[n];
        }
        for (int n = 7; n <= 15; n++)
            calls_ge7 += cnt[n];
    }
    CHECK_ALLOCS(allocs() - before, calls_ge7);

    /* Nothing went to the heap. */
    rta_async1_stats st;
    RTA_ASYNC1_STATS(vfib, &st);
    CHECK_EQ(st.heap_moves, 0);
    RTA_ASYNC1_STATS(pfib, &st);
    CHECK_EQ(st.heap_moves + st.pool_hits + st.pool_misses, 0);
    RTA_ASYNC1_STATS(tfib, &st);
    CHECK_EQ(st.heap_moves, 0);
    return 0;
}
