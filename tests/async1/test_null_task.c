/* async1 awaits of a NULL task handle (an unchecked failed call) fault the
 * method with -EINVAL naming the await, through every await form: the
 * generic awaiter, RTA_AWAIT1_TASK and a value task made from NULL. Never a
 * segfault. */
#include <rta.h>

#include <errno.h>

#include "check.h"

typedef struct n_sm {
    rta_async1_sm hdr;
    int form;
    int64_t v;
    rta_task *slot;
    rta_vtask aw;
    rta_error *err;
} n_sm;

static rta_task *null_task(void)
{
    return NULL;
}

RTA_ASYNC1_METHOD(awaits_null, rta_task *);
static void awaits_null_move_next(rta_async1_sm *m);
static rta_task *awaits_null(int form)
{
    n_sm sm = {.form = form};
    RTA_ASYNC1_START(awaits_null, &sm, awaits_null_move_next);
    return RTA_ASYNC1_TASK(awaits_null, &sm);
}
static void awaits_null_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(awaits_null, n_sm, sm, m);
    if (sm->form == 0)
        RTA_AWAIT1(&rta_task_awaiter, null_task(), sm->v);
    else if (sm->form == 1)
        RTA_AWAIT1_TASK(sm->slot, null_task(), sm->v);
    else if (sm->form == 2)
        RTA_AWAIT1_VTASK(sm->aw, rta_vtask_from_task(null_task()), sm->v);
    else {
        RTA_AWAIT1_TASK_CATCH(sm->slot, null_task(), sm->v, sm->err);
        CHECK(sm->err != NULL);
        CHECK_EQ(rta_error_code(sm->err), -EINVAL);
        rta_error_free(sm->err);
        sm->err = NULL;
        RTA_ASYNC1_RETURN(77);
    }
    RTA_ASYNC1_RETURN(sm->v + 1);
    RTA_ASYNC1_END();
}

int main(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    static const char *const names[] = {"rta_task_awaiter", "RTA_AWAIT1_TASK", "rta_vtask_awaiter"};
    for (int form = 0; form < 3; form++) {
        rta_task *t = awaits_null(form);
        CHECK(t != NULL);
        rta_error *err = NULL;
        CHECK_EQ(rta_task_wait(t, &err), 0);
        CHECK_EQ(rta_task_status(t), RTA_FAULTED);
        CHECK_EQ(rta_error_code(err), -EINVAL);
        CHECK(strstr(rta_error_message(err), names[form]) != NULL);
        CHECK(strstr(rta_error_message(err), "NULL task") != NULL);
        rta_error_free(err);
        rta_task_release(t);
    }
    rta_task *t = awaits_null(3);
    CHECK_EQ(rta_task_wait(t, NULL), 77);
    rta_task_release(t);

    /* The value-task calls on one made from NULL. */
    rta_vtask vt = rta_vtask_from_task(NULL);
    CHECK_EQ(rta_vtask_status(vt), RTA_FAULTED);
    errno = 0;
    CHECK(rta_vtask_as_task(vt) == NULL);
    CHECK_EQ(errno, EINVAL);
    rta_error *err = NULL;
    CHECK_EQ(rta_vtask_wait(vt, &err), 0);
    CHECK_EQ(rta_error_code(err), -EINVAL);
    CHECK(strstr(rta_error_message(err), "rta_vtask_wait") != NULL);
    rta_error_free(err);
    rta_shutdown();
    return 0;
}
