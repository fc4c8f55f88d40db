/* Idle compaction's refaults (src/engine/tasklet/compact.c): a compacted
 * tasklet that resumes (its stack copied back in) was not idle for good, so
 * its region waits twice as long before the next compaction, up to 16x the
 * threshold. One task parks, is compacted, resumes and parks again, six
 * times: the k-th compaction may not come before (threshold << min(k, 4))
 * after it parked. Sound under any load: the counter is read before the
 * clock, so a compaction seen with the clock still short of the bound came
 * before it (a slow test only sees it later). Every local survives each
 * copy out and back.
 *
 * The task runs RUN_MS (busy) after each resume before it parks again: idle
 * time counts from the park, not from the resume that armed the worker's
 * checks. The CI's repeat run once saw a compaction 37 ms after a park at a
 * 40 ms threshold, when the thread had been preempted between the two: the
 * check that arming records claimed the region not entered since, though it
 * was entered at that very tick. RUN_MS makes that gap certain; it failed
 * every run before the fix (compact.c, rta__compact_arm). */
#include <rta.h>

#include <stdatomic.h>

#include "check.h"
#include "testutil.h"

#define THRESHOLD_MS 20
#define ROUNDS 6
#define MAX_SHIFT 4 /* RTA__COMPACT_MAX_SHIFT */
#define DEPTH 4
#define BUF 40
#define RUN_MS 15

static rta_task *gates[ROUNDS];
static _Atomic long parked;
static _Atomic uint64_t parked_at_ns;

static void fill(char *b, int depth, int round)
{
    for (int i = 0; i < BUF; i++)
        b[i] = (char)(depth * 31 + round * 7 + i);
}

static int intact(const char *b, int depth, int round)
{
    for (int i = 0; i < BUF; i++)
        if (b[i] != (char)(depth * 31 + round * 7 + i))
            return 0;
    return 1;
}

/* Parks at the bottom of DEPTH frames, each with a buffer and a pointer to
 * its caller's (frames come back to their addresses). */
static TEST_NOINLINE int64_t park(int depth, int round, const char *up)
{
    char mine[BUF];
    fill(mine, depth, round);
    int64_t r;
    if (depth == DEPTH) {
        atomic_store(&parked_at_ns, test_now_ns());
        atomic_fetch_add(&parked, 1);
        r = rta_await(gates[round]);
    } else {
        r = park(depth + 1, round, mine);
    }
    KEEP_FRAME();
    if (!intact(mine, depth, round) || (up && !intact(up, depth - 1, round)))
        return -1000000;
    return r;
}

static int64_t task_fn(void *arg)
{
    (void)arg;
    int64_t sum = 0;
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t until = test_now_ns() + (uint64_t)RUN_MS * 1000000u;
        while (test_now_ns() < until) {
        }
        int64_t r = park(1, round, NULL);
        if (r < 0)
            return r;
        sum += r;
    }
    return sum;
}

static rta_stats stats(void)
{
    rta_stats st;
    rta_stats_get(&st);
    return st;
}

int main(void)
{
    /* One worker and plenty of regions: every copy is a compaction's. */
    CHECK_OK(
        rta_init(&(rta_config){.workers = 1, .regions_per_worker = 64, .idle_compact_ms = THRESHOLD_MS}));
    for (int i = 0; i < ROUNDS; i++) {
        gates[i] = rta_promise_new();
        CHECK(gates[i]);
    }
    rta_task *t = rta_spawn(task_fn, NULL);
    CHECK(t);
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t deadline = test_now_ns() + 120ull * 1000000000ull;
        while (atomic_load(&parked) < round + 1) {
            CHECK(test_now_ns() < deadline);
            test_sleep_ms(1);
        }
        uint64_t since = atomic_load(&parked_at_ns);
        uint64_t bound = (uint64_t)THRESHOLD_MS * 1000000u << (round < MAX_SHIFT ? round : MAX_SHIFT);
        rta_stats before = stats();
        for (;;) {
            uint64_t c = stats().compactions;
            uint64_t now = test_now_ns();
            if (c > before.compactions) {
                /* Compacted before now: not before the round's threshold. */
                if (now < since + bound)
                    fprintf(stderr, "round %d: compacted %.1f ms after parking, threshold %.0f ms\n", round,
                            (double)(now - since) / 1e6, (double)bound / 1e6);
                CHECK(now >= since + bound);
                break;
            }
            CHECK(now < deadline);
            test_sleep_ms(1);
        }
        CHECK(rta_promise_resolve(gates[round], round + 1));
        /* Its resume copies it back in: the refault that lengthens the next wait. */
        uint64_t restored_deadline = test_now_ns() + 120ull * 1000000000ull;
        while (stats().resumes_restored == before.resumes_restored) {
            CHECK(test_now_ns() < restored_deadline);
            test_sleep_ms(1);
        }
        printf("round %d: compacted after >= %.0f ms\n", round, (double)bound / 1e6);
    }
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(t, &err), ROUNDS * (ROUNDS + 1) / 2);
    CHECK(err == NULL);
    rta_task_release(t);
    for (int i = 0; i < ROUNDS; i++)
        rta_task_release(gates[i]);
    rta_shutdown();
    return 0;
}
