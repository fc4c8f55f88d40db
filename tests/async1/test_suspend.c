/* Suspension: the state machine moves to the heap exactly once, however many
 * times it suspends, and that move is the only allocation of the call
 * (default and value-task builders); resumption installs the context captured
 * at the await and the method's boundary restores the caller's. */
#include <rta.h>

#include "alloc_hook.h" /* tests/ */
#include "check.h"

static rta_task *g_p[3];
static void *g_seen_locals[3];
static rta_local *g_key;
static int g_set_local; /* setting a local allocates a map: only when asked */

typedef struct wait3_sm {
    rta_async1_sm hdr;
    int i;
    int64_t sum, v;
} wait3_sm;

#define DEFINE_WAIT3(NAME, RET, ...)                                                                         \
    RTA_ASYNC1_METHOD(NAME, RET __VA_ARGS__);                                                                \
    static void NAME##_move_next(rta_async1_sm *m)                                                           \
    {                                                                                                        \
        RTA_ASYNC1_BEGIN(NAME, wait3_sm, sm, m);                                                             \
        /* A change of async-local state inside the method stays inside it. */                               \
        if (g_set_local)                                                                                     \
            rta_local_set(g_key, (void *)(uintptr_t)0xA1);                                                   \
        for (sm->i = 0; sm->i < 3; sm->i++) {                                                                \
            RTA_AWAIT1(&rta_task_awaiter, g_p[sm->i], sm->v);                                                \
            g_seen_locals[sm->i] = rta_local_get(g_key);                                                     \
            sm->sum += sm->v;                                                                                \
        }                                                                                                    \
        RTA_ASYNC1_RETURN(sm->sum);                                                                          \
        RTA_ASYNC1_END();                                                                                    \
    }                                                                                                        \
    static RET NAME(void)                                                                                    \
    {                                                                                                        \
        wait3_sm sm = {.sum = 0};                                                                            \
        RTA_ASYNC1_START(NAME, &sm, NAME##_move_next);                                                       \
        return RTA_ASYNC1_TASK(NAME, &sm);                                                                   \
    }

DEFINE_WAIT3(twait3, rta_task *)
DEFINE_WAIT3(vwait3, rta_vtask)

static void new_promises(void)
{
    for (int i = 0; i < 3; i++)
        g_p[i] = rta_promise_new();
}

static void resolve(void)
{
    for (int i = 0; i < 3; i++)
        rta_promise_resolve(g_p[i], i + 1);
}

/* After the method finished with them. */
static void free_promises(void)
{
    for (int i = 0; i < 3; i++)
        rta_task_release(g_p[i]);
}

int main(void)
{
    alloc_counting(); /* starts counting (ASan hooks) before any figure is taken */
    rta_config cfg = {.workers = 2};
    CHECK_OK(rta_init(&cfg));
    void *outer = (void *)(uintptr_t)0x55;
    g_key = rta_local_new(NULL);
    CHECK(g_key != NULL);
    rta_local_set(g_key, outer);

    /* Warm-up (one-time costs out of the way), and the context rules: the
     * method's local is seen after each resumption, the caller's is back
     * when the method returns to it. */
    new_promises();
    g_set_local = 1;
    rta_task *t = twait3();
    CHECK(rta_local_get(g_key) == outer);
    resolve();
    CHECK_EQ(rta_task_wait(t, NULL), 6);
    rta_task_release(t);
    free_promises();
    for (int i = 0; i < 3; i++)
        CHECK(g_seen_locals[i] == (void *)(uintptr_t)0xA1); /* captured at each await */
    g_set_local = 0;

    /* Default builder: suspends three times, one heap move, one allocation. */
    new_promises();
    rta_async1_stats st0, st1;
    RTA_ASYNC1_STATS(twait3, &st0);
    uint64_t a0 = allocs();
    t = twait3();
    CHECK_ALLOCS(allocs() - a0, 1);
    CHECK(rta_local_get(g_key) == outer); /* restored at the boundary */
    CHECK_EQ(rta_task_status(t), RTA_PENDING);
    uint64_t a1 = allocs();
    resolve();
    CHECK_EQ(rta_task_wait(t, NULL), 6);
    CHECK_ALLOCS(allocs() - a1, 0); /* resumptions allocate nothing */
    RTA_ASYNC1_STATS(twait3, &st1);
    CHECK_EQ(st1.heap_moves - st0.heap_moves, 1);
    for (int i = 0; i < 3; i++)
        CHECK(g_seen_locals[i] == outer); /* flowed in from the caller */
    rta_task_release(t);
    free_promises();

    /* Value-task builder: the same; the value task is backed by the box's task. */
    new_promises();
    RTA_ASYNC1_STATS(vwait3, &st0);
    a0 = allocs();
    rta_vtask vt = vwait3();
    CHECK_ALLOCS(allocs() - a0, 1);
    CHECK(!rta_vtask_is_immediate(vt) && !rta_vtask_is_source(vt));
    CHECK_EQ(rta_vtask_status(vt), RTA_PENDING);
    resolve();
    rta_task *vtt = rta_vtask_as_task(vt); /* task-backed: the same task, no allocation */
    CHECK_EQ(rta_task_wait(vtt, NULL), 6);
    rta_task_release(vtt);
    free_promises();
    RTA_ASYNC1_STATS(vwait3, &st1);
    CHECK_EQ(st1.heap_moves - st0.heap_moves, 1);

    CHECK(rta_local_get(g_key) == outer);
    rta_local_set(g_key, NULL);
    rta_shutdown();
    rta_local_free(g_key);
    return 0;
}
