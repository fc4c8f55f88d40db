/* Out of memory when a suspended task must come back to its region and the
 * region's occupant has to be copied out first: the resume is retried (the
 * process used to abort, issue 20), both tasks' frames survive intact, and
 * every task finishes once memory returns. One worker, one region, so a
 * resume always has to evict. */
#include <errno.h>
#include <rta.h>

#include "check.h"
#include "engine/tasklet/tasklet.h"

/* Awaits arg and checks its own frame survived the round trips. */
static int64_t parked(void *arg)
{
    char pattern[2048];
    memset(pattern, (int)((uintptr_t)arg & 0x7f) | 1, sizeof pattern);
    int fill = pattern[0];
    int64_t v = rta_await((rta_task *)arg);
    for (size_t i = 0; i < sizeof pattern; i++)
        CHECK_EQ(pattern[i], fill);
    return v + 1;
}

static void wait_suspensions(uint64_t n)
{
    rta_stats st;
    do
        rta_stats_get(&st);
    while (st.suspensions < n);
}

int main(void)
{
    enum { FAILURES = 5 };
    /* The resumes must evict: no idle compaction first. */
    rta_config cfg = {.workers = 1, .regions_per_worker = 1, .idle_compact_ms = RTA_IDLE_COMPACT_OFF};
    CHECK_OK(rta_init(&cfg));
    rta_task *gate_a = rta_promise_new(), *gate_c = rta_promise_new();
    CHECK(gate_a && gate_c);
    rta_task *a = rta_spawn(parked, gate_a);
    CHECK(a);
    wait_suspensions(1);
    /* c takes the only region: a is copied out (memory is there). */
    rta_task *c = rta_spawn(parked, gate_c);
    CHECK(c);
    wait_suspensions(2);

    /* a's resume must copy c out: the first FAILURES tries find no memory. */
    atomic_store(&rta__tasklet_fail_evictions, FAILURES);
    CHECK(rta_promise_resolve(gate_a, 41));
    CHECK_EQ(rta_task_wait(a, NULL), 42);
    /* Every injected failure was met (the resume was retried past them). */
    CHECK_EQ(atomic_load(&rta__tasklet_fail_evictions), 0);
    CHECK_EQ(rta_task_status(c), RTA_PENDING);

    CHECK(rta_promise_resolve(gate_c, 9));
    CHECK_EQ(rta_task_wait(c, NULL), 10);
    rta_stats st;
    rta_stats_get(&st);
    CHECK(st.evictions >= 2 && st.resumes_restored >= 2);
    rta_task_release(a);
    rta_task_release(c);
    rta_task_release(gate_a);
    rta_task_release(gate_c);
    rta_shutdown();
    return 0;
}
