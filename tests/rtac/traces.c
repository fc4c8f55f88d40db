/* Async stack traces name the user's functions and only them, on every
 * engine: a chain level1 -> level2 -> level3 with a suspension (a sleep and a
 * yield) in level2 before it calls level3, which throws. Each level is
 * noinline, written as a macro in front of the function: rtac must carry it
 * to the function that holds the user's code (cont function, async1
 * move-next), or at -O2 a level is inlined into its caller and missing from
 * the trace. At -O0 the async1 build's stubs (rtac1__level3...) run between
 * the move-nexts on the C stack: the trace leaves them out (the runtime's
 * own frames are left out the same way).
 *
 * A chain that fails before it ever suspends, or awaits a task that has
 * already failed, throws on the stack of whoever started it: on async1 that
 * is rta_spawn's caller (main here), whose frames are not async frames and
 * stay out of the trace (CI once saw "level3 level2 level1 main" when level2's
 * task failed on a worker before level1, still running inside rta_spawn on
 * main, awaited it; late_awaiter makes that order certain). */
#include <rta.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* noclone too (gcc): a clone or a split part keeps the function's name with
 * a suffix, and would be a second frame of the same level. */
#if defined(__clang__)
#define LEVEL_ATTRS __attribute__((noinline))
#else
#define LEVEL_ATTRS __attribute__((noinline, noclone))
#endif

#define CODE (RTA_EUSER - 4)

LEVEL_ATTRS static RTA_ASYNC int64_t level3(int64_t x)
{
    if (x > 0)
        rta_throw(CODE, "level3 failed at %lld", (long long)x);
    return x;
}

LEVEL_ATTRS static RTA_ASYNC int64_t level2(int64_t x)
{
    rta_sleep_ms(1);
    rta_yield();
    int64_t v = level3(x);
    return v + 1;
}

LEVEL_ATTRS static RTA_ASYNC int64_t level1(void *arg)
{
    int64_t v = level2((int64_t)(intptr_t)arg);
    return v + 1;
}

/* Fails at once: on async1 it runs (and throws) inside rta_spawn. */
LEVEL_ATTRS static RTA_ASYNC int64_t sync_thrower(void *arg)
{
    (void)arg;
    rta_throw(CODE, "failed before any suspension");
    return 0;
}

/* Awaits a task that has already failed: the rethrow extends its trace. */
LEVEL_ATTRS static RTA_ASYNC int64_t late_awaiter(void *failed)
{
    return rta_await((rta_task *)failed) + 1;
}

static void print_trace(const char *which, const rta_error *e)
{
    const char *names[16];
    size_t n = rta_error_trace(e, names, 16);
    printf("%s:", which);
    for (size_t i = 0; i < n && i < 16; i++)
        printf(" %s", names[i]);
    printf("\n");
}

int main(void)
{
    if (rta_init(&(rta_config){.workers = 2}) != 0)
        return 1;
    rta_task *t = rta_spawn(level1, (void *)(intptr_t)3);
    rta_error *err = NULL;
    int64_t r = rta_task_wait(t, &err);
    printf("result %lld, error %d: %s\n", (long long)r, rta_error_code(err) - RTA_EUSER,
           rta_error_message(err));
    print_trace("waiter's copy", err);
    print_trace("task's own", rta_task_error(t));
    rta_error_free(err);
    rta_task_release(t);
    /* The same failures on the spawning thread's stack (async1). */
    t = rta_spawn(sync_thrower, NULL);
    rta_task_wait(t, NULL);
    print_trace("before any suspension", rta_task_error(t));
    rta_task *late = rta_spawn(late_awaiter, t);
    rta_task_wait(late, NULL);
    print_trace("late awaiter", rta_task_error(late));
    rta_task_release(late);
    rta_task_release(t);
    /* No throw: the same chain returns normally. */
    t = rta_spawn(level1, (void *)(intptr_t)0);
    printf("no throw: %lld\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
