/*
 * rtasync: method descriptors — one method, two entries (included by rta.h;
 * do not include directly). docs/semantics.md has the long form.
 *
 * The spec: every async2 method can also be called as a task-returning
 * method, every task-returning method can be called through an async2 entry,
 * and virtual overrides may switch between the two kinds at every level. In C
 * a *method descriptor* (rta_method) is the MethodDef: a name, flags and
 * exactly one implementation, either
 *
 *   async2:  int64_t impl(void *arg)      (tasklet code: may await; runs in
 *                                          the caller's task and context), or
 *   async1:  rta_task *impl(void *arg)    (task-returning: an async1 method's
 *                                          stub, or any function returning a
 *                                          task the caller owns).
 *
 * Each descriptor has both entries. The entry matching the implementation
 * calls it directly; the other one goes through a thunk the runtime supplies:
 *
 *   rta_method_call_task(m, arg)   the task entry (any code). async2 impl:
 *                                  the rta_spawn thunk (own context).
 *   rta_method_call(m, arg)        the async2 entry (async2 code only).
 *                                  async1 impl: call it with the caller's
 *                                  context saved and restored around the
 *                                  call, then await its task (configure-await
 *                                  as lexically visible, like rta_await).
 *
 * A vtable slot is a `const rta_method *`; overriding a method replaces the
 * slot in the derived type's table (the MethodImpl record), and since both
 * entries read the same descriptor the override covers both variants at
 * once, whatever kind the base used. A thunk over a method flagged
 * RTA_FN_BYREF cannot be made (the spec's ref-parameter rule): the thunk
 * raises RTA_EINVALIDPROGRAM naming the method, the direct entry works.
 */
#ifndef RTA_METHOD_H
#define RTA_METHOD_H

#ifdef __cplusplus
extern "C" {
#endif

/* Descriptor flags. */
#define RTA_FN_BYREF                                                                                         \
    0x1u /* takes by-reference parameters (pointers into the                                                 \
            caller's frames): no thunk may be made over it */

/* A task-returning implementation: the caller owns the returned task's
 * reference; NULL (errno set) if it could not be created. */
typedef rta_task *(*rta_task_fn)(void *arg);

typedef struct rta_method {
    const char *name;   /* for lookups and error messages */
    unsigned flags;     /* RTA_FN_* */
    rta_fn async2;      /* the async2 implementation, or NULL */
    rta_task_fn async1; /* the task-returning implementation, or NULL */
} rta_method;

/* Static initialisers: `static const rta_method m = RTA_METHOD_ASYNC2(f, 0);` */
#define RTA_METHOD_ASYNC2(fn, flags)                                                                         \
    {                                                                                                        \
#fn, (flags), (fn), NULL                                                                             \
    }
#define RTA_METHOD_ASYNC1(fn, flags)                                                                         \
    {                                                                                                        \
#fn, (flags), NULL, (fn)                                                                             \
    }

/* The task entry. Callable from any code. Returns a task the caller owns:
 * async1 impl: whatever it returns (direct call); async2 impl: rta_spawn of
 * it (its changes to the context stay in the task); RTA_FN_BYREF over an
 * async2 impl: a task already faulted with RTA_EINVALIDPROGRAM naming the
 * method (the thunk's body is the throw). NULL with errno set when the task
 * could not be made (EAGAIN: runtime not running; ENOMEM; EINVAL for a
 * descriptor with no or two implementations). */
RTA_EXTERN rta_task *rta_method_call_task(const rta_method *m, void *arg);

/* The async2 entry, async2 code only (RTA_ENOTASYNC elsewhere). Returns the
 * value or throws the error: async2 impl: a direct C call (no save/restore:
 * its context changes are the caller's); async1 impl: the thunk described
 * above; RTA_FN_BYREF over an async1 impl: raises RTA_EINVALIDPROGRAM naming
 * the method. */
RTA_EXTERN int64_t rta_method_call_cfg(const rta_method *m, void *arg, bool continue_on_captured_context);
#define rta_method_call(m, arg) rta_method_call_cfg((m), (arg), rta__configure_await)

/* ---- types, vtables and lookups (the reflection rule) -------------------- */

/* A type: its base, its vtable (slot i = the most-derived override of
 * virtual method i) and the methods it declares. */
typedef struct rta_type {
    const char *name;
    const struct rta_type *base; /* NULL for a root type */
    const rta_method *const *vtable;
    size_t nslots;
    const rta_method *const *methods; /* declared here (overrides included) */
    size_t nmethods;
} rta_type;

/* The implementation in slot `slot` of t's vtable; NULL if out of range. */
RTA_EXTERN const rta_method *rta_type_slot(const rta_type *t, size_t slot);

/* Entry kinds of a method as lookups report them. */
#define RTA_ENTRY_TASK 0x1u   /* the task-returning variant */
#define RTA_ENTRY_ASYNC2 0x2u /* the async2 variant */

/* Lookup flags. */
#define RTA_LOOKUP_ASYNC2_VISIBLE 0x1u /* BindingFlags.Async2Visible */

/* One variant of one method, as a lookup returns it. */
typedef struct rta_method_ref {
    const rta_method *method;
    unsigned entry; /* RTA_ENTRY_TASK or RTA_ENTRY_ASYNC2 */
} rta_method_ref;

/* The entries of m a lookup with lookup_flags can see: the task variant
 * always; the async2 variant only with RTA_LOOKUP_ASYNC2_VISIBLE. */
RTA_EXTERN unsigned rta_method_visible_entries(const rta_method *m, unsigned lookup_flags);

/* Type.GetMethod: the task variant of the method named `name` declared by t
 * or, failing that, by its nearest base. Never an async2 variant.
 * {NULL, 0} if there is none. */
RTA_EXTERN rta_method_ref rta_type_get_method(const rta_type *t, const char *name);

/* Type.GetMethods filtered by name: every visible variant of the method named
 * `name` (task first, then async2), from the most derived type that declares
 * it (a declaration hides the same name in bases). Writes at most max refs;
 * returns how many there are. */
RTA_EXTERN size_t rta_type_get_methods(const rta_type *t, const char *name, unsigned lookup_flags,
                                       rta_method_ref *out, size_t max);

/* Type.GetMemberWithSameMetadataDefinitionAs: the other variant of the same
 * method (task <-> async2). */
RTA_EXTERN rta_method_ref rta_method_variant(rta_method_ref r);

/* MethodInfo.Invoke plus an await, from async2 code: the async2 variant
 * through rta_method_call, the task variant by awaiting the task of
 * rta_method_call_task. Returns the value or throws. */
RTA_EXTERN int64_t rta_method_ref_invoke(rta_method_ref r, void *arg);

#ifdef __cplusplus
}
#endif

#endif
