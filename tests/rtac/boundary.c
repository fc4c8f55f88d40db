/* boundary: the one place where the engines differ on purpose (the spec's
 * async1/async2 difference). An async2 call is not a boundary: an
 * async-local value a callee sets is seen by its caller after the call
 * (tasklet, cont: boundary.out). async1 saves the async locals at each
 * method's entry and restores them at its exit, suspended or not (C#'s
 * ExecutionContext rule), so the caller keeps its own value
 * (boundary.async1.out). Everything else prints the same. */
#include <rta.h>
#include <stdio.h>

static rta_local *key;

static long cur(void)
{
    return (long)(intptr_t)rta_local_get(key);
}

static RTA_ASYNC void set_after_await(int64_t v)
{
    rta_yield();
    rta_local_set(key, (void *)(intptr_t)v);
}

static RTA_ASYNC void set_sync(int64_t v)
{
    rta_local_set(key, (void *)(intptr_t)v);
}

static RTA_ASYNC int64_t seen_by_callee(void)
{
    rta_yield();
    return cur();
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    rta_local_set(key, (void *)(intptr_t)1);
    printf("callee sees the caller's value: %lld\n", (long long)seen_by_callee());
    set_after_await(2);
    printf("after a callee set it after an await: %ld\n", cur());
    set_sync(3);
    printf("after a callee set it synchronously: %ld\n", cur());
    rta_yield();
    printf("after a yield: %ld\n", cur());
    return cur();
}

int main(void)
{
    if (rta_init(NULL) != 0)
        return 1;
    key = rta_local_new(NULL);
    rta_task *t = rta_spawn(run, NULL);
    printf("result %lld\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
    printf("main sees %ld\n", cur());
    rta_shutdown();
    rta_local_free(key);
    return 0;
}
