/*
 * Method descriptors: the two entries of a method, the thunks between them,
 * and by-name lookups that follow the spec's reflection rule
 * (rta/method.h; docs/semantics.md).
 *
 * The thunks are the only places here that touch the context: the async2 ->
 * task thunk saves the caller's context (a counted snapshot) before calling
 * the task-returning implementation and reinstalls it afterwards, on both
 * paths, so that nothing that implementation changes synchronously reaches
 * the async2 caller; the task -> async2 thunk is rta_spawn, whose task owns a
 * context of its own.
 *
 * In src/runtime, above the engines: the thunks spawn and await through the
 * public API, which the engines implement.
 */
#include "../core/internal.h"

#include <errno.h>
#include <string.h>

/* A descriptor must have exactly one implementation. */
static bool method_ok(const rta_method *m)
{
    return m && ((m->async2 != NULL) != (m->async1 != NULL));
}

rta_task *rta_method_call_task(const rta_method *m, void *arg)
{
    if (!method_ok(m)) {
        errno = EINVAL;
        return NULL;
    }
    if (m->async1)
        return m->async1(arg); /* matching entry: direct */
    if (m->flags & RTA_FN_BYREF) {
        /* The thunk that cannot be made: its body is the throw, and a
         * task-returning thunk turns a throw into a faulted task. */
        rta_task *p = rta_promise_new();
        if (!p)
            return NULL;
        rta_error *e = rta_error_new(RTA_EINVALIDPROGRAM,
                                     "no task-returning thunk over '%s': it takes by-reference "
                                     "parameters",
                                     m->name ? m->name : "?");
        rta_promise_reject(p, e); /* a NULL e (no memory) still faults the task */
        return p;
    }
    return rta_spawn(m->async2, arg);
}

int64_t rta_method_call_cfg(const rta_method *m, void *arg, bool cfg)
{
    if (!rta_in_async())
        rta_throw(RTA_ENOTASYNC,
                  "rta_method_call of '%s' from non-async code; use "
                  "rta_method_call_task there",
                  m && m->name ? m->name : "?");
    if (!method_ok(m))
        rta_throw(-EINVAL, "rta_method_call: descriptor '%s' needs exactly one implementation",
                  m && m->name ? m->name : "?");
    if (m->async2)
        return m->async2(arg); /* matching entry: a plain call, context shared */
    if (m->flags & RTA_FN_BYREF)
        rta_throw(RTA_EINVALIDPROGRAM, "no async2 thunk over '%s': it takes by-reference parameters",
                  m->name);

    /* The async2 -> task thunk. x is this task's exec for the whole call: a
     * tasklet keeps its exec across suspensions. */
    rta__exec *x = rta__cur_exec();
    rta__ctx saved = rta__ctx_capture(x);
    rta_task *volatile t = NULL;
    RTA_TRY {
        t = m->async1(arg);
    }
    RTA_FINALLY {
        rta__ctx_install(x, saved); /* consumes the snapshot on both paths */
    }
    RTA_END_TRY;
    if (!t)
        rta_throw(errno ? -errno : -ENOMEM, "task-returning method '%s' returned no task", m->name);
    volatile int64_t v = 0;
    RTA_TRY {
        v = rta_await_cfg(t, cfg);
    }
    RTA_FINALLY {
        rta_task_release(t);
    }
    RTA_END_TRY;
    return v;
}

/* ---- lookups ------------------------------------------------------------------------ */

const rta_method *rta_type_slot(const rta_type *t, size_t slot)
{
    return t && slot < t->nslots ? t->vtable[slot] : NULL;
}

unsigned rta_method_visible_entries(const rta_method *m, unsigned lookup_flags)
{
    (void)m; /* every method has both variants; only visibility differs */
    return RTA_ENTRY_TASK | ((lookup_flags & RTA_LOOKUP_ASYNC2_VISIBLE) ? RTA_ENTRY_ASYNC2 : 0u);
}

/* The method named `name` declared by t or its nearest base that has one. */
static const rta_method *find_declared(const rta_type *t, const char *name)
{
    for (; t; t = t->base)
        for (size_t i = 0; i < t->nmethods; i++)
            if (t->methods[i] && t->methods[i]->name && strcmp(t->methods[i]->name, name) == 0)
                return t->methods[i];
    return NULL;
}

rta_method_ref rta_type_get_method(const rta_type *t, const char *name)
{
    const rta_method *m = name ? find_declared(t, name) : NULL;
    return (rta_method_ref){m, m ? RTA_ENTRY_TASK : 0u};
}

size_t rta_type_get_methods(const rta_type *t, const char *name, unsigned lookup_flags, rta_method_ref *out,
                            size_t max)
{
    const rta_method *m = name ? find_declared(t, name) : NULL;
    if (!m)
        return 0;
    unsigned vis = rta_method_visible_entries(m, lookup_flags);
    size_t n = 0;
    for (unsigned e = RTA_ENTRY_TASK; e <= RTA_ENTRY_ASYNC2; e <<= 1) {
        if (!(vis & e))
            continue;
        if (n < max)
            out[n] = (rta_method_ref){m, e};
        n++;
    }
    return n;
}

rta_method_ref rta_method_variant(rta_method_ref r)
{
    if (!r.method)
        return r;
    r.entry = r.entry == RTA_ENTRY_TASK ? RTA_ENTRY_ASYNC2 : RTA_ENTRY_TASK;
    return r;
}

int64_t rta_method_ref_invoke(rta_method_ref r, void *arg)
{
    if (r.entry == RTA_ENTRY_ASYNC2)
        return rta_method_call(r.method, arg);
    if (!rta_in_async())
        rta_throw(RTA_ENOTASYNC, "rta_method_ref_invoke from non-async code");
    rta_task *t = rta_method_call_task(r.method, arg);
    if (!t)
        rta_throw(errno ? -errno : -ENOMEM, "rta_method_ref_invoke: no task for '%s'",
                  r.method && r.method->name ? r.method->name : "?");
    volatile int64_t v = 0;
    rta_task *volatile tv = t;
    RTA_TRY {
        v = rta_await(tv);
    }
    RTA_FINALLY {
        rta_task_release(tv);
    }
    RTA_END_TRY;
    return v;
}
