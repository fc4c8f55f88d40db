/* The soak (issue 15): not a ctest test and not run in CI (it lasts minutes);
 * run by hand and recorded in docs/testing.md:
 *
 *     build/<dir>/tests/soak [SECONDS]        (default 180)
 *
 * Mixes, round after round until the time is up, on 2 workers: tasklet and
 * cont tasks that spawn and await children, throw and catch, sleep, await
 * promises a foreign thread resolves, rejects or cancels, and tasklets that
 * are cancelled mid-sleep (rta_task_cancel). Every outcome is checked. RSS
 * is sampled once a second; the program fails (exit 1) when the largest RSS
 * of the last third exceeds the largest of the second third by more than 10%
 * plus 1 MiB: memory must be flat once warm. */
#include <rta.h>
#include <rta/io.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"
#include "testutil.h"

static int64_t child(void *arg)
{
    intptr_t k = (intptr_t)arg;
    if (k % 3 == 0)
        rta_yield();
    if (k % 7 == 0)
        rta_throw(RTA_EUSER - 7, "child %ld throws", (long)k);
    return k;
}

/* Spawns 8 children, awaits them, catches the throwers. */
static int64_t parent(void *arg)
{
    intptr_t base = (intptr_t)arg;
    rta_task *ts[8];
    for (int i = 0; i < 8; i++) {
        ts[i] = rta_spawn(child, (void *)(base + i));
        CHECK(ts[i] != NULL);
    }
    int64_t sum = 0;
    for (int i = 0; i < 8; i++) {
        volatile int64_t v = 0;
        RTA_TRY {
            v = rta_await_release(ts[i]);
        }
        RTA_CATCH(e) {
            CHECK_EQ(rta_error_code(e), RTA_EUSER - 7);
            v = -1;
        }
        RTA_END_TRY;
        sum += v;
    }
    if (base % 5 == 0)
        rta_sleep_ms(1);
    return sum;
}

static int64_t expect_parent(intptr_t base)
{
    int64_t sum = 0;
    for (int i = 0; i < 8; i++)
        sum += (base + i) % 7 == 0 ? -1 : base + i;
    return sum;
}

RTA_CONT_FN(c_parent, void *, arg)
{
    RTA_CONT_FRAME(c_parent, intptr_t base; int i; rta_task * t; int64_t v; int64_t sum;);
    F.base = (intptr_t)arg;
    F.sum = 0;
    for (F.i = 0; F.i < 8; F.i++) {
        F.t = rta_spawn(child, (void *)(F.base + F.i));
        CHECK(F.t != NULL);
        RTA_CONT_TRY {
            RTA_CONT_AWAIT_TASK_RELEASE(F.v, F.t);
        }
        RTA_CONT_CATCH(e) {
            CHECK_EQ(rta_error_code(e), RTA_EUSER - 7);
            F.v = -1;
        }
        RTA_CONT_END_TRY;
        F.sum += F.v;
    }
    RTA_CONT_YIELD();
    RTA_CONT_RETURN(F.sum);
}

/* Awaits a promise: its value, or the error code. */
static int64_t awaiter(void *p)
{
    volatile int64_t v = 0;
    RTA_TRY {
        v = rta_await(p);
    }
    RTA_CATCH(e) {
        v = rta_error_code(e);
    }
    RTA_END_TRY;
    return v;
}

/* Sleeps for long; cancelled by main. */
static int64_t sleeper(void *arg)
{
    (void)arg;
    rta_sleep_ms(60000);
    return 1;
}

typedef struct round_ps {
    rta_task *ps[16];
} round_ps;

static void *completer(void *arg)
{
    round_ps *r = arg;
    for (int i = 15; i >= 0; i--) {
        if (i % 3 == 0)
            CHECK(rta_promise_resolve(r->ps[i], i));
        else if (i % 3 == 1)
            CHECK(rta_promise_reject(r->ps[i], rta_error_new(RTA_EUSER - 3, "rejected %d", i)));
        else
            CHECK(rta_promise_cancel(r->ps[i]));
    }
    return NULL;
}

static void one_round(long round)
{
    rta_task *ts[32];
    for (int i = 0; i < 16; i++) {
        intptr_t base = (intptr_t)(round * 1000 + i * 8);
        ts[i] = i % 2 ? rta_cont_spawn(c_parent, (void *)base) : rta_spawn(parent, (void *)base);
        CHECK(ts[i] != NULL);
    }
    round_ps r;
    for (int i = 0; i < 16; i++) {
        r.ps[i] = rta_promise_new();
        CHECK(r.ps[i] != NULL);
        ts[16 + i] = rta_spawn(awaiter, r.ps[i]);
        CHECK(ts[16 + i] != NULL);
    }
    rta_task *sl = rta_spawn(sleeper, NULL);
    CHECK(sl != NULL);
    pthread_t th;
    CHECK_OK(pthread_create(&th, NULL, completer, &r));
    for (int i = 0; i < 16; i++) {
        rta_error *err = NULL;
        CHECK_EQ(rta_task_wait(ts[i], &err), expect_parent((intptr_t)(round * 1000 + i * 8)));
        CHECK(err == NULL);
        rta_task_release(ts[i]);
    }
    CHECK_OK(pthread_join(th, NULL));
    for (int i = 0; i < 16; i++) {
        int64_t want = i % 3 == 0 ? i : i % 3 == 1 ? RTA_EUSER - 3 : -ECANCELED;
        CHECK_EQ(rta_task_wait(ts[16 + i], NULL), want);
        rta_task_release(ts[16 + i]);
        if (i % 3 == 1)
            CHECK(rta_task_error(r.ps[i]) != NULL); /* read: not an unobserved fault */
        rta_task_release(r.ps[i]);
    }
    CHECK(rta_task_cancel(sl));
    rta_error *err = NULL;
    rta_task_wait(sl, &err);
    CHECK_EQ(rta_task_status(sl), RTA_CANCELED);
    rta_error_free(err);
    rta_task_release(sl);
}

int main(int argc, char **argv)
{
    long seconds = argc > 1 ? atol(argv[1]) : 180;
    CHECK(seconds >= 3);
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    long *rss = calloc((size_t)seconds + 2, sizeof *rss);
    CHECK(rss != NULL);
    uint64_t start = test_now_ns(), next = start;
    long rounds = 0, samples = 0;
    while (samples < seconds) {
        one_round(rounds++);
        uint64_t now = test_now_ns();
        if (now >= next) {
            rss[samples] = test_status_kib("VmRSS");
            printf("soak: %3lds %8ld rounds RSS %ld KiB\n", samples, rounds, rss[samples]);
            fflush(stdout);
            samples++;
            next += 1000000000u;
        }
    }
    rta_shutdown();
    long third = samples / 3, max2 = 0, max3 = 0;
    for (long i = third; i < 2 * third; i++)
        max2 = rss[i] > max2 ? rss[i] : max2;
    for (long i = 2 * third; i < samples; i++)
        max3 = rss[i] > max3 ? rss[i] : max3;
    bool flat = max3 <= max2 + max2 / 10 + 1024;
    printf("soak: %ld s, %ld rounds (%ld tasks), RSS max %ld KiB in the second third, %ld KiB in "
           "the last: %s\n",
           samples, rounds, rounds * (16 * 9 + 16 + 1), max2, max3, flat ? "flat" : "GROWING");
    free(rss);
    return flat ? 0 : 1;
}
