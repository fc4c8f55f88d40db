/*
 * The programs of the semantics suite and what its interpreter and driver
 * share (sem_engines.h: the driver; sem_interp.c: the interpreter).
 *
 * A test body is a *program*: an array of sem_op ending in OP_END. One
 * interpreter, an async2 source (sem_interp.c), is compiled by rtac for each
 * engine (tasklet, cont, async1; tests/CMakeLists.txt), so every await, call
 * and spawn in the program is a real await, call or spawn of the engine
 * under test, lowered as rtac lowers any program:
 *
 *   OP_CALL sub       an async2 call of the interpreter of the same engine:
 *                     tasklet a direct C call, cont a cont call; async1
 *                     awaits the callee method's task: async1 has no async2
 *                     call, every call is a method boundary;
 *   OP_CALL_FN2 sub   the same into the second instance of the interpreter,
 *                     whose function-level configure-await is SEM_FN2_CFG
 *                     (RTA_CONFIGURE_AWAIT_FN, its first statement);
 *   OP_SPAWN sub,cfg  a new root of the same engine (rta_spawn: a tasklet,
 *                     rta_cont_spawn, the async1 stub), awaited;
 *   OP_YIELD, OP_SLEEP, OP_AWAIT_PENDING (a promise resolved later by a
 *   helper task), OP_AWAIT_DONE (a completed task): awaits, with a
 *   configure-await of CFG_LEX (the plain call: whatever is lexically
 *   visible in the interpreter, the file's RTA_CONFIGURE_AWAIT or the
 *   instance's function-level setting), CFG_T or CFG_F (the _cfg form).
 *
 * Expectations carry two values: a for the async2 engines (tasklet, cont)
 * and b for async1, where the spec says they differ (async1 restores locals
 * and the sync context at its boundary, and each async1 level resumes on
 * its own).
 */
#ifndef RTA_TEST_SEM_PROG_H
#define RTA_TEST_SEM_PROG_H

#include "sem.h"

#include <stdarg.h>

enum sem_engine { SEM_TASKLET, SEM_CONT, SEM_ASYNC1, SEM_NENGINES };
static const char *const sem_engine_name[SEM_NENGINES] = {"tasklet", "cont", "async1"};

enum { CFG_LEX = 0, CFG_T, CFG_F };

enum sem_code {
    OP_END = 0,
    OP_SET_LOCAL,       /* a: value (0 clears) */
    OP_EXPECT_LOCAL,    /* a / b: value expected (-1: unset) */
    OP_SET_SYNC,        /* a: queue (0: none) */
    OP_EXPECT_SYNC,     /* a / b: queue expected current */
    OP_SET_SCHED,       /* a: queue (0: none) */
    OP_EXPECT_SCHED,    /* a / b */
    OP_EXPECT_POSTED,   /* c: queue; a / b: posts to it since the root started */
    OP_EXPECT_IN_ASYNC, /* a / b: rta_in_async() */
    OP_YIELD,           /* a: cfg */
    OP_SLEEP,           /* a: cfg */
    OP_AWAIT_PENDING,   /* a: cfg */
    OP_AWAIT_DONE,      /* a: cfg */
    OP_CALL,            /* sub */
    OP_CALL_FN2,        /* sub */
    OP_SPAWN,           /* sub; a: cfg of the await of its task */
};

typedef struct sem_op {
    int code;
    int a, b, c;
    const struct sem_op *sub;
} sem_op;

#define SEM_END                                                                                              \
    {                                                                                                        \
        OP_END, 0, 0, 0, NULL                                                                                \
    }

/* ---- shared state ---------------------------------------------------------------------- */

/* Defined once, by the test (sem_engines.h), read by every interpreter. */
extern sem_queue sem_q[3]; /* [1], [2]: the queues a program names (sync ctx and scheduler) */
extern int sem_base[3];    /* posts to each queue when the current root started */
extern rta_local *sem_key;
extern _Atomic int sem_made, sem_freed;
extern int sem_cur_engine;
extern const char *sem_prog_name;

typedef struct sem_val {
    int v;
} sem_val;

static inline void sem_val_free(void *p)
{
    atomic_fetch_add(&sem_freed, 1);
    free(p);
}

static inline int sem_local(void)
{
    sem_val *x = rta_local_get(sem_key);
    return x ? x->v : -1;
}

static inline int sem_which_sync(void)
{
    rta_sync_ctx *c = rta_sync_ctx_current();
    for (int i = 1; i < 3; i++)
        if (c == &sem_q[i].ctx)
            return i;
    CHECK(c == NULL);
    return 0;
}

static inline int sem_which_sched(void)
{
    rta_scheduler *s = rta_scheduler_current();
    for (int i = 1; i < 3; i++)
        if (s == &sem_q[i].sched)
            return i;
    CHECK(s == NULL);
    return 0;
}

static inline __attribute__((noreturn, format(printf, 2, 3))) void sem_fail(const sem_op *op, const char *fmt,
                                                                            ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%s engine, program %s, op code %d] ", sem_engine_name[sem_cur_engine], sem_prog_name,
            op->code);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* The expected value of op for engine e. */
static inline int sem_want(const sem_op *op, int e)
{
    return e == SEM_ASYNC1 ? op->b : op->a;
}

/* The operations that do not await, the same for every engine. Returns 0 for
 * an op the engine's interpreter must do itself. */
static inline int sem_step(int e, const sem_op *op)
{
    int got;
    switch (op->code) {
    case OP_SET_LOCAL:
        if (op->a) {
            sem_val *x = malloc(sizeof *x);
            CHECK(x);
            x->v = op->a;
            atomic_fetch_add(&sem_made, 1);
            rta_local_set(sem_key, x);
        } else {
            rta_local_set(sem_key, NULL);
        }
        return 1;
    case OP_EXPECT_LOCAL:
        if ((got = sem_local()) != sem_want(op, e))
            sem_fail(op, "local is %d, expected %d", got, sem_want(op, e));
        return 1;
    case OP_SET_SYNC:
        rta_sync_ctx_set(op->a ? &sem_q[op->a].ctx : NULL);
        return 1;
    case OP_EXPECT_SYNC:
        if ((got = sem_which_sync()) != sem_want(op, e))
            sem_fail(op, "sync context is %d, expected %d", got, sem_want(op, e));
        return 1;
    case OP_SET_SCHED:
        rta_scheduler_set(op->a ? &sem_q[op->a].sched : NULL);
        return 1;
    case OP_EXPECT_SCHED:
        if ((got = sem_which_sched()) != sem_want(op, e))
            sem_fail(op, "scheduler is %d, expected %d", got, sem_want(op, e));
        return 1;
    case OP_EXPECT_POSTED:
        got = atomic_load(&sem_q[op->c].posted) - sem_base[op->c];
        if (got != sem_want(op, e))
            sem_fail(op, "%d posts to queue %d, expected %d", got, op->c, sem_want(op, e));
        return 1;
    case OP_EXPECT_IN_ASYNC:
        if ((int)rta_in_async() != sem_want(op, e))
            sem_fail(op, "rta_in_async() is %d, expected %d", (int)rta_in_async(), sem_want(op, e));
        return 1;
    default:
        return 0;
    }
}

/* ---- helpers the interpreters await ------------------------------------------------------ */

/*
 * The spawn gate. OP_SPAWN expects its await of the child to suspend (one
 * post when it resumes), so the child must not finish before the parent has
 * suspended on it. The child's own awaits finish only through a resolver
 * below, and sem_wait_awaited on the child's promise alone did not order them
 * after the parent's await: a parent preempted between its spawn and its
 * await (a loaded machine) found the child done, rightly posted nothing, and
 * the count read "6 posts to queue 1, expected 7" (semantics_rule2_sync_ctx,
 * 9 of 300 runs). A test race, not the rule's: an await of a completed task
 * must not post. So while a spawn is awaited (sem_gate_armed), resolvers also
 * wait until the child task (sem_gate, stored once the spawn returns) has its
 * awaiter registered. One program runs at a time, so one gate suffices.
 */
extern _Atomic int sem_gate_armed;
extern _Atomic(rta_task *) sem_gate;

static inline void sem_gate_arm(void)
{
    atomic_store(&sem_gate_armed, 1);
}

static inline rta_task *sem_gate_set(rta_task *child)
{
    atomic_store(&sem_gate, child);
    return child;
}

static inline void sem_gate_clear(void)
{
    atomic_store(&sem_gate, NULL);
    atomic_store(&sem_gate_armed, 0);
}

static inline int64_t sem_resolve_later(void *arg)
{
    sem_wait_awaited(arg); /* resolve only once the await has suspended */
    if (atomic_load(&sem_gate_armed)) {
        rta_task *g;
        for (int i = 0; (g = atomic_load(&sem_gate)) == NULL; i++) {
            CHECK(i < 60000); /* a minute: the spawn never returned */
            rta_sleep_ms_cfg(1, false);
        }
        sem_wait_awaited(g); /* the parent suspended on its child */
    }
    CHECK(rta_promise_resolve(arg, 7));
    rta_task_release(arg);
    return 0;
}

/* A task that completes (with 7) a few milliseconds from now; the caller owns it. */
static inline rta_task *sem_pending(void)
{
    rta_task *p = rta_promise_new();
    CHECK(p);
    rta_task_retain(p); /* the resolver's */
    rta_task *r = rta_spawn(sem_resolve_later, p);
    CHECK(r);
    rta_task_release(r);
    return p;
}

static inline bool sem_cfg(int cfg)
{
    return cfg == CFG_T;
}

/* Each engine's build of sem_interp.c starts prog as a root of that
 * engine, from non-async code (the async1 method starts right there). */
rta_task *sem_start_tasklet(const sem_op *prog);
rta_task *sem_start_cont(const sem_op *prog);
rta_task *sem_start_async1(const sem_op *prog);

#endif
