/*
 * The scheduler seams the I/O layer stands on:
 *  - the timer heap removes any timer in O(log n) and keeps its order
 *    (checked against a brute-force model under random add/remove/pop);
 *  - the parker is replaceable: rta_init installs the poller's, idle
 *    workers park in it, and its unpark wakes them from any thread (a task
 *    spawned from main runs; a sleep's timer bounds the park).
 */
#include "check.h"
#include "testutil.h"

#include "sched/sched.h"

#include <rta.h>

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int fired;
static void on_fire(rta__timer *t)
{
    (void)t;
    fired++;
}

static void check_heap(rta__timer_heap *h)
{
    for (size_t i = 0; i < h->len; i++) {
        CHECK_EQ(h->items[i]->heap_index, i);
        if (i > 0)
            CHECK(h->items[(i - 1) / 2]->deadline_ns <= h->items[i]->deadline_ns);
    }
}

static void test_heap(void)
{
    enum { N = 2000 };
    static rta__timer timers[N];
    static bool in[N];
    rta__timer_heap h = {0};
    for (int i = 0; i < N; i++)
        timers[i] = (rta__timer){.heap_index = RTA__TIMER_NONE, .fire = on_fire};
    long steps = test_scaled(60000, 3000);
    for (long s = 0; s < steps; s++) {
        int i = (int)(next_rand() % N);
        switch (next_rand() % 3) {
        case 0:
            if (!in[i]) {
                timers[i].deadline_ns = next_rand() % 1000; /* many equal keys */
                CHECK_OK(rta__timer_heap_add(&h, &timers[i]));
                in[i] = true;
            }
            break;
        case 1:
            CHECK_EQ(rta__timer_heap_remove(&h, &timers[i]), in[i]);
            CHECK_EQ(timers[i].heap_index, RTA__TIMER_NONE);
            in[i] = false;
            break;
        default: {
            rta__timer *top = rta__timer_heap_peek(&h);
            if (!top)
                break;
            for (int k = 0; k < N; k++)
                if (in[k])
                    CHECK(top->deadline_ns <= timers[k].deadline_ns);
            rta__timer_heap_pop(&h);
            CHECK_EQ(top->heap_index, RTA__TIMER_NONE);
            in[top - timers] = false;
        }
        }
        if (s % 97 == 0)
            check_heap(&h);
    }
    check_heap(&h);
    size_t live = 0;
    for (int i = 0; i < N; i++)
        live += in[i];
    CHECK_EQ(h.len, live);
    /* Removing everything, in index order (holes everywhere), leaves it empty. */
    for (int i = 0; i < N; i++) {
        CHECK_EQ(rta__timer_heap_remove(&h, &timers[i]), in[i]);
        check_heap(&h);
    }
    CHECK_EQ(h.len, 0);
    rta__timer_heap_free(&h);
}

static int64_t sleeper(void *arg)
{
    rta_sleep_ms((uint64_t)(intptr_t)arg);
    return 7;
}

/* rta_init installs the poller as the parker (src/io); shutdown restores the
 * futex. Idle workers then sleep in the poller, and a spawn from this
 * (foreign) thread must still wake one: the unpark goes through the poller's
 * eventfd, a sleep's timer through its timeout. */
static void test_parker(void)
{
    CHECK(rta__parker_impl == &rta__parker_futex);
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    CHECK_STREQ(rta__parker_impl->name, rta_io_backend());
    CHECK(rta__parker_impl->poll != NULL);
    for (int round = 0; round < 3; round++) {
        test_sleep_ms(20); /* let both workers go idle */
        rta_task *t = rta_spawn(sleeper, (void *)(intptr_t)5);
        CHECK(t);
        rta_error *err = NULL;
        CHECK_EQ(rta_task_wait(t, &err), 7);
        CHECK(err == NULL);
        rta_task_release(t);
    }
    rta_shutdown();
    CHECK(rta__parker_impl == &rta__parker_futex);
}

int main(void)
{
    test_heap();
    test_parker();
    CHECK_EQ(fired, 0);
    printf("ok\n");
    return 0;
}
