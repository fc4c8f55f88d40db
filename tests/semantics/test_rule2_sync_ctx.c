/* Rule 2, the sync context, one program run against every engine: after an
 * await that suspended, code resumes through the sync context current just
 * before the await (one post per suspension, none for a completed await);
 * configure-await false per await and per function (RTA_CONFIGURE_AWAIT_FN,
 * the interpreter's second instance) resumes directly, a per-await true beats
 * a function's false; the file level is test_rule2_cfg_file.c. The async2
 * difference: a callee's change of the sync context is its caller's (which
 * then resumes through it); out of an async1 method it is undone. async1
 * counts differ where each async1 level resumes on its own: a callee that
 * suspended makes its awaiting caller suspend (and post) too. The sync
 * context beats a scheduler and flows into spawned roots. Queue 1 = A, 2 = B. */
#include "sem_engines.h"

static const sem_op fn_false_body[] = {
    {OP_YIELD, CFG_LEX, 0, 0, NULL},         /* the function's false: direct */
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL}, /* direct */
    {OP_YIELD, CFG_T, 0, 0, NULL},           /* per await beats per function: A */
    {OP_EXPECT_SYNC, 1, 1, 0, NULL},         SEM_END,
};
static const sem_op switch_to_b[] = {
    {OP_YIELD, CFG_LEX, 0, 0, NULL}, /* through A */
    {OP_SET_SYNC, 2, 0, 0, NULL},    /* and not restored */
    SEM_END,
};
static const sem_op child[] = {
    {OP_EXPECT_SYNC, 1, 1, 0, NULL}, /* flowed in */
    {OP_SET_SYNC, 2, 0, 0, NULL},    /* stays in the child */
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL},
    SEM_END,
};
static const sem_op prog[] = {
    {OP_EXPECT_SYNC, 0, 0, 0, NULL},
    {OP_SET_SYNC, 1, 0, 0, NULL},
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL},
    {OP_EXPECT_POSTED, 1, 1, 1, NULL},
    {OP_EXPECT_SYNC, 1, 1, 0, NULL}, /* the resumption does not reset it */
    {OP_YIELD, CFG_LEX, 0, 0, NULL},
    {OP_SLEEP, CFG_LEX, 0, 0, NULL},
    {OP_EXPECT_POSTED, 3, 3, 1, NULL},
    {OP_AWAIT_DONE, CFG_LEX, 0, 0, NULL}, /* completed: no suspension, no post */
    {OP_EXPECT_POSTED, 3, 3, 1, NULL},
    /* configure-await false per await */
    {OP_AWAIT_PENDING, CFG_F, 0, 0, NULL},
    {OP_YIELD, CFG_F, 0, 0, NULL},
    {OP_SLEEP, CFG_F, 0, 0, NULL},
    {OP_EXPECT_POSTED, 3, 3, 1, NULL},
    {OP_AWAIT_PENDING, CFG_T, 0, 0, NULL},
    {OP_EXPECT_POSTED, 4, 4, 1, NULL},
    /* per function; async1: plus the caller's own resumption through A */
    {OP_CALL_FN2, 0, 0, 0, fn_false_body},
    {OP_EXPECT_POSTED, 5, 6, 1, NULL},
    /* the async2 difference */
    {OP_CALL, 0, 0, 0, switch_to_b},
    {OP_EXPECT_SYNC, 2, 1, 0, NULL}, /* async2: B is current now; async1: A restored */
    {OP_EXPECT_POSTED, 6, 8, 1, NULL},
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL}, /* async2 resumes through B, async1 through A */
    {OP_EXPECT_POSTED, 6, 9, 1, NULL},
    {OP_EXPECT_POSTED, 1, 0, 2, NULL},
    /* flows into a spawned root, whose change stays there; beats a scheduler */
    {OP_SET_SYNC, 1, 0, 0, NULL},
    {OP_SET_SCHED, 2, 0, 0, NULL},
    {OP_SPAWN, CFG_LEX, 0, 0, child},
    {OP_EXPECT_SYNC, 1, 1, 0, NULL},
    {OP_EXPECT_POSTED, 2, 1, 2, NULL},  /* the child's await, through its B */
    {OP_EXPECT_POSTED, 7, 10, 1, NULL}, /* our await of the child, through A (not the scheduler B) */
    {OP_SET_SYNC, 0, 0, 0, NULL},
    {OP_SET_SCHED, 0, 0, 0, NULL},
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL}, /* nothing current: directly */
    {OP_YIELD, CFG_T, 0, 0, NULL},
    {OP_EXPECT_POSTED, 7, 10, 1, NULL},
    {OP_EXPECT_POSTED, 2, 1, 2, NULL},
    SEM_END,
};

int main(void)
{
    sem_engines_init(2);
    CHECK_EQ(rta__configure_await, true); /* this file's default */
    for (int e = 0; e < SEM_NENGINES; e++)
        for (int round = 0; round < 2; round++)
            sem_run(e, "sync-ctx", prog);
    rta_shutdown();
    sem_engines_fini();
    printf("rule 2 (sync context, configure-await) holds on every engine\n");
    return 0;
}
