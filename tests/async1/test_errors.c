/* Exceptions through async1 frames: synchronously (no suspension), across a
 * suspension (thrown after resuming; awaiting a faulted task rethrows), the
 * lowered try/catch around an await, and RTA_TRY inside a move-next. */
#include <rta.h>

#include "check.h"

#define ECODE (RTA_EUSER - 7)

static rta_task *g_gate; /* a promise the throwers may wait on first */

typedef struct thr_sm {
    rta_async1_sm hdr;
    int n, suspend;
    int64_t v;
    rta_vtask aw;
    rta_error *err;
} thr_sm;

/* Throws at depth 0, after awaiting g_gate when suspend is set; each level
 * awaits the level below. */
RTA_ASYNC1_METHOD(thrower, rta_vtask);
static void thrower_move_next(rta_async1_sm *m);
static rta_vtask thrower(int n, int suspend)
{
    thr_sm sm = {.n = n, .suspend = suspend};
    RTA_ASYNC1_START(thrower, &sm, thrower_move_next);
    return RTA_ASYNC1_TASK(thrower, &sm);
}
static void thrower_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(thrower, thr_sm, sm, m);
    if (sm->n == 0) {
        if (sm->suspend)
            RTA_AWAIT1(&rta_task_awaiter, g_gate, sm->v);
        rta_throw(ECODE, "boom at depth 0");
    }
    RTA_AWAIT1_VTASK(sm->aw, thrower(sm->n - 1, sm->suspend), sm->v);
    RTA_ASYNC1_RETURN(sm->v + 1); /* not reached */
    RTA_ASYNC1_END();
}

/* try { await thrower(...) } catch (e) { return code + 1000 } — lowered. */
RTA_ASYNC1_METHOD(catcher, rta_task *);
static void catcher_move_next(rta_async1_sm *m);
static rta_task *catcher(int n, int suspend)
{
    thr_sm sm = {.n = n, .suspend = suspend};
    RTA_ASYNC1_START(catcher, &sm, catcher_move_next);
    return RTA_ASYNC1_TASK(catcher, &sm);
}
static void catcher_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(catcher, thr_sm, sm, m);
    RTA_AWAIT1_VTASK_CATCH(sm->aw, thrower(sm->n, sm->suspend), sm->v, sm->err);
    if (sm->err) { /* the catch block, dispatched after the await */
        int code = rta_error_code(sm->err);
        rta_error_free(sm->err);
        sm->err = NULL;
        RTA_ASYNC1_RETURN(code == ECODE ? 1000 : -1);
    }
    /* Plain RTA_TRY works inside a move-next around code without awaits. */
    {
        volatile int caught = 0;
        RTA_TRY {
            rta_throw(ECODE, "local");
        }
        RTA_CATCH(e) {
            caught = rta_error_code(e) == ECODE;
        }
        RTA_END_TRY;
        RTA_ASYNC1_RETURN(caught ? sm->v : -2);
    }
    RTA_ASYNC1_END();
}

static bool trace_has(const rta_error *e, const char *fn)
{
    const char *names[64];
    size_t n = rta_error_trace(e, names, 64);
    for (size_t i = 0; i < n && i < 64; i++)
        if (names[i] && strcmp(names[i], fn) == 0)
            return true;
    return false;
}

int main(void)
{
    rta_config cfg = {.workers = 2};
    CHECK_OK(rta_init(&cfg));

    /* 1. Synchronous: the error unwinds through 5 frames; the outermost
     * method (called from plain code) faults its value task. */
    rta_vtask vt = thrower(5, 0);
    CHECK(!rta_vtask_is_immediate(vt));
    CHECK_EQ(rta_vtask_status(vt), RTA_FAULTED);
    rta_error *err = NULL;
    CHECK_EQ(rta_vtask_wait(vt, &err), 0);
    CHECK(err != NULL);
    CHECK_EQ(rta_error_code(err), ECODE);
    CHECK_STREQ(rta_error_message(err), "boom at depth 0");
    CHECK(trace_has(err, "thrower_move_next"));
    rta_error_free(err);

    /* 2. Across a suspension: the innermost awaits g_gate, every level
     * suspends; the error is thrown on a worker after resuming and each
     * level's await rethrows it. */
    g_gate = rta_promise_new();
    vt = thrower(5, 1);
    CHECK_EQ(rta_vtask_status(vt), RTA_PENDING);
    rta_promise_resolve(g_gate, 1);
    err = NULL;
    CHECK_EQ(rta_vtask_wait(vt, &err), 0);
    CHECK(err && rta_error_code(err) == ECODE);
    CHECK(trace_has(err, "thrower_move_next"));
    rta_error_free(err);
    rta_task_release(g_gate);

    /* 3. Awaiting a faulted promise after suspending rethrows inside the method. */
    g_gate = rta_promise_new();
    rta_task *t = catcher(3, 1);
    rta_promise_reject(g_gate, rta_error_new(ECODE, "rejected")); /* the inner await throws */
    CHECK_EQ(rta_task_wait(t, NULL), 1000);
    rta_task_release(t);
    rta_task_release(g_gate);

    /* 4. The lowered catch without a suspension. */
    t = catcher(2, 0);
    CHECK_EQ(rta_task_wait(t, NULL), 1000);
    rta_task_release(t);

    rta_shutdown();
    return 0;
}
