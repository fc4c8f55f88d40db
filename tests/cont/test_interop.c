/* Cont code next to the rest of the runtime: a promise resolved from a
 * foreign pthread resumes cont code on a worker; a cont function awaits a
 * tasklet task; tasklet code calls a cont function through the thunk and
 * awaits its task; cont code started from a tasklet resumes on the workers. */
#include <pthread.h>
#include <rta.h>
#include <unistd.h>

#include "check.h"

static void *resolver(void *arg)
{
    usleep(20000);
    CHECK(rta_promise_resolve(arg, 7));
    return NULL;
}

RTA_CONT_FN(await_foreign, void *, arg)
{
    RTA_CONT_FRAME(await_foreign, rta_task * p; int64_t r; int64_t add; pthread_t th;);
    F.add = (int64_t)(intptr_t)arg; /* parameters are zero after a resume: keep it in F */
    F.p = rta_promise_new();
    CHECK(F.p != NULL);
    CHECK_OK(pthread_create(&F.th, NULL, resolver, F.p));
    RTA_CONT_AWAIT_TASK(F.r, F.p);
    CHECK(rta_in_async()); /* cont frames are async2 code (not tasklet code, though) */
    CHECK_OK(pthread_join(F.th, NULL));
    rta_task_release(F.p);
    RTA_CONT_RETURN(F.r + F.add);
}

static int64_t tasklet_child(void *arg)
{
    rta_sleep_ms(2);
    return (int64_t)(intptr_t)arg * 3;
}

RTA_CONT_FN(await_tasklet, void *, arg)
{
    RTA_CONT_FRAME(await_tasklet, rta_task * t; int64_t r;);
    F.t = rta_spawn(tasklet_child, arg);
    CHECK(F.t != NULL);
    RTA_CONT_AWAIT_TASK(F.r, F.t);
    rta_task_release(F.t);
    RTA_CONT_RETURN(F.r + 1);
}

RTA_CONT_FN(cont_child, int64_t, x)
{
    RTA_CONT_FRAME(cont_child, int64_t x;);
    F.x = x;
    RTA_CONT_SLEEP_MS(1);
    RTA_CONT_YIELD();
    RTA_CONT_RETURN(F.x * 10);
}

RTA_CONT_FN(cont_entry, void *, arg)
{
    RTA_CONT_FRAME(cont_entry, int64_t r;);
    RTA_CONT_CALL(F.r, cont_child, (int64_t)(intptr_t)arg);
    RTA_CONT_RETURN(F.r);
}

/* Tasklet code: thunk into cont code, await its task, also await a cont task
 * that awaits a tasklet task. */
static int64_t tasklet_parent(void *arg)
{
    (void)arg;
    rta_task *c = rta_cont_call(cont_entry, (void *)4);
    int64_t v = rta_await(c);
    rta_task_release(c);
    rta_task *d = rta_cont_spawn(await_tasklet, (void *)5);
    v += rta_await(d);
    rta_task_release(d);
    return v;
}

int main(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 3}));

    rta_task *t = rta_cont_call(await_foreign, (void *)100);
    CHECK_EQ(rta_task_wait(t, NULL), 107);
    rta_task_release(t);

    t = rta_cont_spawn(await_tasklet, (void *)2);
    CHECK_EQ(rta_task_wait(t, NULL), 7);
    rta_task_release(t);

    t = rta_spawn(tasklet_parent, NULL);
    CHECK_EQ(rta_task_wait(t, NULL), 40 + 16);
    rta_task_release(t);

    rta_shutdown();
    return 0;
}
