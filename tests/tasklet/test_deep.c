/* Deep recursion: depth 1,000 with a yield at every level on the way down
 * and on the way up, while another deep task shares the worker's only region
 * (so each yield evicts and restores ~1,000 frames). */
#include <rta.h>

#include "check.h"
#include "testutil.h"

#define DEPTH 1000

static TEST_NOINLINE int64_t recurse(int64_t level, int64_t salt)
{
    volatile int64_t mine = level * salt; /* must survive every copy */
    int64_t *p = (int64_t *)&mine;
    rta_yield();
    int64_t below = level < DEPTH ? recurse(level + 1, salt) : 0;
    rta_yield();
    CHECK_EQ(*p, level * salt);
    KEEP_FRAME();
    return below + level;
}

static int64_t task_fn(void *arg)
{
    return recurse(1, (int64_t)(intptr_t)arg);
}

/* Spawned from a task on the same (only) worker, the deep tasks are all
 * runnable before either starts, whatever the timing of outside threads. */
static int64_t root_fn(void *arg)
{
    int ntasks = (int)(intptr_t)arg;
    rta_task *ts[4];
    for (int i = 0; i < ntasks; i++)
        CHECK((ts[i] = rta_spawn(task_fn, (void *)(intptr_t)(i + 3))) != NULL);
    for (int i = 0; i < ntasks; i++) {
        CHECK_EQ(rta_await(ts[i]), (int64_t)DEPTH * (DEPTH + 1) / 2);
        rta_task_release(ts[i]);
    }
    return ntasks;
}

static void run(unsigned regions, int ntasks)
{
    /* Counts copies: no idle compaction (slow under valgrind) adding some. */
    rta_config cfg = {.workers = 1, .regions_per_worker = regions, .idle_compact_ms = RTA_IDLE_COMPACT_OFF};
    CHECK_OK(rta_init(&cfg));
    rta_task *root = rta_spawn(root_fn, (void *)(intptr_t)ntasks);
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(root, &err), ntasks);
    CHECK(err == NULL);
    rta_task_release(root);
    rta_stats st;
    rta_stats_get(&st);
    printf("regions=%u tasks=%d: suspensions=%llu restored=%llu resident=%llu bytes_copied=%llu "
           "frames_captured=%llu\n",
           regions, ntasks, (unsigned long long)st.suspensions, (unsigned long long)st.resumes_restored,
           (unsigned long long)st.resumes_resident, (unsigned long long)st.bytes_copied,
           (unsigned long long)st.frames_captured);
    fflush(stdout);
    CHECK(st.suspensions >= (uint64_t)ntasks * 2 * DEPTH);
    if ((int)regions > ntasks) /* room for the root and every deep task: never a copy */
        CHECK_EQ(st.resumes_restored, 0);
    if (ntasks > (int)regions) {
        CHECK(st.resumes_restored > 0);
        /* Evictions deep down walk hundreds of frames. */
        CHECK(st.frames_captured > (uint64_t)DEPTH);
    }
    rta_shutdown();
}

int main(void)
{
    run(8, 1); /* alone: every resume is resident */
    run(1, 2); /* two deep tasks on one region */
    return 0;
}
