/* Stress (issue 15): 1,000,000 tasks, half spawned from main (a non-worker
 * thread: the global queue and wake-ups) and half from tasks (the workers'
 * deques, stealing), tasklet and cont roots mixed, under the randomised
 * scheduling mode (shuffled run order) with random yields in the tasks. Every
 * result is checked; the seed is printed (replay: RTA_TEST_SEED=seed).
 * Spawned in bounded batches, so memory stays flat. Sized down under slow
 * tools and emulators (test_scaled). */
#include <rta.h>

#include <stdatomic.h>

#include "check.h"
#include "testutil.h"

static uint64_t seed;
static _Atomic long ran;

static int64_t expect(uint64_t k)
{
    return (int64_t)(k * 2654435761u % 1000003u);
}

/* Yields 0-2 times, by the seed and k. */
static int yields_of(uint64_t k)
{
    uint64_t st = seed ^ (k * 0x9E3779B97F4A7C15ull);
    uint64_t r = test_rand(&st) % 8;
    return r < 5 ? 0 : r < 7 ? 1 : 2;
}

static int64_t leaf(void *arg)
{
    uint64_t k = (uint64_t)(uintptr_t)arg;
    for (int i = yields_of(k); i > 0; i--)
        rta_yield();
    atomic_fetch_add_explicit(&ran, 1, memory_order_relaxed);
    return expect(k);
}

RTA_CONT_FN(cleaf, void *, arg)
{
    RTA_CONT_FRAME(cleaf, uint64_t k; int left;);
    F.k = (uint64_t)(uintptr_t)arg;
    for (F.left = yields_of(F.k); F.left > 0; F.left--)
        RTA_CONT_YIELD();
    atomic_fetch_add_explicit(&ran, 1, memory_order_relaxed);
    RTA_CONT_RETURN(expect(F.k));
}

static rta_task *spawn_leaf(uint64_t k)
{
    /* One in four is a cont root. */
    rta_task *t =
        (k & 3) == 3 ? rta_cont_spawn(cleaf, (void *)(uintptr_t)k) : rta_spawn(leaf, (void *)(uintptr_t)k);
    CHECK(t != NULL);
    return t;
}

typedef struct range {
    uint64_t from, to;
} range;

#define BATCH_TASK 256

/* A parent task: spawns its range in batches, awaits each child. */
static int64_t parent(void *arg)
{
    const range *r = arg;
    rta_task *ts[BATCH_TASK];
    for (uint64_t k = r->from; k < r->to;) {
        size_t n = 0;
        for (; n < BATCH_TASK && k < r->to; n++, k++)
            ts[n] = spawn_leaf(k);
        for (size_t i = 0; i < n; i++)
            CHECK_EQ(rta_await_release(ts[i]), expect(k - n + i));
    }
    return (int64_t)(r->to - r->from);
}

int main(void)
{
    seed = test_random_mode("sched_stress_spawn");
    /* TSan costs this program 20x (each task's switches and atomics):
     * a further /5 keeps it to seconds. */
    long total = test_scaled(1000000, 4000) / test_emulated_divisor() / (TEST_TSAN ? 5 : 1);
    long from_main = total / 2, from_tasks = total - from_main;
    CHECK_OK(rta_init(&(rta_config){.workers = 4}));

    /* Half from main, in batches (a thread that is not a worker). */
    enum { BATCH_MAIN = 4096 };
    static rta_task *ts[BATCH_MAIN];
    for (long k = 0; k < from_main;) {
        long n = 0;
        for (; n < BATCH_MAIN && k < from_main; n++, k++)
            ts[n] = spawn_leaf((uint64_t)k);
        for (long i = 0; i < n; i++) {
            rta_error *err = NULL;
            CHECK_EQ(rta_task_wait(ts[i], &err), expect((uint64_t)(k - n + i)));
            CHECK(err == NULL);
            rta_task_release(ts[i]);
        }
    }

    /* Half from tasks: parents spawned from main, each spawning its range. */
    enum { PARENTS = 32 };
    range rs[PARENTS];
    rta_task *ps[PARENTS];
    for (int i = 0; i < PARENTS; i++) {
        rs[i].from = (uint64_t)from_main + (uint64_t)from_tasks * (uint64_t)i / PARENTS;
        rs[i].to = (uint64_t)from_main + (uint64_t)from_tasks * (uint64_t)(i + 1) / PARENTS;
        ps[i] = rta_spawn(parent, &rs[i]);
        CHECK(ps[i] != NULL);
    }
    for (int i = 0; i < PARENTS; i++) {
        rta_error *err = NULL;
        CHECK_EQ(rta_task_wait(ps[i], &err), (int64_t)(rs[i].to - rs[i].from));
        CHECK(err == NULL);
        rta_task_release(ps[i]);
    }
    rta_shutdown();
    CHECK_EQ(atomic_load(&ran), total);
    printf("sched_stress_spawn: %ld tasks (%ld from main, %ld from %d tasks), all checked\n", total,
           from_main, from_tasks, PARENTS);
    return 0;
}
