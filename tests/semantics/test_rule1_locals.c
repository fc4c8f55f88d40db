/* Rule 1, async locals, one program run against every engine: a value set in
 * an async2 callee (after a suspension) is its caller's when it returns; not
 * behind a thunk (a spawned root of the same engine); not out of an async1
 * method (the async1 engine: every call is a method boundary that restores);
 * values flow into spawned roots and across every kind of suspension. The
 * values are counted: each is destroyed exactly once, after no context can
 * see it (ASan/valgrind catch a map used after its release). */
#include "sem_engines.h"

static const sem_op child[] = {
    {OP_EXPECT_LOCAL, 2, 1, 0, NULL}, /* flowed in from the spawner */
    {OP_SET_LOCAL, 99, 0, 0, NULL},     {OP_YIELD, CFG_LEX, 0, 0, NULL},
    {OP_EXPECT_LOCAL, 99, 99, 0, NULL}, SEM_END,
};
static const sem_op callee_sets_2[] = {
    {OP_EXPECT_LOCAL, 1, 1, 0, NULL}, /* flows down */
    {OP_YIELD, CFG_LEX, 0, 0, NULL},  /* the change comes after a suspension */
    {OP_SET_LOCAL, 2, 0, 0, NULL},    {OP_EXPECT_LOCAL, 2, 2, 0, NULL}, SEM_END,
};
static const sem_op callee_sets_3_sync[] = {
    {OP_SET_LOCAL, 3, 0, 0, NULL}, /* no suspension at all */
    SEM_END,
};
static const sem_op callee_clears[] = {
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL},
    {OP_SET_LOCAL, 0, 0, 0, NULL},
    SEM_END,
};
static const sem_op prog[] = {
    {OP_EXPECT_IN_ASYNC, 1, 0, 0, NULL}, /* async1 code is not async2 code */
    {OP_EXPECT_LOCAL, -1, -1, 0, NULL},
    {OP_SET_LOCAL, 1, 0, 0, NULL},
    {OP_CALL, 0, 0, 0, callee_sets_2},
    {OP_EXPECT_LOCAL, 2, 1, 0, NULL}, /* async2: the callee's; async1: restored */
    {OP_SLEEP, CFG_LEX, 0, 0, NULL},
    {OP_EXPECT_LOCAL, 2, 1, 0, NULL}, /* survives a sleep */
    {OP_EXPECT_IN_ASYNC, 1, 0, 0, NULL},
    {OP_SPAWN, 0, CFG_LEX, 0, child},
    {OP_EXPECT_LOCAL, 2, 1, 0, NULL}, /* nothing flows back out of a thunk */
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL},
    {OP_YIELD, CFG_F, 0, 0, NULL},
    {OP_EXPECT_LOCAL, 2, 1, 0, NULL}, /* survives an await and a yield */
    {OP_CALL_FN2, 0, 0, 0, callee_sets_3_sync},
    {OP_EXPECT_LOCAL, 3, 1, 0, NULL},
    {OP_CALL, 0, 0, 0, callee_clears},
    {OP_EXPECT_LOCAL, -1, 1, 0, NULL},
    {OP_SET_LOCAL, 0, 0, 0, NULL},
    {OP_EXPECT_LOCAL, -1, -1, 0, NULL},
    {OP_SET_LOCAL, 5, 0, 0, NULL}, /* left set: dies with the root's context */
    SEM_END,
};

int main(void)
{
    sem_engines_init(3);
    for (int e = 0; e < SEM_NENGINES; e++)
        for (int round = 0; round < 3; round++)
            sem_run(e, "locals", prog);
    rta_shutdown();
    sem_engines_fini();
    printf("rule 1 (async locals) holds on every engine: %d values made and destroyed\n",
           atomic_load(&sem_made));
    return 0;
}
