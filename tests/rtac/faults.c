/* faults: an error thrown deep in a chain of async calls after they all
 * suspended, with no handler on the way, faults the root task: rta_task_wait
 * reports it (code and message) to non-async code; a second root whose
 * error is caught half-way returns normally. */
#include <rta.h>
#include <stdio.h>

/* The code is a variable so that gcc's -Winfinite-recursion sees a path
 * out of deep (it does not count a noreturn call as one). */
static volatile int fail_code = -42;

static RTA_ASYNC int64_t deep(int64_t n)
{
    rta_yield();
    if (n == 0) {
        if (fail_code)
            rta_throw(fail_code, "bottom reached");
        return 0;
    }
    return deep(n - 1) + 1;
}

static RTA_ASYNC int64_t root(void *arg)
{
    return deep((int64_t)(intptr_t)arg);
}

static RTA_ASYNC int64_t guarded(void *arg)
{
    volatile int64_t r = 0;
    RTA_TRY {
        r = deep((int64_t)(intptr_t)arg);
    }
    RTA_CATCH(e) {
        printf("guarded: caught %d '%s'\n", rta_error_code(e), rta_error_message(e));
        r = 7;
    }
    RTA_END_TRY;
    return r;
}

int main(void)
{
    if (rta_init(NULL) != 0)
        return 1;
    rta_task *t = rta_spawn(root, (void *)(intptr_t)20);
    rta_error *err = NULL;
    int64_t v = rta_task_wait(t, &err);
    printf("root: value %lld, status %s, error %d '%s'\n", (long long)v,
           rta_task_status(t) == RTA_FAULTED ? "faulted" : "other", err ? rta_error_code(err) : 0,
           err ? rta_error_message(err) : "-");
    rta_error_free(err);
    rta_task_release(t);
    t = rta_spawn(guarded, (void *)(intptr_t)20);
    printf("guarded: %lld\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
