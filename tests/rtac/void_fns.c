/* void_fns: async functions returning void: awaited as statements, in a
 * comma expression and in the arms of a void ?:, with `return;` in the
 * middle of a loop, and started with rta_spawn through a wrapper. */
#include <rta.h>
#include <stdio.h>

static int64_t total;

static RTA_ASYNC void add(int64_t v)
{
    rta_yield();
    total += v;
}

static RTA_ASYNC void add_until(int64_t limit)
{
    for (int64_t i = 1;; i++) {
        if (total >= limit)
            return;
        add(i);
    }
}

static RTA_ASYNC void twice(int64_t v)
{
    add(v), add(v);
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    add(5);
    printf("after add: %lld\n", (long long)total);
    twice(3);
    printf("after twice: %lld\n", (long long)total);
    for (int i = 0; i < 4; i++)
        i % 2 ? add(100) : twice(1);
    printf("after ?: %lld\n", (long long)total);
    add_until(300);
    printf("after add_until: %lld\n", (long long)total);
    return total;
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
