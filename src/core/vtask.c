/*
 * Value tasks (include/rta/vtask.h), every engine's: the reusable source core
 * (token checks), the value-task awaiter, and the ways code that is not an
 * async1 method consumes a value task (a tasklet awaits through
 * rta_vtask_await, in the tasklet engine, on top of the awaiter here). The
 * async1 engine's pooled box is one source built on the core
 * (src/engine/async1/vtask.c).
 *
 * Token rules of rta_vtask_core (the only defence a pooled object has against
 * being used through an old handle):
 *  - version is the token of the operation in flight; reset moves it on.
 *  - consumed is (token + 1) of the last operation whose result was taken.
 *  - A token that equals consumed - 1 was already awaited: RTA_EDOUBLEAWAIT.
 *    Any other token that is not the version is stale: RTA_ESTALE.
 *  - A second waiter registered for one operation (two concurrent awaits) is
 *    run at once and marks the operation; a get_result that finds the
 *    operation pending and marked reports RTA_EDOUBLEAWAIT. The first waiter
 *    is run by the completion as usual.
 */
#include "internal.h"

#include <errno.h>

#define CORE_DONE ((rta_waiter *)(uintptr_t)1)

/* ---- the core ------------------------------------------------------------------------- */

void rta_vtask_core_init(rta_vtask_core *c)
{
    c->version = 0;
    c->consumed = 0;
    c->cont = NULL;
    c->status = RTA_PENDING;
    c->double_await = 0;
    c->value = 0;
    c->error = NULL;
}

void rta_vtask_core_fini(rta_vtask_core *c)
{
    rta_error_free(c->error);
    c->error = NULL;
}

uint32_t rta_vtask_core_reset(rta_vtask_core *c)
{
    if (c->error) {
        rta_error_free(c->error);
        c->error = NULL;
    }
    c->value = 0;
    c->double_await = 0;
    __atomic_store_n(&c->status, RTA_PENDING, __ATOMIC_RELAXED);
    __atomic_store_n(&c->cont, NULL, __ATOMIC_RELAXED);
    /* The source's owner is the only writer of version (it resets between
     * operations, when nobody holds a current token), so a load and a
     * release store replace a locked read-modify-write: holders of old tokens
     * only read it. Release: whoever sees the new version sees the reset
     * fields. */
    uint32_t v = __atomic_load_n(&c->version, __ATOMIC_RELAXED) + 1;
    __atomic_store_n(&c->version, v, __ATOMIC_RELEASE);
    return v;
}

uint32_t rta_vtask_core_version(const rta_vtask_core *c)
{
    return __atomic_load_n(&c->version, __ATOMIC_ACQUIRE);
}

/* 0 when token is current, else the error code to report. */
static int check_token(rta_vtask_core *c, uint32_t token)
{
    uint32_t consumed = __atomic_load_n(&c->consumed, __ATOMIC_ACQUIRE);
    if (consumed && consumed - 1 == token)
        return RTA_EDOUBLEAWAIT;
    if (__atomic_load_n(&c->version, __ATOMIC_ACQUIRE) != token)
        return RTA_ESTALE;
    return 0;
}

static RTA_NORETURN void token_throw(int code, uint32_t token)
{
    if (code == RTA_EDOUBLEAWAIT)
        rta_throw(code, "value task (token %u) awaited twice: its result was already taken", token);
    rta_throw(code, "value task (token %u) used after its source was reused", token);
}

static void core_complete(rta_vtask_core *c, rta_status st)
{
    __atomic_store_n(&c->status, st, __ATOMIC_RELEASE);
    /* cont goes NULL -> waiter only by the registration CAS, and a waiter
     * stays until this store: once a waiter is seen, nobody else can change
     * cont, so a release store publishes the completion without a locked
     * exchange (the common case: the awaiter registered before the source
     * completed). Only when no waiter is seen must the exchange decide the
     * race with a registration in flight. */
    rta_waiter *w = __atomic_load_n(&c->cont, __ATOMIC_ACQUIRE);
    if (w != NULL && w != CORE_DONE)
        __atomic_store_n(&c->cont, CORE_DONE, __ATOMIC_RELEASE);
    else
        w = __atomic_exchange_n(&c->cont, CORE_DONE, __ATOMIC_ACQ_REL);
    /* Last: the waiter may consume the result and reuse the source. */
    if (w)
        w->fn(w);
}

void rta_vtask_core_set_result(rta_vtask_core *c, int64_t v)
{
    c->value = v;
    core_complete(c, RTA_SUCCEEDED);
}

void rta_vtask_core_set_error(rta_vtask_core *c, rta_error *e)
{
    if (!e)
        e = rta_error_new(-EINVAL, "value-task source faulted without an error");
    if (!e)
        e = rta__error_oom();
    c->error = e;
    core_complete(c, rta__error_status(e));
}

rta_status rta_vtask_core_get_status(rta_vtask_core *c, uint32_t token)
{
    int code = check_token(c, token);
    if (code)
        token_throw(code, token);
    if (__atomic_load_n(&c->cont, __ATOMIC_ACQUIRE) != CORE_DONE)
        return RTA_PENDING;
    return (rta_status)__atomic_load_n(&c->status, __ATOMIC_ACQUIRE);
}

void rta_vtask_core_on_completed(rta_vtask_core *c, uint32_t token, rta_waiter *w)
{
    if (check_token(c, token)) {
        w->fn(w); /* get_result reports it */
        return;
    }
    rta_waiter *expect = NULL;
    if (__atomic_compare_exchange_n(&c->cont, &expect, w, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return;
    if (expect != CORE_DONE)
        __atomic_store_n(&c->double_await, 1, __ATOMIC_RELEASE);
    w->fn(w); /* completed already, or a second awaiter: go on at once */
}

bool rta__vtask_core_take(rta_vtask_core *c, uint32_t token, int64_t *v, rta_error **e)
{
    int code = check_token(c, token);
    if (!code && __atomic_load_n(&c->cont, __ATOMIC_ACQUIRE) != CORE_DONE)
        code = __atomic_load_n(&c->double_await, __ATOMIC_ACQUIRE) ? RTA_EDOUBLEAWAIT : RTA_EINVALIDPROGRAM;
    /* Claim the result: of two racing takers exactly one gets it. */
    uint32_t expect = __atomic_load_n(&c->consumed, __ATOMIC_ACQUIRE);
    if (!code && (expect == token + 1 || !__atomic_compare_exchange_n(&c->consumed, &expect, token + 1, false,
                                                                      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)))
        code = RTA_EDOUBLEAWAIT;
    if (code) {
        *e = code == RTA_EINVALIDPROGRAM
                 ? rta_error_new(code, "value task (token %u) result read before it completed", token)
             : code == RTA_EDOUBLEAWAIT
                 ? rta_error_new(code, "value task (token %u) awaited twice", token)
                 : rta_error_new(code, "value task (token %u) used after its source was reused", token);
        if (!*e)
            *e = rta__error_oom();
        return false;
    }
    switch ((rta_status)__atomic_load_n(&c->status, __ATOMIC_ACQUIRE)) {
    case RTA_SUCCEEDED:
        *v = c->value;
        return true;
    case RTA_CANCELED:
        *e = rta_error_new(-ECANCELED, "value task (token %u) was canceled", token);
        break;
    default:
        *e = rta_error_copy(c->error);
        break;
    }
    if (!*e)
        *e = rta__error_oom();
    return false;
}

int64_t rta_vtask_core_get_result(rta_vtask_core *c, uint32_t token)
{
    int64_t v = 0;
    rta_error *e = NULL;
    if (!rta__vtask_core_take(c, token, &v, &e)) {
        rta__error_capture(e, 0);
        rta_throw_error(e);
    }
    return v;
}

/* ---- the value-task awaiter ------------------------------------------------------------------- */

static inline rta_task *vt_task(const rta_vtask *vt)
{
    return (rta_task *)(vt->obj_ & ~(uintptr_t)1);
}

static inline rta_vtask_source *vt_src(const rta_vtask *vt)
{
    return (rta_vtask_source *)vt->obj_;
}

static bool vt_is_completed(void *self)
{
    rta_vtask *vt = self;
    if (vt->obj_ == 0)
        return true;
    if (vt->obj_ & 1) /* a NULL task (rta_vtask_from_task(NULL)) is done; its result throws */
        return vt->obj_ == 1 || rta__task_done(vt_task(vt));
    rta_vtask_source *s = vt_src(vt);
    return s->ops->get_status(s, (uint32_t)vt->v_) != RTA_PENDING;
}

static void vt_on_completed(void *self, rta_waiter *w)
{
    rta_vtask *vt = self;
    if (vt->obj_ == 0) {
        w->fn(w);
    } else if (vt->obj_ & 1) {
        if (!rta_task_on_complete(vt_task(vt), w))
            w->fn(w);
    } else {
        rta_vtask_source *s = vt_src(vt);
        s->ops->on_completed(s, (uint32_t)vt->v_, w);
    }
}

/* Consumes: a task's reference is dropped, a source's result taken. */
static int64_t vt_get_result(void *self)
{
    rta_vtask *vt = self;
    if (vt->obj_ == 0)
        return vt->v_;
    if (vt->obj_ & 1)
        return rta__task_consume(vt_task(vt), "rta_vtask_awaiter");
    rta_vtask_source *s = vt_src(vt);
    return s->ops->get_result(s, (uint32_t)vt->v_);
}

const rta_awaiter_ops rta_vtask_awaiter = {
    .is_completed = vt_is_completed,
    .on_completed = vt_on_completed,
    .unsafe_on_completed = vt_on_completed,
    .get_result = vt_get_result,
};

rta_status rta_vtask_status(rta_vtask vt)
{
    if (vt.obj_ == 0)
        return RTA_SUCCEEDED;
    if (vt.obj_ & 1)
        return rta_task_status(vt_task(&vt));
    rta_vtask_source *s = vt_src(&vt);
    return s->ops->get_status(s, (uint32_t)vt.v_);
}

/* A task that takes a source's outcome when it completes. */
typedef struct vt_bridge {
    rta_task task;
    rta_waiter w;
    rta_vtask vt;
} vt_bridge;

static int64_t bridge_take(void *arg)
{
    return vt_get_result(arg);
}

static void bridge_done(rta_waiter *w)
{
    vt_bridge *br = rta__container_of(w, vt_bridge, w);
    int64_t v = 0;
    rta_error *e = NULL;
    if (rta__call_catching(bridge_take, &br->vt, &v, &e))
        rta__task_complete(&br->task, RTA_SUCCEEDED, v, NULL);
    else if (rta_error_code(e) == -ECANCELED)
        rta__task_complete(&br->task, RTA_CANCELED, 0, e);
    else
        rta__task_complete(&br->task, RTA_FAULTED, 0, e);
    rta_task_release(&br->task); /* the bridge's own reference */
}

static void bridge_free(rta_task *t)
{
    free(rta__container_of(t, vt_bridge, task));
}

rta_task *rta_vtask_as_task(rta_vtask vt)
{
    if (vt.obj_ == 0) {
        rta_task *t = rta_task_from_value(vt.v_);
        if (!t)
            errno = ENOMEM;
        return t;
    }
    if (vt.obj_ == 1) {
        errno = EINVAL; /* made from a NULL task */
        return NULL;
    }
    if (vt.obj_ & 1)
        return vt_task(&vt); /* the value task's reference becomes the caller's */
    vt_bridge *br = malloc(sizeof *br);
    if (!br) {
        errno = ENOMEM;
        return NULL;
    }
    rta__task_init(&br->task, RTA__TASK_ENGINE, 2, bridge_free);
    br->w.fn = bridge_done;
    br->vt = vt;
    rta_vtask_source *s = vt_src(&vt);
    s->ops->on_completed(s, (uint32_t)vt.v_, &br->w);
    return &br->task;
}

int64_t rta_vtask_wait(rta_vtask vt, rta_error **err)
{
    if (err)
        *err = NULL;
    if (vt.obj_ == 0)
        return vt.v_;
    rta_task *t = rta_vtask_as_task(vt);
    if (!t) {
        if (err && !(*err = errno == EINVAL ? rta_error_new(-EINVAL, "rta_vtask_wait: the value "
                                                                     "task was made from a NULL task handle")
                                            : rta_error_new(-ENOMEM, "rta_vtask_wait: out of memory")))
            *err = rta__error_oom();
        return 0;
    }
    int64_t v = rta_task_wait(t, err);
    rta_task_release(t);
    return v;
}
