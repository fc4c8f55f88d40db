/* The pooling builder: boxes are reused (hits visible in the stats), the
 * per-method pool bound is honoured (only `size` idle boxes are kept, the
 * rest freed), and a method with the plain value-task builder does not pool. */
#include <rta.h>

#include "check.h"

#define K 6
#define POOL 2
#define SEQ 10

typedef struct g_sm {
    rta_async1_sm hdr;
    rta_task *gate;
    int64_t v;
} g_sm;

#define DEFINE_GATED(NAME, ...)                                                                              \
    RTA_ASYNC1_METHOD(NAME, rta_vtask __VA_ARGS__);                                                          \
    static void NAME##_move_next(rta_async1_sm *m)                                                           \
    {                                                                                                        \
        RTA_ASYNC1_BEGIN(NAME, g_sm, sm, m);                                                                 \
        RTA_AWAIT1(&rta_task_awaiter, sm->gate, sm->v);                                                      \
        RTA_ASYNC1_RETURN(sm->v + 1);                                                                        \
        RTA_ASYNC1_END();                                                                                    \
    }                                                                                                        \
    static rta_vtask NAME(rta_task *gate)                                                                    \
    {                                                                                                        \
        g_sm sm = {.gate = gate};                                                                            \
        RTA_ASYNC1_START(NAME, &sm, NAME##_move_next);                                                       \
        return RTA_ASYNC1_TASK(NAME, &sm);                                                                   \
    }

DEFINE_GATED(pooled, , RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, POOL))
DEFINE_GATED(plain)

/* Runs on the only worker, so every rent and return uses one thread's pool. */
static int64_t root(void *arg)
{
    (void)arg;
    rta_task *p[K];
    rta_vtask vt[K];
    for (int i = 0; i < K; i++) {
        p[i] = rta_promise_new();
        vt[i] = pooled(p[i]);
        CHECK(rta_vtask_is_source(vt[i]));
    }
    for (int i = 0; i < K; i++)
        rta_promise_resolve(p[i], i);
    int64_t sum = 0;
    for (int i = 0; i < K; i++) {
        sum += rta_vtask_await(vt[i]);
        rta_task_release(p[i]);
    }
    for (int i = 0; i < SEQ; i++) {
        rta_task *g = rta_promise_new();
        rta_vtask v = pooled(g);
        rta_promise_resolve(g, 100);
        sum += rta_vtask_await(v);
        rta_task_release(g);
    }
    rta_task *g = rta_promise_new();
    rta_vtask v = plain(g);
    CHECK(!rta_vtask_is_source(v)); /* task-backed: no pooling without the override */
    rta_promise_resolve(g, 1);
    sum += rta_vtask_await(v);
    rta_task_release(g);
    return sum;
}

int main(void)
{
    CHECK(!rta_async1_pooling_switch()); /* ctest does not set it */
    rta_config cfg = {.workers = 1};
    CHECK_OK(rta_init(&cfg));
    rta_task *t = rta_spawn(root, NULL);
    CHECK_EQ(rta_task_wait(t, NULL), (0 + 1 + 2 + 3 + 4 + 5) + K + SEQ * 101 + 2);
    rta_task_release(t);

    /* Live counters are visible while the worker runs... */
    rta_async1_stats st;
    RTA_ASYNC1_STATS(pooled, &st);
    CHECK_EQ(st.heap_moves, K + SEQ);
    rta_shutdown();
    /* ...and kept after its thread flushed them. */
    RTA_ASYNC1_STATS(pooled, &st);
    CHECK_EQ(st.heap_moves, K + SEQ);
    CHECK_EQ(st.pool_misses, K);       /* K boxes alive at once */
    CHECK_EQ(st.pool_drops, K - POOL); /* the bound: only POOL kept */
    CHECK_EQ(st.pool_hits, SEQ);       /* every later call reused one */
    CHECK_EQ(st.pool_returns, POOL + SEQ);
    printf("pool hit rate %.2f\n", (double)st.pool_hits / (double)(st.pool_hits + st.pool_misses));
    RTA_ASYNC1_STATS(plain, &st);
    CHECK_EQ(st.heap_moves, 1);
    CHECK_EQ(st.pool_hits + st.pool_misses + st.pool_returns + st.pool_drops, 0);
    return 0;
}
