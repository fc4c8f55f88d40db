/* With NDEBUG the stack-pointer check of saved cont frames does not vanish:
 * one suspension in RTA__CONT_CHECK_EVERY per thread is checked, so a frame
 * that keeps a pointer to a local across an await is caught after a few
 * calls in a release build (faulting with RTA_EINVALIDPROGRAM naming the
 * function), and clean frames are never flagged. */
#ifndef NDEBUG
#define NDEBUG
#endif
#include <rta.h>

#include "check.h"

RTA_CONT_FN(holds_stack_ptr, void *, arg)
{
    RTA_CONT_FRAME(holds_stack_ptr, int64_t * p;);
    int64_t local = 5;
    (void)arg;
    F.p = &local;
    RTA_CONT_YIELD();
    RTA_CONT_RETURN(F.p != NULL); /* the pointer dangles now: not read */
}

RTA_CONT_FN(clean, void *, arg)
{
    RTA_CONT_FRAME(clean, int64_t v;);
    F.v = (intptr_t)arg;
    RTA_CONT_YIELD();
    RTA_CONT_RETURN(F.v);
}

int main(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    /* Every call suspends once on this thread: each is one save here. */
    for (int i = 0; i < 2 * (int)RTA__CONT_CHECK_EVERY; i++) {
        rta_task *t = rta_cont_call(clean, (void *)(intptr_t)i);
        CHECK_EQ(rta_task_wait(t, NULL), i);
        rta_task_release(t);
    }
    int faulted = 0;
    for (int i = 0; i < 2 * (int)RTA__CONT_CHECK_EVERY; i++) {
        rta_task *t = rta_cont_call(holds_stack_ptr, NULL);
        rta_error *e = NULL;
        int64_t v = rta_task_wait(t, &e);
        if (e) {
            CHECK_EQ(rta_error_code(e), RTA_EINVALIDPROGRAM);
            CHECK(strstr(rta_error_message(e), "'holds_stack_ptr'") != NULL);
            rta_error_free(e);
            faulted++;
        } else {
            CHECK_EQ(v, 1);
        }
        rta_task_release(t);
    }
    CHECK_EQ(faulted, 2); /* exactly the sampled saves */
    rta_shutdown();
    return 0;
}
