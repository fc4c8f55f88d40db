/* Rule 2, the translation-unit level of configure-await on every engine: this
 * file says RTA_CONFIGURE_AWAIT 0 before including rta.h, so every plain await
 * of the interpreters resumes directly even with a sync context or a
 * scheduler current; the interpreters' second instance says
 * RTA_CONFIGURE_AWAIT_FN(true) (SEM_FN2_CFG), which shadows it; a per-await
 * flag beats both. */
#define RTA_CONFIGURE_AWAIT 0
#define SEM_FN2_CFG true
#include "sem_engines.h"

static const sem_op fn_true[] = {
    {OP_YIELD, CFG_LEX, 0, 0, NULL},         /* counted */
    {OP_SLEEP, CFG_LEX, 0, 0, NULL},         /* counted */
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL}, /* counted */
    {OP_YIELD, CFG_F, 0, 0, NULL},           /* per await beats the function */
    SEM_END,
};
static const sem_op prog_ctx[] = {
    {OP_SET_SYNC, 1, 0, 0, NULL},
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL},
    {OP_YIELD, CFG_LEX, 0, 0, NULL},
    {OP_SLEEP, CFG_LEX, 0, 0, NULL},
    {OP_EXPECT_POSTED, 0, 0, 1, NULL}, /* the file's false */
    /* the caller's await of an async1 callee is the file's false: no extra post */
    {OP_CALL_FN2, 0, 0, 0, fn_true},
    {OP_EXPECT_POSTED, 3, 3, 1, NULL},
    {OP_YIELD, CFG_T, 0, 0, NULL},
    {OP_EXPECT_POSTED, 4, 4, 1, NULL},
    SEM_END,
};
static const sem_op prog_sched[] = {
    {OP_SET_SCHED, 2, 0, 0, NULL},
    {OP_AWAIT_PENDING, CFG_LEX, 0, 0, NULL},
    {OP_YIELD, CFG_LEX, 0, 0, NULL},
    {OP_EXPECT_POSTED, 0, 0, 2, NULL},
    {OP_CALL_FN2, 0, 0, 0, fn_true},
    {OP_EXPECT_POSTED, 3, 3, 2, NULL},
    {OP_SLEEP, CFG_T, 0, 0, NULL},
    {OP_EXPECT_POSTED, 4, 4, 2, NULL},
    SEM_END,
};

int main(void)
{
    sem_engines_init(2);
    CHECK_EQ(rta__configure_await, false);
    for (int e = 0; e < SEM_NENGINES; e++) {
        sem_run(e, "file-level-false/sync-ctx", prog_ctx);
        sem_run(e, "file-level-false/scheduler", prog_sched);
    }
    rta_shutdown();
    sem_engines_fini();
    printf("rule 2 (configure-await, three levels) holds on every engine\n");
    return 0;
}
