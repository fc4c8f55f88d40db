/* The public headers and every engine macro compile as C++17 (the README
 * promises C and C++ consumers): registered as cxx_macros_gxx / _clangxx,
 * each -fsyntax-only -Wall -Wextra -Werror with that compiler (the C
 * programs that run the same macros are tests/async1 and tests/cont). Each
 * await form, builder choice, handler form and a cont function with several
 * parameters is written once. */
#include <rta.h>

/* ---- cont ---------------------------------------------------------------------------- */

RTA_CONT_FN(cfib, int64_t, n, int, step, void *, unused)
{
    RTA_CONT_FRAME(cfib, int64_t n; int step; int64_t a; int64_t b;);
    (void)unused;
    F.n = n;
    F.step = step;
    if (F.n < 2) {
        RTA_CONT_YIELD();
        RTA_CONT_SLEEP_MS_CFG(0, false);
        RTA_CONT_RETURN(F.n);
    }
    RTA_CONT_CALL(F.a, cfib, F.n - F.step, F.step, NULL);
    RTA_CONT_CALL(F.b, cfib, F.n - 2, F.step, NULL);
    RTA_CONT_RETURN(F.a + F.b);
}

RTA_CONT_FN(croot, void *, arg)
{
    RTA_CONT_FRAME(croot, rta_task * t; rta_vtask vt; int64_t v; int64_t w;);
    F.t = rta_spawn(NULL, arg);
    RTA_CONT_AWAIT_TASK(F.v, F.t);
    RTA_CONT_AWAIT_TASK_RELEASE_CFG(F.w, F.t, true);
    F.vt = rta_vtask_from_value(3);
    RTA_CONT_AWAIT(F.w, &rta_vtask_awaiter, &F.vt);
    RTA_CONT_TRY {
        RTA_CONT_CALL(F.v, cfib, 10, 1, arg);
    }
    RTA_CONT_CATCH(e) {
        F.v = rta_error_code(e);
    }
    RTA_CONT_END_TRY;
    RTA_CONT_RETURN(F.v + F.w);
}

/* ---- async1 ---------------------------------------------------------------------------- */

typedef struct m_sm {
    rta_async1_sm hdr;
    int64_t x, v;
    rta_vtask vslot;
    rta_task *tslot;
    rta_error *err;
} m_sm;

RTA_ASYNC1_METHOD(vm, rta_vtask);
RTA_ASYNC1_METHOD(tm, rta_task *);
RTA_ASYNC1_METHOD(pm, rta_vtask, RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, 8));

static void vm_move_next(rta_async1_sm *m);
static rta_vtask vm(int64_t x)
{
    m_sm sm = {};
    sm.x = x;
    RTA_ASYNC1_START(vm, &sm, vm_move_next);
    return RTA_ASYNC1_TASK(vm, &sm);
}
static void vm_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(vm, m_sm, sm, m);
    RTA_AWAIT1_YIELD();
    RTA_AWAIT1_VTASK(sm->vslot, rta_vtask_from_value(sm->x), sm->v);
    RTA_AWAIT1_TASK_CFG(sm->tslot, rta_task_from_value(1), sm->v, false);
    RTA_AWAIT1(&rta_task_awaiter, rta_task_from_value(2), sm->v);
    RTA_AWAIT1_VTASK_CATCH(sm->vslot, rta_vtask_from_value(4), sm->v, sm->err);
    if (sm->err)
        rta_throw_error(sm->err);
    RTA_AWAIT1_TASK_CATCH(sm->tslot, rta_task_from_value(5), sm->v, sm->err);
    RTA_ASYNC1_RETURN(sm->v + 1);
    RTA_ASYNC1_END();
}

static void tm_move_next(rta_async1_sm *m);
static rta_task *tm(int64_t x)
{
    m_sm sm = {};
    sm.x = x;
    RTA_ASYNC1_START(tm, &sm, tm_move_next);
    return RTA_ASYNC1_TASK(tm, &sm);
}
static void tm_move_next(rta_async1_sm *m)
{
    RTA_CONFIGURE_AWAIT_FN(false);
    RTA_ASYNC1_BEGIN(tm, m_sm, sm, m);
    RTA_AWAIT1_VTASK(sm->vslot, vm(sm->x), sm->v);
    RTA_ASYNC1_RETURN(sm->v);
    RTA_ASYNC1_END();
}

static void pm_move_next(rta_async1_sm *m);
static rta_vtask pm(int64_t x)
{
    m_sm sm = {};
    sm.x = x;
    RTA_ASYNC1_START(pm, &sm, pm_move_next);
    return RTA_ASYNC1_TASK(pm, &sm);
}
static void pm_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(pm, m_sm, sm, m);
    RTA_AWAIT1_TASK(sm->tslot, tm(sm->x), sm->v);
    RTA_ASYNC1_RETURN(sm->v);
    RTA_ASYNC1_END();
}

/* ---- the rest of the API ------------------------------------------------------------------ */

int main()
{
    if (rta_init(NULL) != 0)
        return 1;
    rta_error *e = NULL;
    int64_t v = rta_vtask_wait(pm(1), &e);
    rta_task *t = rta_cont_spawn(croot, NULL);
    v += rta_task_wait(t, &e);
    rta_task_release(t);
    rta_async1_stats st;
    RTA_ASYNC1_STATS(pm, &st);
    RTA_TRY {
        v += rta_vtask_status(vm(2));
    }
    RTA_CATCH(err) {
        v += rta_error_code(err);
    }
    RTA_END_TRY;
    rta_error_free(e);
    rta_shutdown();
    return v == 0;
}
