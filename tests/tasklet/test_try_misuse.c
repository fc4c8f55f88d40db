/* Leaving an RTA_TRY body with return is a program error the runtime
 * reports (RTA_EINVALIDPROGRAM), at the task's root or at the next handler
 * exit, instead of corrupting the handler chain. */
#include <rta.h>

#include "check.h"

static int64_t returns_from_try(void *arg)
{
    (void)arg;
    RTA_TRY {
        return 5; /* the bug under test */
    }
    RTA_CATCH(e) {
        (void)e;
    }
    RTA_END_TRY;
    return 0;
}

__attribute__((noinline)) static int64_t inner_returns_from_try(void)
{
    RTA_TRY {
        return 1;
    }
    RTA_CATCH(e) {
        (void)e;
    }
    RTA_END_TRY;
    return 0;
}

static int64_t outer_handler_sees_it(void *arg)
{
    (void)arg;
    volatile int code = 0;
    RTA_TRY {
        RTA_TRY {
            inner_returns_from_try();
        }
        RTA_CATCH(e) {
            (void)e;
        }
        RTA_END_TRY; /* popping this record finds the dead inner one above it */
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
    }
    RTA_END_TRY;
    return code;
}

int main(void)
{
    CHECK_OK(rta_init(NULL));
    rta_task *t = rta_spawn(returns_from_try, NULL);
    rta_error *err = NULL;
    rta_task_wait(t, &err);
    CHECK_EQ(rta_task_status(t), RTA_FAULTED);
    CHECK_EQ(rta_error_code(err), RTA_EINVALIDPROGRAM);
    rta_error_free(err);
    rta_task_release(t);

    t = rta_spawn(outer_handler_sees_it, NULL);
    CHECK_EQ(rta_task_wait(t, NULL), RTA_EINVALIDPROGRAM);
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
