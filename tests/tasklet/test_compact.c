/* Idle compaction (docs/tasklet.md, src/engine/tasklet/compact.c): tasks
 * parked past the idle threshold, or past the resident budget, have their
 * stacks copied out and their regions' pages given back, and come back with
 * every local intact at its old address; a task whose stack the blocking
 * pool writes into while it waits is left resident; with both off nothing
 * is compacted. Counts come from rta_stats.compactions, never from timing:
 * the waits poll the counter (bounded, so a compaction that never comes
 * fails instead of hanging). */
#include <rta.h>

#include <errno.h>
#include <stdatomic.h>

#include "check.h"
#include "testutil.h"

#define DEPTH 10
#define BUF 48

static rta_task *gate;
static _Atomic long parked;

static void fill(char *b, int64_t id, int depth)
{
    for (int i = 0; i < BUF; i++)
        b[i] = (char)(id * 7 + depth * 13 + i);
}

static int check_buf(const char *b, int64_t id, int depth)
{
    for (int i = 0; i < BUF; i++)
        if (b[i] != (char)(id * 7 + depth * 13 + i))
            return 0;
    return 1;
}

/* Each frame holds a buffer and a pointer to its caller's: after the
 * copy-out and back, every buffer must hold its pattern and every pointer
 * still point at its caller's buffer (frames return to their addresses). */
static TEST_NOINLINE int64_t descend(int64_t id, int depth, char *up)
{
    char mine[BUF];
    fill(mine, id, depth);
    int64_t r;
    if (depth == DEPTH) {
        atomic_fetch_add(&parked, 1);
        r = rta_await(gate);
    } else {
        r = descend(id, depth + 1, mine);
    }
    KEEP_FRAME();
    if (!check_buf(mine, id, depth) || (up && !check_buf(up, id, depth - 1)))
        return -1;
    return r + depth;
}

static int64_t task_fn(void *arg)
{
    return descend((int64_t)(intptr_t)arg, 1, NULL);
}

static uint64_t stat_compactions(void)
{
    rta_stats st;
    rta_stats_get(&st);
    return st.compactions;
}

static void wait_for(_Atomic long *counter, long n)
{
    uint64_t deadline = test_now_ns() + 120ull * 1000000000ull;
    while (atomic_load(counter) < n) {
        CHECK(test_now_ns() < deadline);
        test_sleep_ms(1);
    }
}

/* The blocking job: waits for a byte on the pipe, then writes into the
 * suspended task's stack (the buffer rta_run_blocking's arg points at). */
static int pipefd[2];

typedef struct job {
    char *buf;
} job;

static int64_t blocking_fill(void *arg)
{
    job *j = arg;
    char c;
    if (read(pipefd[0], &c, 1) != 1)
        return -EIO;
    for (int i = 0; i < BUF; i++)
        j->buf[i] = (char)(c + i);
    return 0;
}

static _Atomic long pinned_waiting;

static int64_t pinned_fn(void *arg)
{
    (void)arg;
    char buf[BUF];
    memset(buf, 0, sizeof buf);
    job j = {buf};
    atomic_store(&pinned_waiting, 1);
    int64_t rc = rta_run_blocking(blocking_fill, &j);
    if (rc != 0)
        return rc;
    for (int i = 0; i < BUF; i++)
        if (buf[i] != (char)('A' + i))
            return -2; /* the pool's write was lost: the stack was moved meanwhile */
    return 1;
}

/* Parks n tasks at depth DEPTH, waits until `want` compactions were counted
 * (0: waits instead until the tasks parked, then a little), resumes them
 * and checks every result. */
static void park_and_resume(long n, uint64_t want, bool with_pinned)
{
    uint64_t c0 = stat_compactions();
    rta_task *pin = NULL;
    if (with_pinned) {
        CHECK_OK(pipe(pipefd));
        atomic_store(&pinned_waiting, 0);
        pin = rta_spawn(pinned_fn, NULL);
        CHECK(pin);
        wait_for(&pinned_waiting, 1);
    }
    gate = rta_promise_new();
    CHECK(gate);
    atomic_store(&parked, 0);
    rta_task **ts = malloc((size_t)n * sizeof *ts);
    CHECK(ts);
    for (long i = 0; i < n; i++) {
        ts[i] = rta_spawn(task_fn, (void *)(intptr_t)i);
        CHECK(ts[i]);
    }
    wait_for(&parked, n);
    if (want) {
        uint64_t deadline = test_now_ns() + 120ull * 1000000000ull;
        while (stat_compactions() - c0 < want) {
            CHECK(test_now_ns() < deadline);
            test_sleep_ms(2);
        }
    } else {
        test_sleep_ms(30);
        CHECK_EQ(stat_compactions() - c0, 0);
    }
    rta_stats before;
    rta_stats_get(&before);
    CHECK(rta_promise_resolve(gate, 1000));
    for (long i = 0; i < n; i++) {
        rta_error *err = NULL;
        CHECK_EQ(rta_task_wait(ts[i], &err), 1000 + DEPTH * (DEPTH + 1) / 2);
        CHECK(err == NULL);
        rta_task_release(ts[i]);
    }
    rta_stats after;
    rta_stats_get(&after);
    if (want) /* the compacted ones came back through a copy */
        CHECK(after.resumes_restored - before.resumes_restored >= want);
    if (pin) {
        /* Parked before every other task, so past the threshold too: only
         * its pin kept it resident for the pool's write. */
        CHECK_EQ(write(pipefd[1], "A", 1), 1);
        rta_error *err = NULL;
        CHECK_EQ(rta_task_wait(pin, &err), 1);
        CHECK(err == NULL);
        rta_task_release(pin);
        close(pipefd[0]);
        close(pipefd[1]);
    }
    rta_task_release(gate);
    free(ts);
    printf("tasks=%ld compactions=%llu restored=%llu\n", n, (unsigned long long)(after.compactions - c0),
           (unsigned long long)(after.resumes_restored - before.resumes_restored));
}

int main(void)
{
    long n = test_scaled(1000, 40);
    /* Enough regions that no task is evicted for room: every copy counted
     * below is a compaction. */
    unsigned regions = (unsigned)n + 16;

    /* Idle threshold (short here; 200 ms by default). */
    CHECK_OK(rta_init(&(rta_config){.workers = 2, .regions_per_worker = regions, .idle_compact_ms = 20}));
    park_and_resume(n, (uint64_t)n, true);
    rta_shutdown();

    /* Budget only: 1 byte is exceeded by any resident stack. */
    CHECK_OK(rta_init(&(rta_config){.workers = 2,
                                    .regions_per_worker = regions,
                                    .idle_compact_ms = RTA_IDLE_COMPACT_OFF,
                                    .resident_budget = 1}));
    park_and_resume(n, (uint64_t)n, false);
    rta_shutdown();

    /* Both off: nothing moves. */
    CHECK_OK(rta_init(&(rta_config){.workers = 2,
                                    .regions_per_worker = regions,
                                    .idle_compact_ms = RTA_IDLE_COMPACT_OFF,
                                    .resident_budget = SIZE_MAX}));
    park_and_resume(n, 0, false);
    rta_shutdown();

    /* The environment: "off" turns it off; anything else must be a number. */
    setenv("RTA_IDLE_COMPACT_MS", "off", 1);
    CHECK_OK(
        rta_init(&(rta_config){.workers = 1, .regions_per_worker = regions, .resident_budget = SIZE_MAX}));
    park_and_resume(n / 4 + 1, 0, false);
    rta_shutdown();
    setenv("RTA_IDLE_COMPACT_MS", "soon", 1);
    CHECK_EQ(rta_init(&(rta_config){.workers = 1}), -EINVAL);
    setenv("RTA_IDLE_COMPACT_MS", "5", 1);
    CHECK_OK(rta_init(&(rta_config){.workers = 1, .regions_per_worker = regions}));
    park_and_resume(n / 4 + 1, (uint64_t)(n / 4 + 1), false);
    rta_shutdown();
    unsetenv("RTA_IDLE_COMPACT_MS");
    return 0;
}
