/* Rule 3, TaskScheduler.Current, one program run against every engine: work
 * resumed after a suspension goes through the scheduler current at the await
 * (queue 1 = S1, 2 = S2); configure-await false bypasses it; an async2
 * callee's change is its caller's, an async1 method's is undone; it flows
 * into spawned roots; a sync context beats it. */
#include "sem_engines.h"

static const sem_op switch_to_s2[] = {
    {OP_SET_SCHED, 2, 0, 0, NULL}, /* no suspension: the caller's await does not suspend */
    SEM_END,
};
static const sem_op child[] = {
    {OP_EXPECT_SCHED, 1, 1, 0, NULL},
    {OP_YIELD, CFG_LEX, 0, 0, NULL}, /* through S1 */
    SEM_END,
};
static const sem_op prog[] = {
    {OP_EXPECT_SCHED, 0, 0, 0, NULL},
    {OP_SET_SCHED, 1, 0, 0, NULL},
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL},
    {OP_EXPECT_POSTED, 1, 1, 1, NULL},
    {OP_EXPECT_SCHED, 1, 1, 0, NULL},
    {OP_AWAIT_PENDING, CFG_F, 0, 0, NULL},
    {OP_EXPECT_POSTED, 1, 1, 1, NULL},
    {OP_YIELD, CFG_LEX, 0, 0, NULL},
    {OP_SLEEP, CFG_LEX, 0, 0, NULL},
    {OP_EXPECT_POSTED, 3, 3, 1, NULL},
    {OP_CALL, 0, 0, 0, switch_to_s2},
    {OP_EXPECT_SCHED, 2, 1, 0, NULL},
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL}, /* async2: through S2; async1: S1 */
    {OP_EXPECT_POSTED, 3, 4, 1, NULL},
    {OP_EXPECT_POSTED, 1, 0, 2, NULL},
    {OP_SET_SCHED, 1, 0, 0, NULL},
    {OP_SPAWN, CFG_F, 0, 0, child},
    {OP_EXPECT_POSTED, 4, 5, 1, NULL},
    {OP_SET_SYNC, 2, 0, 0, NULL}, /* the sync context (queue 2) beats the scheduler S1 */
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL},
    {OP_EXPECT_POSTED, 4, 5, 1, NULL},
    {OP_EXPECT_POSTED, 2, 1, 2, NULL},
    {OP_SET_SYNC, 0, 0, 0, NULL},
    {OP_SET_SCHED, 0, 0, 0, NULL},
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL},
    {OP_EXPECT_POSTED, 4, 5, 1, NULL},
    {OP_EXPECT_POSTED, 2, 1, 2, NULL},
    SEM_END,
};

int main(void)
{
    sem_engines_init(3);
    for (int e = 0; e < SEM_NENGINES; e++)
        for (int round = 0; round < 2; round++)
            sem_run(e, "scheduler", prog);
    rta_shutdown();
    sem_engines_fini();
    printf("rule 3 (schedulers) holds on every engine\n");
    return 0;
}
