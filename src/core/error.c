/*
 * Errors, throw and the RTA_TRY/RTA_CATCH/RTA_FINALLY machinery.
 *
 * Handler records (rta__try) live in the frames that wrote RTA_TRY and form a
 * singly linked list per execution context (rta__exec.try_top), innermost
 * first. Because tasklet frames are restored at the addresses they were
 * captured from, a record entered before a suspension is still valid after
 * it, and a throw after the suspension longjmps into it: exceptions cross
 * awaits with no extra work.
 *
 * Record states:
 *   BODY      the protected body runs; the record is a throw target.
 *   DONE      the body finished normally (record off the list).
 *   HANDLER   a CATCH/FINALLY body runs; the record stays on the list (not a
 *             target) so that a throw out of the handler frees its error and
 *             so that awaits can see they are inside a handler.
 *
 * Invariant: records on the list sit at strictly increasing stack addresses
 * from try_top outwards (they are locals of ever-outer frames). A record
 * below the current frame is dead: its frame was left by return/break/goto.
 */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "symbols.h"

enum { TRY_BODY = RTA__TRY_BODY, TRY_DONE = RTA__TRY_DONE, TRY_HANDLER = RTA__TRY_HANDLER };

__thread rta__tls rta__tls_state __attribute__((tls_model("initial-exec")));

void (*rta__stackful_fault)(rta_error *e);
bool rta__running;
bool rta__forked_child;

bool rta__forked_refuse(const char *call)
{
    if (!rta__forked_child)
        return false;
    fprintf(stderr,
            "rtasync: %s: this process was forked while its parent's runtime was "
            "running: the runtime does not exist in a forked child, which may exec "
            "(the new program may use rtasync) or call no rtasync function\n",
            call);
    return true;
}

void rta__fatal(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    ssize_t w = write(2, "rtasync: ", 9);
    w = write(2, buf, (size_t)n);
    (void)w;
    abort();
}

const char *rta_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
    case RTA_EINVALIDPROGRAM:
        return "invalid program";
    case RTA_ENOTASYNC:
        return "async2-only call from non-async code";
    case RTA_ENOTINIT:
        return "runtime not initialised";
    case RTA_EBLOCKING:
        return "blocking wait inside a task";
    case RTA_ESTALE:
        return "stale value-task token";
    case RTA_EDOUBLEAWAIT:
        return "value task awaited twice";
    case RTA_EBUILDER:
        return "method builder does not fit the method";
    default:
        break;
    }
    if (code < 0 && code > -4096)
        return strerror(-code);
    if (code <= RTA_EUSER)
        return "application error";
    return "unknown error";
}

/* ---- error objects ------------------------------------------------------------- */

static rta_error oom_error = {.code = -ENOMEM, .message = (char *)"out of memory", .cap = 0};

rta_error *rta__error_oom(void)
{
    return &oom_error;
}

static rta_error *error_vnew(int code, const char *fmt, va_list ap)
{
    rta_error *e = calloc(1, sizeof *e);
    if (!e)
        return &oom_error;
    e->code = code;
    if (vasprintf(&e->message, fmt ? fmt : "", ap) < 0)
        e->message = NULL;
    return e;
}

/* Errors are allocated only as big as their trace needs: an error that is
 * created but never thrown has no frames; the first throw makes room. */
rta_error *rta__error_reserve(rta_error *e)
{
    if (e == &oom_error || e->cap == RTA__TRACE_MAX)
        return e;
    rta_error *big = realloc(e, sizeof *e + RTA__TRACE_MAX * sizeof(rta__frame));
    if (!big)
        return e;
    big->cap = RTA__TRACE_MAX;
    return big;
}

rta_error *rta_error_new(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rta_error *e = error_vnew(code, fmt, ap);
    va_end(ap);
    return e == &oom_error ? NULL : e;
}

void rta_error_free(rta_error *e)
{
    if (!e || e == &oom_error)
        return;
    for (size_t i = 0; i < e->nframes; i++)
        free(e->frames[i].name);
    free(e->message);
    free(e);
}

int rta_error_code(const rta_error *e)
{
    return e ? e->code : 0;
}

const char *rta_error_message(const rta_error *e)
{
    if (!e)
        return "";
    return e->message ? e->message : rta_strerror(e->code);
}

rta_error *rta_error_copy(const rta_error *e)
{
    if (!e)
        return NULL;
    /* A copy is usually made to be rethrown with more frames: give it room. */
    rta_error *c = calloc(1, sizeof *c + RTA__TRACE_MAX * sizeof(rta__frame));
    if (!c)
        return NULL;
    c->cap = RTA__TRACE_MAX;
    c->code = e->code;
    c->message = e->message ? strdup(e->message) : NULL;
    c->nframes = e->nframes;
    for (size_t i = 0; i < e->nframes; i++) {
        c->frames[i].pc = e->frames[i].pc;
        c->frames[i].name = e->frames[i].name ? strdup(e->frames[i].name) : NULL;
    }
    atomic_store(&c->names_resolved, atomic_load(&((rta_error *)e)->names_resolved));
    return c;
}

/* ---- traces ------------------------------------------------------------------------ */

/* Resolves pcs to names once; frames of the runtime itself are dropped here
 * (cheaper than symbolizing at throw time, where only pcs are recorded). */
static void resolve_names(rta_error *e)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    if (atomic_load_explicit(&e->names_resolved, memory_order_acquire))
        return;
    pthread_mutex_lock(&lock);
    if (!atomic_load_explicit(&e->names_resolved, memory_order_relaxed)) {
        size_t out = 0;
        char inner[RTA__SYMBOL_INNER] = "";
        for (size_t i = 0; i < e->nframes; i++) {
            rta__frame f = e->frames[i];
            if (!f.name && f.pc) {
                char buf[256];
                if (rta__symbolize(f.pc - 1, buf, sizeof buf, NULL))
                    f.name = strdup(buf);
            }
            const char *shown = f.name ? rta__symbol_shown(f.name, inner) : NULL;
            if (!shown) {
                free(f.name);
                continue;
            }
            if (shown != f.name) { /* a stub with its move-next inlined: the user's name */
                char *user = strdup(shown);
                free(f.name);
                f.name = user;
            }
            e->frames[out++] = f;
        }
        e->nframes = out;
        atomic_store_explicit(&e->names_resolved, 1, memory_order_release);
    }
    pthread_mutex_unlock(&lock);
}

size_t rta_error_trace(const rta_error *ce, const char **names, size_t max)
{
    rta_error *e = (rta_error *)ce;
    if (!e || e == &oom_error)
        return 0;
    resolve_names(e);
    for (size_t i = 0; i < e->nframes && i < max; i++)
        names[i] = e->frames[i].name;
    return e->nframes;
}

void rta__error_push_name(rta_error *e, const char *name)
{
    if (e->nframes >= e->cap)
        return;
    e->frames[e->nframes].pc = 0;
    e->frames[e->nframes].name = strdup(name);
    e->nframes++;
}

/* Frame-pointer walk. Each frame starts with [saved fp][return address]; the
 * walk stops at a zero fp (a task's root, see src/arch), at the stack bounds,
 * or when fps stop increasing (a frame without a frame pointer). */
__attribute__((no_sanitize_address, noinline)) void rta__error_capture(rta_error *e, unsigned skip)
{
    if (e->cap == 0)
        return;
    rta__exec *x = rta__cur_exec();
    if (x->stack_hi == 0) {
        pthread_attr_t a;
        void *lo;
        size_t sz;
        if (pthread_getattr_np(pthread_self(), &a) == 0) {
            if (pthread_attr_getstack(&a, &lo, &sz) == 0) {
                x->stack_lo = (uintptr_t)lo;
                x->stack_hi = (uintptr_t)lo + sz;
            }
            pthread_attr_destroy(&a);
        }
    }
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    /* The lowest address of this frame: on x86-64 the record is above the
     * locals, on AArch64 (GCC) below them. */
    uintptr_t lo = fp < (uintptr_t)&fp ? fp : (uintptr_t)&fp, hi = x->stack_hi;
    atomic_store_explicit(&e->names_resolved, 0, memory_order_relaxed);
    while (fp >= lo && fp + 16 <= hi && (fp & 7) == 0 && e->nframes < e->cap) {
        uintptr_t next = ((uintptr_t *)fp)[0];
        uintptr_t ret = ((uintptr_t *)fp)[1];
        /* A caller outside the bounds is the root's caller (a worker's loop,
         * an engine's dispatcher): not a logical async frame. */
        if (ret == 0 || next >= hi)
            break;
        if (skip)
            skip--;
        else
            e->frames[e->nframes++] = (rta__frame){.pc = ret};
        if (next <= fp)
            break;
        fp = next;
    }
}

/* ---- throw and handlers ------------------------------------------------------------- */

static __attribute__((noreturn)) void uncaught(rta_error *e)
{
    rta__fatal("uncaught error %d (%s) in non-async code: %s", e->code, rta_strerror(e->code),
               rta_error_message(e));
}

void rta_throw_error(rta_error *e)
{
    if (!e)
        e = rta_error_new(-EINVAL, "rta_throw_error(NULL)");
    if (!e)
        e = &oom_error;
    rta__exec *x = rta__cur_exec();
    if (e->nframes == 0) {
        e = rta__error_reserve(e);
        rta__error_capture(e, 0);
    }
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    for (rta__try *r = x->try_top; r; r = r->prev) {
        if ((uintptr_t)r < here)
            rta__fatal("throw: the innermost handler record is no longer on the stack (an "
                       "RTA_TRY body was left with return/break/goto)");
        if (r->state == TRY_HANDLER) {
            /* Leaving a handler by throwing: it no longer handles anything. */
            if (r->err != e)
                rta_error_free(r->err);
            r->err = NULL;
            r->state = TRY_DONE;
            x->handler_depth--;
            continue;
        }
        x->try_top = r;
        r->err = e;
        r->state = TRY_HANDLER;
        x->handler_depth++;
#if RTA__BUILTIN_SJLJ
        if (r->kind == RTA__TRY_KIND_BUILTIN_JB)
            __builtin_longjmp((void **)(void *)r->jb, 1);
#endif
        longjmp(r->jb, 1);
    }
    x->try_top = NULL;
    if (rta__tls_state.stackful && rta__stackful_fault)
        rta__stackful_fault(e); /* the task's root: fault it at its thunk */
    uncaught(e);
}

void rta_throw(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rta_error *e = error_vnew(code, fmt, ap);
    va_end(ap);
    e = rta__error_reserve(e);
    if (e != &oom_error)
        rta__error_capture(e, 0);
    rta_throw_error(e);
}

void rta__try_push(rta__try *t, const char *func)
{
    rta__try_push_on(rta__cur_exec(), t, func);
}

void rta__try_pop(rta__try *t)
{
    rta__exec *x = rta__cur_exec();
    t->state = TRY_DONE;
    if (rta__likely(x->try_top == t)) {
        x->try_top = t->prev;
        return;
    }
    /* Records above t are dead (their frames returned without RTA_END_TRY);
     * drop them without reading them and report the bug where it shows. */
    x->try_top = t->prev;
    rta_throw(RTA_EINVALIDPROGRAM, "an RTA_TRY nested in the one in '%s' was left with return/break/goto",
              t->func);
}

bool rta__try_handler(rta__try *t, int kind)
{
    t->kind = kind;
    if (t->state == TRY_HANDLER)
        return true; /* error path: the throw left the record on the list */
    if (kind == RTA__CATCH_KIND)
        return false;
    /* FINALLY on the normal path: enter it as a handler so awaits are caught. */
    rta__exec *x = rta__cur_exec();
    t->prev = x->try_top;
    x->try_top = t;
    t->state = TRY_HANDLER;
    x->handler_depth++;
    return true;
}

void rta__try_end(rta__try *t)
{
    if (t->state != TRY_HANDLER)
        return;
    rta__exec *x = rta__cur_exec();
    if (x->try_top != t) {
        x->try_top = t->prev;
        x->handler_depth--;
        rta_throw(RTA_EINVALIDPROGRAM,
                  "an RTA_TRY nested in a handler of '%s' was left with return/break/goto", t->func);
    }
    x->try_top = t->prev;
    x->handler_depth--;
    t->state = TRY_DONE;
    rta_error *e = t->err;
    t->err = NULL;
    if (t->kind == RTA__FINALLY_KIND) {
        if (e)
            rta_throw_error(e); /* the finally ran; the error goes on */
        return;
    }
    rta_error_free(e);
}

bool rta__call_catching(int64_t (*fn)(void *), void *arg, int64_t *out, rta_error **err)
{
    rta__try t;
    rta__try_push(&t, "rta__call_catching");
    if (setjmp(t.jb) == 0) {
        int64_t v = fn(arg);
        rta__exec *x = rta__cur_exec();
        if (rta__unlikely(x->try_top != &t)) {
            /* fn left an RTA_TRY with return/break/goto: the records above
             * ours are dead. This is the root, so report it as the outcome
             * instead of throwing into nothing. */
            x->try_top = t.prev;
            *err = rta_error_new(RTA_EINVALIDPROGRAM, "an RTA_TRY body was left with return/break/goto");
            if (!*err)
                *err = rta__error_oom();
            return false;
        }
        rta__try_pop(&t);
        *out = v;
        return true;
    }
    /* Error path: take the error over instead of letting try_end free it. */
    rta__exec *x = rta__cur_exec();
    x->try_top = t.prev;
    x->handler_depth--;
    *err = t.err;
    return false;
}

/* Name of the function whose CATCH/FINALLY handler is running (for the
 * invalid-program message), or "?" if none is. */
const char *rta__handler_func(const rta__exec *x)
{
    for (const rta__try *r = x->try_top; r; r = r->prev)
        if (r->state == TRY_HANDLER)
            return r->func ? r->func : "?";
    return "?";
}
