/* A cont yield goes through the worker's run queue (docs/cont.md): after a
 * yield, every other task queued on the worker runs before the yielder
 * again. The dispatch of a cont root runs the next cont dispatch the queue
 * gives it (rta__sched_requeue_local) without returning to the worker loop;
 * this checks that it takes the queue's front and not itself: on one
 * worker, two cont roots and a tasklet that yield in a loop take turns (no
 * task runs twice in a row while the others still run), whichever of them
 * is at the front. */
#include <rta.h>
#include <sched.h>
#include <stdatomic.h>

#include "check.h"

enum { NTASKS = 4, STEPS = 200 };

static _Atomic int started; /* tasks that ran: all in the worker's FIFO */
static _Atomic int go;      /* set once every task has started */
static int log_ids[NTASKS * STEPS];
static int log_len;           /* one worker: written by one thread at a time */
static int running = NTASKS;  /* tasks not finished yet */
static int full_rounds_error; /* a task ran twice in a row while all ran */

static void step(int id)
{
    if (running == NTASKS && log_len > 0 && log_ids[log_len - 1] == id)
        full_rounds_error = 1;
    log_ids[log_len++] = id;
}

RTA_CONT_FN(cont_loop, void *, arg)
{
    RTA_CONT_FRAME(cont_loop, int id; int i;);
    F.id = (int)(intptr_t)arg;
    atomic_fetch_add(&started, 1);
    while (!atomic_load(&go))
        RTA_CONT_YIELD();
    for (F.i = 0; F.i < STEPS; F.i++) {
        step(F.id);
        RTA_CONT_YIELD();
    }
    running--;
    RTA_CONT_RETURN(0);
}

static int64_t tasklet_loop(void *arg)
{
    int id = (int)(intptr_t)arg;
    atomic_fetch_add(&started, 1);
    while (!atomic_load(&go))
        rta_yield();
    for (int i = 0; i < STEPS; i++) {
        step(id);
        rta_yield();
    }
    running--;
    return 0;
}

int main(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 1}));
    rta_task *t[NTASKS];
    /* Two cont roots next to each other in the queue, then a tasklet
     * between cont roots: both kinds of front follow a cont yield. */
    t[0] = rta_cont_spawn(cont_loop, (void *)0);
    t[1] = rta_cont_spawn(cont_loop, (void *)1);
    t[2] = rta_spawn(tasklet_loop, (void *)2);
    t[3] = rta_cont_spawn(cont_loop, (void *)3);
    for (int i = 0; i < NTASKS; i++)
        CHECK(t[i] != NULL);
    /* Not timed: until every task yields in the worker's queue (a spawn
     * from here goes through the inbox or the global queue first). */
    while (atomic_load(&started) < NTASKS)
        sched_yield();
    atomic_store(&go, 1);
    for (int i = 0; i < NTASKS; i++) {
        CHECK_OK(rta_task_wait(t[i], NULL));
        CHECK_EQ(rta_task_status(t[i]), RTA_SUCCEEDED);
        rta_task_release(t[i]);
    }
    CHECK_EQ(log_len, NTASKS * STEPS);
    CHECK_EQ(full_rounds_error, 0);
    /* Every task's steps are spread over the whole run: the first round
     * holds each task once. */
    int seen[NTASKS] = {0};
    for (int i = 0; i < NTASKS; i++)
        seen[log_ids[i]]++;
    for (int i = 0; i < NTASKS; i++)
        CHECK_EQ(seen[i], 1);
    rta_shutdown();
    return 0;
}
