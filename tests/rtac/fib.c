/* fib: recursion through awaits, a parameter used after an await, and a
 * yield at the leaves so that every engine really suspends. */
#include <rta.h>
#include <stdio.h>

static RTA_ASYNC int64_t fib(int64_t n)
{
    if (n < 2) {
        if (n == 1)
            rta_yield();
        return n;
    }
    int64_t a = fib(n - 1);
    int64_t b = fib(n - 2);
    return a + b;
}

static RTA_ASYNC int64_t run(void *arg)
{
    int64_t n = (int64_t)(intptr_t)arg;
    int64_t sum = 0;
    for (int64_t i = 0; i <= n; i++)
        sum += fib(i);
    printf("fib(%lld) = %lld, sum %lld\n", (long long)n, (long long)fib(n), (long long)sum);
    return sum;
}

int main(void)
{
    if (rta_init(NULL) != 0)
        return 1;
    rta_task *t = rta_spawn(run, (void *)(intptr_t)15);
    int64_t v = rta_task_wait(t, NULL);
    rta_task_release(t);
    rta_shutdown();
    printf("result %lld\n", (long long)v);
    return 0;
}
