/* Multi-worker stress: 4 workers, 20,000 tasks that spawn children and await
 * them, with sleeps, yields, promises completed by other tasks, and throws
 * mixed in. Every result is checked; races in stealing, wake-ups, eviction
 * or completion show up as wrong values, hangs or sanitizer reports. */
#include <rta.h>

#include <stdatomic.h>

#include "check.h"
#include "testutil.h"

static int64_t leaf(void *arg)
{
    intptr_t k = (intptr_t)arg;
    volatile char buf[512];
    buf[k % 512] = (char)k;
    switch (k % 5) {
    case 0:
        rta_yield();
        break;
    case 1:
        if (k % 64 == 1)
            rta_sleep_ms(1);
        break;
    case 2:
        rta_yield();
        rta_yield();
        break;
    case 3:
        if (k % 128 == 3)
            rta_throw(RTA_EUSER - 1, "leaf %ld", (long)k);
        break;
    default:
        break;
    }
    CHECK_EQ(buf[k % 512], (char)k);
    return k * 3;
}

typedef struct resolver_arg {
    rta_task *p;
    int64_t v;
} resolver_arg;

static int64_t resolver(void *arg)
{
    resolver_arg *r = arg;
    rta_yield();
    CHECK(rta_promise_resolve(r->p, r->v));
    return 0;
}

static int64_t await_child(rta_task *c)
{
    volatile int64_t got = -1;
    RTA_TRY {
        got = rta_await(c);
    }
    RTA_CATCH(e) {
        CHECK_EQ(rta_error_code(e), RTA_EUSER - 1);
        got = -1000;
    }
    RTA_END_TRY;
    return got;
}

static int64_t parent(void *arg)
{
    intptr_t i = (intptr_t)arg;
    int64_t local = i;
    int64_t *pl = &local;
    rta_task *c[3];
    for (int k = 0; k < 3; k++)
        CHECK((c[k] = rta_spawn(leaf, (void *)(i * 3 + k))) != NULL);
    /* a promise that a sibling task resolves, maybe on another worker */
    rta_task *p = rta_promise_new();
    /* On the heap: another task must never point into this stack, which
     * may be evicted (its region reused) while that task runs (docs/tasklet.md). */
    resolver_arg *ra = malloc(sizeof *ra);
    CHECK(ra);
    *ra = (resolver_arg){.p = p, .v = i + 7};
    rta_task *r = rta_spawn(resolver, ra);
    if (i % 7 == 0)
        rta_sleep_ms(1);
    int64_t sum = 0;
    for (int k = 0; k < 3; k++) {
        intptr_t kk = i * 3 + k;
        int64_t got = await_child(c[k]);
        CHECK_EQ(got, (kk % 5 == 3 && kk % 128 == 3) ? -1000 : kk * 3);
        sum += got;
        rta_task_release(c[k]);
    }
    *pl += rta_await(p);
    rta_await(r);
    free(ra);
    rta_task_release(r);
    rta_task_release(p);
    return sum + local;
}

static int64_t expect_parent(intptr_t i)
{
    int64_t sum = 0;
    for (int k = 0; k < 3; k++) {
        intptr_t kk = i * 3 + k;
        sum += (kk % 5 == 3 && kk % 128 == 3) ? -1000 : kk * 3;
    }
    return sum + i + i + 7;
}

int main(void)
{
    long n = test_scaled(20000, 1000);
    rta_config cfg = {.workers = 4, .regions_per_worker = 4};
    CHECK_OK(rta_init(&cfg));
    rta_task **ts = malloc((size_t)n * sizeof *ts);
    CHECK(ts);
    uint64_t t0 = test_now_ns();
    for (long i = 0; i < n; i++)
        CHECK((ts[i] = rta_spawn(parent, (void *)(intptr_t)i)) != NULL);
    for (long i = 0; i < n; i++) {
        rta_error *err = NULL;
        int64_t v = rta_task_wait(ts[i], &err);
        if (err)
            fprintf(stderr, "task %ld: %s\n", i, rta_error_message(err));
        CHECK(err == NULL);
        CHECK_EQ(v, expect_parent(i));
        rta_task_release(ts[i]);
    }
    rta_stats st;
    rta_stats_get(&st);
    printf("%ld parents, %.1f ms: spawned=%llu suspensions=%llu steals=%llu evictions=%llu\n", n,
           (test_now_ns() - t0) / 1e6, (unsigned long long)st.tasks_spawned,
           (unsigned long long)st.suspensions, (unsigned long long)st.steals,
           (unsigned long long)st.evictions);
    CHECK_EQ(st.tasks_spawned, (uint64_t)n * 5);
    rta_shutdown();
    free(ts);
    return 0;
}
