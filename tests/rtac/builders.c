/* builders: RTA_BUILDER(pool, N), RTA_BUILDER(vtask) and RTA_BUILDER(task)
 * pick the async1 builder of one method (the builder-override spec) and
 * change nothing else: the same values come back on every engine, whether
 * the method completes synchronously or suspends, is awaited or started
 * with rta_spawn. Under async1 the pooled method's boxes are reused: the
 * statistics are checked there (and printed nowhere, so the output is the
 * same everywhere). */
#include <rta.h>
#include <stdio.h>

RTA_BUILDER(pool, 4) static RTA_ASYNC int64_t pooled(int64_t v, int64_t suspend);

static RTA_ASYNC int64_t step(int64_t v)
{
    if (v % 3 == 0)
        rta_yield();
    return v + 1;
}

/* Completes synchronously unless asked to suspend. */
RTA_BUILDER(pool, 4) static RTA_ASYNC int64_t pooled(int64_t v, int64_t suspend)
{
    if (suspend)
        rta_yield();
    return step(v) * 2;
}

RTA_BUILDER(vtask) static RTA_ASYNC int64_t valued(int64_t v)
{
    int64_t a = pooled(v, v & 1);
    int64_t b = pooled(a, 0);
    return a + b;
}

RTA_BUILDER(task) static RTA_ASYNC void note(const char *what, int64_t v)
{
    rta_yield();
    printf("%s %lld\n", what, (long long)v);
}

RTA_BUILDER(vtask) static RTA_ASYNC int64_t child(void *arg)
{
    int64_t v = (int64_t)(intptr_t)arg;
    rta_sleep_ms(1);
    return valued(v);
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t sum = 0;
    for (int64_t i = 0; i < 20; i++)
        sum += valued(i) + pooled(i, i % 4 == 0);
    note("sum", sum);
    rta_task *t = rta_spawn(child, (void *)(intptr_t)7);
    int64_t c = rta_await(t);
    rta_task_release(t);
    note("child", c);
    return sum + c;
}

int main(void)
{
    /* One worker: every box goes back to the pool the next suspension rents
     * from (pools are per thread), so the async1 check below is exact. */
    rta_config cfg = {.workers = 1};
    if (rta_init(&cfg) != 0)
        return 1;
    rta_task *t = rta_spawn(run, NULL);
    printf("result %lld\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
#ifdef RTAC_ENGINE_ASYNC1
    rta_async1_stats st;
    RTA_ASYNC1_STATS(rtac1__pooled, &st); /* the async1 stub's name (docs/rtac.md) */
    /* pooled suspends about 30 times, one at a time: its boxes are reused. */
    if (st.heap_moves == 0 || st.pool_hits == 0) {
        printf("async1: pooled method did not pool (moves %llu hits %llu)\n",
               (unsigned long long)st.heap_moves, (unsigned long long)st.pool_hits);
        return 1;
    }
#endif
    rta_shutdown();
    return 0;
}
