/* trycatch: RTA_TRY / RTA_CATCH / RTA_FINALLY across awaits: an error thrown
 * by an awaited function after it suspended lands in the handler entered
 * before the await; locals written before the throw keep their values in
 * the handler; FINALLY runs on both paths and the error goes on to the
 * caller's handler. */
#include <rta.h>
#include <stdio.h>

static RTA_ASYNC int64_t maybe_fail(int64_t v)
{
    rta_yield();
    if (v > 2)
        rta_throw(-22, "value %lld too big", (long long)v);
    return v * 10;
}

static RTA_ASYNC int64_t catch_one(int64_t v)
{
    volatile int64_t got = -1, step = 0;
    RTA_TRY {
        step = 1;
        got = maybe_fail(v);
        step = 2;
        rta_yield();
        step = 3;
    }
    RTA_CATCH(e) {
        printf("catch_one(%lld): caught %d '%s' at step %lld\n", (long long)v, rta_error_code(e),
               rta_error_message(e), (long long)step);
        got = -100;
    }
    RTA_END_TRY;
    rta_yield();
    return got + step;
}

static RTA_ASYNC int64_t with_finally(int64_t v)
{
    volatile int64_t r = 0;
    RTA_TRY {
        r = maybe_fail(v);
        printf("with_finally(%lld): body done r=%lld\n", (long long)v, (long long)r);
    }
    RTA_FINALLY {
        printf("with_finally(%lld): finally r=%lld\n", (long long)v, (long long)r);
    }
    RTA_END_TRY;
    return r + 1;
}

static RTA_ASYNC int64_t outer(int64_t v)
{
    volatile int64_t r = 0;
    RTA_TRY {
        r = with_finally(v);
    }
    RTA_CATCH(e) {
        printf("outer(%lld): caught %d\n", (long long)v, rta_error_code(e));
        r = -7;
    }
    RTA_END_TRY;
    return r;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t a = catch_one(1), b = catch_one(5);
    printf("catch_one: %lld %lld\n", (long long)a, (long long)b);
    int64_t c = outer(2), d = outer(9);
    printf("outer: %lld %lld\n", (long long)c, (long long)d);
    return a + b + c + d;
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
