/* cfg_forms: the _cfg spellings of the runtime awaits (rta_await_cfg,
 * rta_yield_cfg, rta_sleep_ms_cfg) with both flags, and rta_await_awaiter
 * on a hand-written awaiter that completes synchronously every other time
 * (is_completed true: no suspension) and otherwise registers its waiter. */
#include <rta.h>
#include <stdio.h>

typedef struct flip {
    int64_t n;
} flip;

static bool flip_done(void *self)
{
    return ((flip *)self)->n % 2 == 0;
}

static void flip_on(void *self, rta_waiter *w)
{
    ((flip *)self)->n++;
    w->fn(w); /* ready now: resumption goes through the scheduler */
}

static int64_t flip_result(void *self)
{
    return ((flip *)self)->n * 100;
}

static const rta_awaiter_ops flip_ops = {.is_completed = flip_done,
                                         .on_completed = flip_on,
                                         .unsafe_on_completed = flip_on,
                                         .get_result = flip_result};

static flip f1 = {1};

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    rta_task *done = rta_promise_new();
    rta_promise_resolve(done, 9);
    int64_t a = rta_await_cfg(done, false) + rta_await_cfg(done, true);
    rta_yield_cfg(false);
    rta_yield_cfg(true);
    rta_sleep_ms_cfg(1, false);
    rta_sleep_ms_cfg(0, true);
    int64_t b = rta_await_awaiter(&flip_ops, &f1);            /* n = 1: suspends, n becomes 2 */
    int64_t c = rta_await_awaiter_cfg(&flip_ops, &f1, false); /* n = 2: completed */
    printf("a=%lld b=%lld c=%lld\n", (long long)a, (long long)b, (long long)c);
    rta_task_release(done);
    return a + b + c;
}

int main(void)
{
    if (rta_init(NULL) != 0)
        return 1;
    rta_task *t = rta_spawn(run, NULL);
    printf("result %lld\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
