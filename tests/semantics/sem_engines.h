/*
 * The driver of the semantics suite: runs a program (sem_prog.h) as a root of
 * each engine, from the main thread, which drains the queues of the sync
 * contexts and schedulers the program sets. Included by exactly one file of
 * a test program (it defines the state the interpreters share); the test's
 * #defines of RTA_CONFIGURE_AWAIT and SEM_FN2_CFG are passed to its
 * interpreter builds too (tests/CMakeLists.txt).
 */
#ifndef RTA_TEST_SEM_ENGINES_H
#define RTA_TEST_SEM_ENGINES_H

#include "sem_prog.h"

sem_queue sem_q[3];
int sem_base[3];
rta_local *sem_key;
_Atomic int sem_made, sem_freed;
int sem_cur_engine;
const char *sem_prog_name;
_Atomic int sem_gate_armed;
_Atomic(rta_task *) sem_gate;

/* ---- the driver --------------------------------------------------------------------------- */

static void sem_engines_init(unsigned workers)
{
    sem_init(&sem_q[1]);
    sem_init(&sem_q[2]);
    CHECK((sem_key = rta_local_new(sem_val_free)) != NULL);
    sem_start(workers);
}

/* Runs program prog as a root of engine e, started from non-async code (the
 * main thread), draining both queues while it runs (the thread that owns the
 * sync contexts). */
static __attribute__((unused)) void sem_run(int e, const char *name, const sem_op *prog)
{
    sem_cur_engine = e;
    sem_prog_name = name;
    for (int i = 1; i < 3; i++)
        sem_base[i] = atomic_load(&sem_q[i].posted);
    rta_task *t = e == SEM_TASKLET ? sem_start_tasklet(prog)
                  : e == SEM_CONT  ? sem_start_cont(prog)
                                   : sem_start_async1(prog); /* starts right here, synchronously */
    CHECK(t);
    CHECK_EQ(sem_wait(t, &sem_q[1], &sem_q[2]), 0);
    rta_task_release(t);
    /* the root's context never reaches its starter */
    CHECK(rta_sync_ctx_current() == NULL);
    CHECK(rta_scheduler_current() == NULL);
    CHECK(rta_local_get(sem_key) == NULL);
    printf("  %-8s %s ok\n", sem_engine_name[e], name);
}

/* After rta_shutdown: every queued resumption ran, every value was destroyed. */
static void sem_engines_fini(void)
{
    for (int i = 1; i < 3; i++) {
        CHECK_EQ(atomic_load(&sem_q[i].posted), atomic_load(&sem_q[i].ran));
        sem_fini(&sem_q[i]);
    }
    CHECK_EQ(atomic_load(&sem_made), atomic_load(&sem_freed));
    rta_local_free(sem_key);
}

#endif
