/* Stress (issue 15): completions from foreign threads, under the randomised
 * scheduling mode with random yields (the seed is printed; replay with
 * RTA_TEST_SEED=seed).
 *
 * Part 1: 100,000 tasks (tasklet and cont) suspended at once, each on its
 * own promise; then 4 foreign threads complete the promises in a shuffled
 * order: resolve, reject or cancel, chosen by the seed. Every task's
 * outcome is checked against its promise's.
 *
 * Part 2: tasks await groups of 4 promises through rta_when_all and
 * rta_when_any while 6 foreign threads resolve, reject and cancel them in a
 * shuffled order. when_all's outcome is fixed by the group (the first
 * rejected by index, else canceled, else 4) and checked; when_any's winner
 * must be a completed member.
 *
 * Sized down under slow tools and emulators (test_scaled). */
#include <rta.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"
#include "testutil.h"

static uint64_t seed;

enum { RESOLVE, REJECT, CANCEL };

/* What promise i gets, fixed by the seed. */
static int fate(uint64_t i)
{
    uint64_t st = seed ^ (i * 0xD1B54A32D192ED03ull);
    uint64_t r = test_rand(&st) % 10;
    return r < 6 ? RESOLVE : r < 8 ? REJECT : CANCEL;
}

static int64_t value_of(uint64_t i)
{
    return (int64_t)(i * 7 + 3);
}

static int code_of(uint64_t i)
{
    return RTA_EUSER - (int)(i % 1000);
}

static void complete(rta_task *p, uint64_t i)
{
    switch (fate(i)) {
    case RESOLVE:
        CHECK(rta_promise_resolve(p, value_of(i)));
        break;
    case REJECT: {
        rta_error *e = rta_error_new(code_of(i), "promise %llu rejected", (unsigned long long)i);
        CHECK(e != NULL);
        CHECK(rta_promise_reject(p, e));
        break;
    }
    default:
        CHECK(rta_promise_cancel(p));
        break;
    }
}

static void maybe_yield(uint64_t k)
{
    uint64_t st = seed ^ (k * 0x9E3779B97F4A7C15ull) ^ 0x51;
    if (test_rand(&st) % 4 == 0)
        rta_yield();
}

/* A foreign thread completes order[first], order[first + step], ... */
typedef struct completer {
    pthread_t th;
    rta_task **ps;
    const uint32_t *order;
    size_t n, first, step;
} completer;

static void *completer_main(void *arg)
{
    completer *c = arg;
    for (size_t j = c->first; j < c->n; j += c->step)
        complete(c->ps[c->order[j]], c->order[j]);
    return NULL;
}

static void complete_all(rta_task **ps, size_t n, unsigned nthreads)
{
    uint32_t *order = malloc(n * sizeof *order);
    CHECK(order != NULL);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    uint64_t st = seed ^ 0xABCDEF;
    for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
        size_t j = (size_t)(test_rand(&st) % i);
        uint32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    completer cs[8];
    CHECK(nthreads <= 8);
    for (unsigned k = 0; k < nthreads; k++) {
        cs[k] = (completer){.ps = ps, .order = order, .n = n, .first = k, .step = nthreads};
        CHECK_OK(pthread_create(&cs[k].th, NULL, completer_main, &cs[k]));
    }
    for (unsigned k = 0; k < nthreads; k++)
        CHECK_OK(pthread_join(cs[k].th, NULL));
    free(order);
}

/* ---- part 1 ---------------------------------------------------------------------------- */

static _Atomic long parked;
static rta_task **p1_ps; /* part 1's promises; a task's argument is its index */

/* Returns what the await gave: the value, or the error's code (negative). */
static int64_t t_awaits(void *arg)
{
    uint64_t i = (uint64_t)(uintptr_t)arg;
    maybe_yield(i);
    volatile int64_t r = 0;
    atomic_fetch_add(&parked, 1);
    RTA_TRY {
        r = rta_await(p1_ps[i]);
    }
    RTA_CATCH(e) {
        r = rta_error_code(e);
    }
    RTA_END_TRY;
    maybe_yield(i + 1);
    return r;
}

RTA_CONT_FN(c_awaits, void *, arg)
{
    RTA_CONT_FRAME(c_awaits, rta_task * p; int64_t r;);
    F.p = p1_ps[(uintptr_t)arg];
    atomic_fetch_add(&parked, 1);
    RTA_CONT_TRY {
        RTA_CONT_AWAIT_TASK(F.r, F.p);
    }
    RTA_CONT_CATCH(e) {
        F.r = rta_error_code(e);
    }
    RTA_CONT_END_TRY;
    RTA_CONT_RETURN(F.r);
}

static void part1(void)
{
    size_t n = (size_t)(test_scaled(100000, 1000) / test_emulated_divisor());
    rta_task **ps = malloc(n * sizeof *ps), **ts = malloc(n * sizeof *ts);
    CHECK(ps && ts);
    p1_ps = ps;
    atomic_store(&parked, 0);
    for (size_t i = 0; i < n; i++) {
        ps[i] = rta_promise_new();
        CHECK(ps[i] != NULL);
        ts[i] = i % 2 ? rta_cont_spawn(c_awaits, (void *)(uintptr_t)i)
                      : rta_spawn(t_awaits, (void *)(uintptr_t)i);
        CHECK(ts[i] != NULL);
    }
    /* Every task reached its await (or is about to: the count comes just
     * before it, and nothing completes a promise before this point). */
    while (atomic_load(&parked) < (long)n)
        test_sleep_ms(1);
    complete_all(ps, n, 4);
    for (size_t i = 0; i < n; i++) {
        rta_error *err = NULL;
        int64_t v = rta_task_wait(ts[i], &err);
        CHECK(err == NULL);
        int f = fate(i);
        int64_t want = f == RESOLVE ? value_of(i) : f == REJECT ? code_of(i) : -ECANCELED;
        if (v != want) {
            fprintf(stderr, "task %zu (%s) got %lld, expected %lld (fate %d)\n", i,
                    i % 2 ? "cont" : "tasklet", (long long)v, (long long)want, f);
            abort();
        }
        rta_task_release(ts[i]);
        rta_task_release(ps[i]);
    }
    free(ps);
    free(ts);
}

/* ---- part 2 ---------------------------------------------------------------------------- */

#define GROUP 4

typedef struct group {
    rta_task *ps[GROUP];
    uint64_t first; /* index of ps[0] */
    int any;        /* awaits when_any (else when_all) */
} group;

/* when_all's outcome for g: code of the first rejected by index, else
 * -ECANCELED if any was canceled, else GROUP. */
static int64_t all_outcome(const group *g)
{
    bool canceled = false;
    for (int j = 0; j < GROUP; j++) {
        int f = fate(g->first + (uint64_t)j);
        if (f == REJECT)
            return code_of(g->first + (uint64_t)j);
        if (f == CANCEL)
            canceled = true;
    }
    return canceled ? -ECANCELED : GROUP;
}

static int64_t t_group(void *arg)
{
    group *g = arg;
    maybe_yield(g->first);
    rta_task *w = g->any ? rta_when_any(g->ps, GROUP) : rta_when_all(g->ps, GROUP);
    CHECK(w != NULL);
    volatile int64_t r = 0;
    RTA_TRY {
        r = rta_await(w);
    }
    RTA_CATCH(e) {
        r = rta_error_code(e);
    }
    RTA_END_TRY;
    rta_task_release(w);
    if (g->any) {
        CHECK(r >= 0 && r < GROUP);
        CHECK(rta_task_status(g->ps[r]) != RTA_PENDING);
    }
    return r;
}

static void part2(void)
{
    size_t ngroups = (size_t)(test_scaled(20000, 200) / test_emulated_divisor());
    size_t n = ngroups * GROUP;
    group *gs = malloc(ngroups * sizeof *gs);
    rta_task **ps = malloc(n * sizeof *ps), **ts = malloc(ngroups * sizeof *ts);
    CHECK(gs && ps && ts);
    for (size_t i = 0; i < n; i++) {
        ps[i] = rta_promise_new();
        CHECK(ps[i] != NULL);
    }
    for (size_t g = 0; g < ngroups; g++) {
        gs[g].first = g * GROUP;
        gs[g].any = (int)(g % 2);
        for (int j = 0; j < GROUP; j++)
            gs[g].ps[j] = ps[g * GROUP + (size_t)j];
        ts[g] = rta_spawn(t_group, &gs[g]);
        CHECK(ts[g] != NULL);
    }
    /* While the tasks are still starting and awaiting: no waiting here. */
    complete_all(ps, n, 6);
    for (size_t g = 0; g < ngroups; g++) {
        rta_error *err = NULL;
        int64_t v = rta_task_wait(ts[g], &err);
        CHECK(err == NULL);
        if (!gs[g].any && v != all_outcome(&gs[g])) {
            fprintf(stderr, "group %zu (when_all) got %lld, expected %lld\n", g, (long long)v,
                    (long long)all_outcome(&gs[g]));
            abort();
        }
        rta_task_release(ts[g]);
    }
    /* Each promise's own outcome (which also reads the errors that
     * when_any and when_all's later inputs left unread). */
    for (size_t i = 0; i < n; i++) {
        int f = fate(i);
        CHECK_EQ(rta_task_status(ps[i]), f == RESOLVE  ? RTA_SUCCEEDED
                                         : f == REJECT ? RTA_FAULTED
                                                       : RTA_CANCELED);
        if (f == REJECT)
            CHECK_EQ(rta_error_code(rta_task_error(ps[i])), code_of(i));
        rta_task_release(ps[i]);
    }
    free(gs);
    free(ps);
    free(ts);
}

int main(void)
{
    seed = test_random_mode("sched_stress_foreign");
    CHECK_OK(rta_init(&(rta_config){.workers = 4}));
    part1();
    part2();
    rta_shutdown();
    return 0;
}
