/* Out of memory when a region must be freed for a new task: the new task
 * faults with -ENOMEM and a message; the suspended occupant is untouched and
 * finishes normally; the runtime goes on working afterwards. */
#include <errno.h>
#include <rta.h>

#include "check.h"
#include "engine/tasklet/tasklet.h"

static int64_t parked(void *arg)
{
    char pattern[2048];
    memset(pattern, 0x5a, sizeof pattern);
    int64_t v = rta_await((rta_task *)arg);
    for (size_t i = 0; i < sizeof pattern; i++)
        CHECK_EQ(pattern[i], 0x5a);
    return v + 1;
}

static int64_t trivial(void *arg)
{
    return (int64_t)(intptr_t)arg;
}

int main(void)
{
    /* The start must evict the parked task: no idle compaction first. */
    rta_config cfg = {.workers = 1, .regions_per_worker = 1, .idle_compact_ms = RTA_IDLE_COMPACT_OFF};
    CHECK_OK(rta_init(&cfg));
    rta_task *gate = rta_promise_new();
    rta_task *a = rta_spawn(parked, gate);
    /* Wait until a holds the only region, suspended. */
    rta_stats st;
    do
        rta_stats_get(&st);
    while (st.suspensions < 1);

    atomic_store(&rta__tasklet_fail_evictions, 1);
    rta_task *b = rta_spawn(trivial, (void *)7);
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(b, &err), 0);
    CHECK_EQ(rta_task_status(b), RTA_FAULTED);
    CHECK_EQ(rta_error_code(err), -ENOMEM);
    CHECK(strstr(rta_error_message(err), "could not start") != NULL);
    rta_error_free(err);
    rta_task_release(b);
    CHECK_EQ(rta_task_status(a), RTA_PENDING);
    atomic_store(&rta__tasklet_fail_evictions, 0);

    /* With memory back, a new task evicts a and both finish. */
    rta_task *c = rta_spawn(trivial, (void *)9);
    CHECK_EQ(rta_task_wait(c, NULL), 9);
    rta_task_release(c);
    rta_promise_resolve(gate, 41);
    CHECK_EQ(rta_task_wait(a, NULL), 42);
    rta_stats_get(&st);
    CHECK(st.evictions >= 1 && st.resumes_restored >= 1);
    rta_task_release(a);
    rta_task_release(gate);
    rta_shutdown();
    return 0;
}
