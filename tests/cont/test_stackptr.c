/* The documented exception: pointers to locals do not survive a suspension
 * in the cont engine. A build without NDEBUG detects a saved frame holding a
 * pointer into the stack the chain is leaving and faults the task with
 * RTA_EINVALIDPROGRAM naming the function; pointers into memory that stays
 * (the heap, the thunk caller's stack) are fine. */
#undef NDEBUG
#include <rta.h>

#include "check.h"

/* Holds &local in F across an await: wrong in this engine. */
RTA_CONT_FN(holds_stack_ptr, void *, arg)
{
    RTA_CONT_FRAME(holds_stack_ptr, int64_t * p; int64_t r;);
    int64_t local = 5;
    (void)arg;
    F.p = &local;
    RTA_CONT_YIELD();
    RTA_CONT_RETURN(*F.p); /* never reached: the task faulted at the yield */
}

/* The same one level down, with a clean caller. */
RTA_CONT_FN(clean_caller, void *, arg)
{
    RTA_CONT_FRAME(clean_caller, int64_t r;);
    RTA_CONT_CALL(F.r, holds_stack_ptr, arg);
    RTA_CONT_RETURN(F.r);
}

/* Pointers to the heap and to the caller's live stack are fine. */
RTA_CONT_FN(holds_ok_ptrs, void *, arg)
{
    RTA_CONT_FRAME(holds_ok_ptrs, int64_t * outer; int64_t * heap; int64_t r;);
    F.outer = arg;
    F.heap = malloc(sizeof *F.heap);
    CHECK(F.heap != NULL);
    *F.heap = 30;
    RTA_CONT_YIELD();
    F.r = *F.heap + *F.outer;
    free(F.heap);
    RTA_CONT_RETURN(F.r);
}

int main(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));

    rta_task *t = rta_cont_call(holds_stack_ptr, NULL);
    rta_error *e = NULL;
    CHECK_EQ(rta_task_wait(t, &e), 0);
    CHECK_EQ(rta_task_status(t), RTA_FAULTED);
    CHECK_EQ(rta_error_code(e), RTA_EINVALIDPROGRAM);
    CHECK(strstr(rta_error_message(e), "'holds_stack_ptr'") != NULL);
    rta_error_free(e);
    rta_task_release(t);

    /* Detected also when the suspension comes from a resumed frame on a worker. */
    t = rta_cont_spawn(clean_caller, NULL);
    CHECK_EQ(rta_task_wait(t, &e), 0);
    CHECK_EQ(rta_error_code(e), RTA_EINVALIDPROGRAM);
    CHECK(strstr(rta_error_message(e), "'holds_stack_ptr'") != NULL);
    rta_error_free(e);
    rta_task_release(t);

    int64_t mine = 12; /* main's frame outlives the task: not the stack being left */
    t = rta_cont_call(holds_ok_ptrs, &mine);
    CHECK_EQ(rta_task_wait(t, &e), 42);
    CHECK(e == NULL);
    rta_task_release(t);

    rta_shutdown();
    return 0;
}
