/* The direct switch (docs/tasklet.md): a yield or an await goes straight
 * from one tasklet to the next ready one, in run-queue order; the worker's
 * own context runs only when nothing is ready, for other engines' work, when
 * the next tasklet needs the suspending one's region, and when a tasklet
 * ends. One worker unless said otherwise, so the order is deterministic. */
#include <rta.h>
#include <rta/cont.h>
#include <stdatomic.h>

#include "check.h"
#include "engine/tasklet/tasklet.h"
#include "testutil.h"

/* Switches into this worker's scheduler context so far (from a task). */
static uint64_t to_sched(void)
{
    return rta__tasklet_tw(rta__cur_worker())->to_sched;
}

/* ---- round robin, no trip through the scheduler context -------------------------- */

#define NRR 4
static struct {
    long k;
    _Atomic int started;
    int *order;
    long pos;
    uint64_t first_sched, last_sched;
} rr;

static int64_t rr_task(void *arg)
{
    int id = (int)(intptr_t)arg;
    atomic_fetch_add(&rr.started, 1);
    while (atomic_load(&rr.started) < NRR)
        rta_yield();
    if (rr.pos == 0)
        rr.first_sched = to_sched();
    for (long i = 0; i < rr.k; i++) {
        rr.order[rr.pos++] = id;
        rta_yield();
    }
    rr.last_sched = to_sched();
    return id;
}

/* Counts trips to the scheduler context: no idle-compaction checks (each is
 * one such trip, every 50 ms; a stalled run under load could see several). */
#define NO_CHECKS .idle_compact_ms = RTA_IDLE_COMPACT_OFF, .resident_budget = SIZE_MAX

static void round_robin(void)
{
    rta_config cfg = {.workers = 1, NO_CHECKS};
    CHECK_OK(rta_init(&cfg));
    rr.k = test_scaled(4000, 100);
    rr.order = malloc(sizeof(int) * (size_t)(rr.k * NRR));
    CHECK(rr.order != NULL);
    rta_task *t[NRR];
    for (int i = 0; i < NRR; i++)
        CHECK((t[i] = rta_spawn(rr_task, (void *)(intptr_t)i)) != NULL);
    for (int i = 0; i < NRR; i++) {
        CHECK_EQ(rta_task_wait(t[i], NULL), i);
        rta_task_release(t[i]);
    }
    rta_shutdown();
    CHECK_EQ(rr.pos, rr.k * NRR);
    /* Run-queue order: the first NRR entries are every task once, then the
     * same cycle over and over (a queue-skipping switch would break it). */
    for (int i = 0; i < NRR; i++)
        for (int j = 0; j < i; j++)
            CHECK(rr.order[i] != rr.order[j]);
    for (long j = NRR; j < rr.pos; j++)
        CHECK_EQ(rr.order[j], rr.order[j % NRR]);
    /* k * NRR yields among ready tasklets: the scheduler context ran only
     * for the tasks that ended meanwhile (at most NRR - 1 before the last
     * one's final read). Switching through it would make it k * NRR. */
    printf("round robin: %ld yields, %llu switches to the scheduler context\n", rr.pos,
           (unsigned long long)(rr.last_sched - rr.first_sched));
    CHECK(rr.last_sched - rr.first_sched < NRR);
    free(rr.order);
}

/* ---- an await ring: each tasklet wakes the next and awaits --------------------------- */

#define NRING 4
static struct {
    long rounds;
    rta_task **prom; /* prom[i * rounds + r]: what task i awaits in round r */
    uint64_t first_sched, last_sched;
} ring;

static int64_t ring_task(void *arg)
{
    int i = (int)(intptr_t)arg;
    int64_t v = 0;
    for (long r = 0; r < ring.rounds; r++) {
        v = rta_await(ring.prom[i * ring.rounds + r]);
        CHECK_EQ(v, r * NRING + i); /* the token went round in order */
        if (i == 0 && r == 1)
            ring.first_sched = to_sched();
        if (i + 1 < NRING)
            CHECK(rta_promise_resolve(ring.prom[(i + 1) * ring.rounds + r], v + 1));
        else if (r + 1 < ring.rounds)
            CHECK(rta_promise_resolve(ring.prom[r + 1], v + 1));
    }
    if (i == NRING - 1)
        ring.last_sched = to_sched();
    return v;
}

static void await_ring(void)
{
    rta_config cfg = {.workers = 1, NO_CHECKS};
    CHECK_OK(rta_init(&cfg));
    ring.rounds = test_scaled(2000, 50);
    ring.prom = malloc(sizeof(rta_task *) * (size_t)(ring.rounds * NRING));
    CHECK(ring.prom != NULL);
    for (long j = 0; j < ring.rounds * NRING; j++)
        CHECK((ring.prom[j] = rta_promise_new()) != NULL);
    rta_task *t[NRING];
    for (int i = 0; i < NRING; i++)
        CHECK((t[i] = rta_spawn(ring_task, (void *)(intptr_t)i)) != NULL);
    CHECK(rta_promise_resolve(ring.prom[0], 0));
    for (int i = 0; i < NRING; i++) {
        CHECK_EQ(rta_task_wait(t[i], NULL), (ring.rounds - 1) * NRING + i);
        rta_task_release(t[i]);
    }
    rta_shutdown();
    /* From round 1 on, each await finds the next tasklet ready (the one its
     * resolve just woke): straight into it, the registration done there. */
    printf("await ring: %ld awaits, %llu switches to the scheduler context\n", (ring.rounds - 1) * NRING,
           (unsigned long long)(ring.last_sched - ring.first_sched));
    CHECK(ring.last_sched - ring.first_sched < NRING);
    for (long j = 0; j < ring.rounds * NRING; j++)
        rta_task_release(ring.prom[j]);
    free(ring.prom);
}

/* ---- one region: the next tasklet needs the yielding one's region ------------------- */

static TEST_NOINLINE int64_t shared_region_task(void *arg)
{
    int64_t salt = (int64_t)(intptr_t)arg;
    volatile int64_t local[64]; /* must survive every copy out and back */
    for (int i = 0; i < 64; i++)
        local[i] = salt * 1000 + i;
    long n = test_scaled(300, 20);
    for (long k = 0; k < n; k++) {
        rta_yield();
        for (int i = 0; i < 64; i++)
            CHECK_EQ(local[i], salt * 1000 + i);
    }
    KEEP_FRAME();
    return salt;
}

/* Spawned from a task, the three are runnable before any starts, whatever
 * the timing of outside threads. */
static int64_t one_region_root(void *arg)
{
    (void)arg;
    rta_task *t[3];
    for (int i = 0; i < 3; i++)
        CHECK((t[i] = rta_spawn(shared_region_task, (void *)(intptr_t)(i + 1))) != NULL);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(rta_await_release(t[i]), i + 1);
    return 0;
}

static void one_region(unsigned workers)
{
    rta_config cfg = {.workers = workers, .regions_per_worker = 1};
    CHECK_OK(rta_init(&cfg));
    rta_task *root = rta_spawn(one_region_root, NULL);
    CHECK(root != NULL);
    CHECK_EQ(rta_task_wait(root, NULL), 0);
    rta_task_release(root);
    rta_stats st;
    rta_stats_get(&st);
    rta_shutdown();
    if (workers == 1) /* four tasklets took turns in the region (two workers may split them) */
        CHECK(st.resumes_restored > 0);
}

/* ---- other engines' work in between: it runs on the worker's stack --------------- */

RTA_CONT_FN(cont_yielder, void *, arg)
{
    RTA_CONT_FRAME(cont_yielder, long i; long n; int64_t sum;);
    F.n = (long)(intptr_t)arg;
    F.sum = 0;
    for (F.i = 0; F.i < F.n; F.i++) {
        RTA_CONT_YIELD();
        F.sum += F.i;
    }
    RTA_CONT_RETURN(F.sum);
}

static int64_t tasklet_yielder(void *arg)
{
    long n = (long)(intptr_t)arg;
    int64_t sum = 0;
    for (long i = 0; i < n; i++) {
        rta_yield();
        sum += i;
    }
    return sum;
}

static void mixed(unsigned workers)
{
    rta_config cfg = {.workers = workers};
    CHECK_OK(rta_init(&cfg));
    long n = test_scaled(2000, 50);
    rta_task *t[6];
    for (int i = 0; i < 6; i++) {
        t[i] = i % 2 ? rta_cont_spawn(cont_yielder, (void *)(intptr_t)n)
                     : rta_spawn(tasklet_yielder, (void *)(intptr_t)n);
        CHECK(t[i] != NULL);
    }
    for (int i = 0; i < 6; i++) {
        CHECK_EQ(rta_task_wait(t[i], NULL), (int64_t)n * (n - 1) / 2);
        rta_task_release(t[i]);
    }
    rta_shutdown();
}

int main(void)
{
    round_robin();
    await_ring();
    one_region(1);
    one_region(2);
    mixed(1);
    mixed(2);
    printf("ok\n");
    return 0;
}
