/*
 * The interpreter of the semantics suite's programs (sem_prog.h), one async2
 * source: rtac builds it for every engine, twice per engine
 * (tests/CMakeLists.txt): the plain instance, sem_interp_plain, under the
 * file's configure-await (the test's RTA_CONFIGURE_AWAIT), and with
 * SEM_INSTANCE_FN2 the instance sem_interp_fn2, whose first statement is
 * RTA_CONFIGURE_AWAIT_FN(SEM_FN2_CFG). Every CFG_LEX await below is the
 * plain call, so it sees exactly that lexical setting. Each instance calls
 * the other through its RTA_ASYNC prototype (an await, across files). The
 * plain build also defines the engine's sem_start_<engine>.
 */
#include "sem_prog.h"

#if defined(RTAC_ENGINE_TASKLET)
#define SEM_E SEM_TASKLET
#define SEM_START sem_start_tasklet
#elif defined(RTAC_ENGINE_CONT)
#define SEM_E SEM_CONT
#define SEM_START sem_start_cont
#else
#define SEM_E SEM_ASYNC1
#define SEM_START sem_start_async1
#endif

#ifndef SEM_FN2_CFG
#define SEM_FN2_CFG false
#endif

RTA_ASYNC int64_t sem_interp_plain(void *arg);
RTA_ASYNC int64_t sem_interp_fn2(void *arg);

#ifdef SEM_INSTANCE_FN2
RTA_ASYNC int64_t sem_interp_fn2(void *arg)
{
    RTA_CONFIGURE_AWAIT_FN(SEM_FN2_CFG);
#else
RTA_ASYNC int64_t sem_interp_plain(void *arg)
{
#endif
    for (const sem_op *op = arg; op->code != OP_END; op++) {
        if (sem_step(SEM_E, op))
            continue;
        switch (op->code) {
        case OP_YIELD:
            if (op->a == CFG_LEX)
                rta_yield();
            else
                rta_yield_cfg(sem_cfg(op->a));
            break;
        case OP_SLEEP:
        case OP_AWAIT_PENDING:
        case OP_AWAIT_DONE: {
            if (op->code == OP_SLEEP && SEM_E != SEM_ASYNC1) {
                if (op->a == CFG_LEX)
                    rta_sleep_ms(1);
                else
                    rta_sleep_ms_cfg(1, sem_cfg(op->a));
                break;
            }
            /* async1's sleep is an await of Task.Delay, which a loaded
             * machine may let fire before the await looks at it: taken
             * without suspending, as in C#, where the programs count a
             * suspension (a post). So async1 sleeps on a promise resolved
             * only once its await has suspended (sem_pending), as the
             * hand-lowered interpreter did; the constant test folds. */
            rta_task *t = op->code == OP_AWAIT_DONE ? rta_task_from_value(7) : sem_pending();
            CHECK(t);
            int64_t v = op->a == CFG_LEX ? rta_await(t) : rta_await_cfg(t, sem_cfg(op->a));
            CHECK_EQ(v, 7);
            rta_task_release(t);
            break;
        }
        case OP_CALL:
            sem_interp_plain((void *)op->sub);
            break;
        case OP_CALL_FN2:
            sem_interp_fn2((void *)op->sub);
            break;
        case OP_SPAWN: {
            sem_gate_arm();
            rta_task *t = sem_gate_set(rta_spawn(sem_interp_plain, (void *)op->sub));
            CHECK(t);
            int64_t v = op->a == CFG_LEX ? rta_await(t) : rta_await_cfg(t, sem_cfg(op->a));
            CHECK_EQ(v, 0);
            sem_gate_clear();
            rta_task_release(t);
            break;
        }
        default:
            sem_fail(op, "unknown op");
        }
    }
    return 0;
}

#ifndef SEM_INSTANCE_FN2
rta_task *SEM_START(const sem_op *prog)
{
    return rta_spawn(sem_interp_plain, (void *)prog);
}
#endif
