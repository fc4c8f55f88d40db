/* nested_try: RTA_TRY blocks holding awaits inside one another in one
 * function, each resumed after suspensions: an error thrown after the inner
 * body suspended lands in the inner handler, one thrown after it in the
 * outer; FINALLY runs on both paths and the error goes on to the caller's
 * handler. The cont engine refuses the nesting (docs/rtac.md):
 * rtac-engines: tasklet async1 */
#include <rta.h>
#include <stdio.h>

static RTA_ASYNC int64_t fail_if(int64_t v, int64_t bad)
{
    rta_yield();
    if (v == bad)
        rta_throw(-5, "bad value %lld", (long long)v);
    return v;
}

static RTA_ASYNC int64_t nest(int64_t bad)
{
    volatile int64_t log = 0;
    RTA_TRY {
        log = log * 10 + fail_if(1, bad);
        RTA_TRY {
            log = log * 10 + fail_if(2, bad);
            rta_yield();
            log = log * 10 + fail_if(3, bad);
        }
        RTA_CATCH(e) {
            printf("nest(%lld): inner caught '%s'\n", (long long)bad, rta_error_message(e));
            log = log * 10 + 8;
        }
        RTA_END_TRY;
        log = log * 10 + fail_if(4, bad);
    }
    RTA_FINALLY {
        printf("nest(%lld): finally, log %lld\n", (long long)bad, (long long)log);
    }
    RTA_END_TRY;
    return -log;
}

static RTA_ASYNC int64_t guard(int64_t bad)
{
    volatile int64_t r = 0;
    RTA_TRY {
        r = nest(bad);
    }
    RTA_CATCH(e) {
        printf("guard(%lld): caught '%s'\n", (long long)bad, rta_error_message(e));
        r = -1;
    }
    RTA_END_TRY;
    return r;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t sum = 0;
    for (int64_t bad = 0; bad <= 5; bad++) {
        int64_t r = guard(bad);
        printf("guard(%lld) = %lld\n", (long long)bad, (long long)r);
        sum += r;
    }
    return sum;
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
