/* A cont call that does not suspend allocates nothing: counted by
 * tests/alloc_hook.h (interposed malloc; ASan's hooks under ASan),
 * around 100,000 non-suspending calls made inside a running cont root, then
 * a suspension for contrast (it does allocate: a continuation slab at most
 * once per worker, the root's task). */
#define _GNU_SOURCE
#include <rta.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "alloc_hook.h"
#include "check.h"

RTA_CONT_FN(add3, int64_t, a, int64_t, b, int64_t, c)
{
    RTA_CONT_FRAME(add3, int64_t s;);
    F.s = a + b + c;
    RTA_CONT_RETURN(F.s);
}

RTA_CONT_FN(fib, int64_t, n)
{
    RTA_CONT_FRAME(fib, int64_t n; int64_t a; int64_t b;);
    F.n = n;
    if (F.n < 2)
        RTA_CONT_RETURN(F.n);
    RTA_CONT_CALL(F.a, fib, F.n - 1);
    RTA_CONT_CALL(F.b, fib, F.n - 2);
    RTA_CONT_RETURN(F.a + F.b);
}

RTA_CONT_FN(fib_root, void *, arg)
{
    RTA_CONT_FRAME(fib_root, int64_t r;);
    (void)arg;
    RTA_CONT_CALL(F.r, fib, 20);
    RTA_CONT_RETURN(F.r);
}

static long counted;

RTA_CONT_FN(measure, void *, arg)
{
    RTA_CONT_FRAME(measure, int64_t i; int64_t acc; int64_t r; long before;);
    (void)arg;
    RTA_CONT_YIELD(); /* now running on a worker, resumed by the dispatcher */
    F.before = (long)allocs();
    F.acc = 0;
    for (F.i = 0; F.i < 100000; F.i++) {
        RTA_CONT_CALL(F.r, add3, F.i, 1, 2);
        F.acc += F.r;
    }
    RTA_CONT_CALL(F.r, fib, 20);
    F.acc += F.r;
    counted = (long)allocs() - F.before;
    RTA_CONT_RETURN(F.acc);
}

int main(void)
{
    bool counting = alloc_counting();
    if (!counting)
        printf("allocation counter inactive (valgrind?): running without count checks\n");
    CHECK_OK(rta_init(&(rta_config){.workers = 1}));
    /* Warm the worker (its first continuation slab). */
    rta_task *t = rta_cont_spawn(measure, NULL);
    int64_t v = rta_task_wait(t, NULL);
    rta_task_release(t);
    CHECK_EQ(v, 100000LL * 99999 / 2 + 3 * 100000 + 6765);
    if (counting)
        CHECK_EQ(counted, 0);

    /* From non-async code: the only allocation is the task (the root) itself. */
    uint64_t before = allocs();
    t = rta_cont_call(fib_root, NULL);
    CHECK_ALLOCS(allocs() - before, 1);
    CHECK_EQ(rta_task_status(t), RTA_SUCCEEDED);
    CHECK_EQ(rta_task_value(t), 6765);
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
