/* Rule 6, method descriptors and mixed overrides: a vtable slot holds an
 * async1 or an async2 implementation and is called through either entry
 * (directly or through the runtime's thunk); the chain Base (async1) ->
 * Derived (async2) -> MoreDerived (async1), each override calling its base,
 * dispatches the same through both entries; by-name lookups hide async2
 * variants unless RTA_LOOKUP_ASYNC2_VISIBLE; the variant of a method is found
 * from the other; misuse is reported. */
#include "sem.h"

#include <errno.h>

typedef struct obj {
    const rta_type *type;
    int64_t field;
} obj;

enum { SLOT_METHOD = 0, NSLOTS };

extern const rta_type Base_type, Derived_type, MoreDerived_type;

/* Base.Method: async Task<int> (async1). */
static int64_t base_body(void *arg)
{
    obj *o = arg;
    rta_yield();
    return o->field + 1;
}
static rta_task *Base_Method(void *arg)
{
    return rta_spawn(base_body, arg);
}
static const rta_method Base_Method_m = RTA_METHOD_ASYNC1(Base_Method, 0);

/* Derived.Method: async2 override, calls base.Method() through the async2
 * entry (a thunk over Base's async1 implementation). */
static int64_t Derived_Method(void *arg)
{
    int64_t b = rta_method_call(&Base_Method_m, arg);
    rta_sleep_ms(1);
    return b + 10;
}
static const rta_method Derived_Method_m = RTA_METHOD_ASYNC2(Derived_Method, 0);

/* MoreDerived.Method: async1 override, calls base.Method() (Derived's async2
 * implementation) through the task entry (a thunk) and awaits it. */
static int64_t more_body(void *arg)
{
    rta_task *t = rta_method_call_task(&Derived_Method_m, arg);
    CHECK(t);
    int64_t v = rta_await(t);
    rta_task_release(t);
    return v + 100;
}
static rta_task *MoreDerived_Method(void *arg)
{
    return rta_spawn(more_body, arg);
}
static const rta_method MoreDerived_Method_m = RTA_METHOD_ASYNC1(MoreDerived_Method, 0);

/* A non-virtual async2 helper declared by Base, to look up by name. */
static int64_t Helper(void *arg)
{
    return ((obj *)arg)->field * 2;
}
static const rta_method Helper_m = RTA_METHOD_ASYNC2(Helper, 0);

static const rta_method *const base_vt[NSLOTS] = {&Base_Method_m};
static const rta_method *const derived_vt[NSLOTS] = {&Derived_Method_m};
static const rta_method *const more_vt[NSLOTS] = {&MoreDerived_Method_m};
static const rta_method *const base_decl[] = {&Base_Method_m, &Helper_m};
static const rta_method *const derived_decl[] = {&Derived_Method_m};
static const rta_method *const more_decl[] = {&MoreDerived_Method_m};

/* Descriptor names are the C names (RTA_METHOD_* stringifies them), so the
 * lookups below ask for "Helper", "Base_Method" and so on. */
const rta_type Base_type = {"Base", NULL, base_vt, NSLOTS, base_decl, 2};
const rta_type Derived_type = {"Derived", &Base_type, derived_vt, NSLOTS, derived_decl, 1};
const rta_type MoreDerived_type = {"MoreDerived", &Derived_type, more_vt, NSLOTS, more_decl, 1};

/* Virtual call through each entry. */
static int64_t call_async2(obj *o)
{
    return rta_method_call(rta_type_slot(o->type, SLOT_METHOD), o);
}
static int64_t call_task(obj *o)
{
    rta_task *t = rta_method_call_task(rta_type_slot(o->type, SLOT_METHOD), o);
    CHECK(t);
    int64_t v = rta_await(t);
    rta_task_release(t);
    return v;
}

static int64_t t_dispatch(void *arg)
{
    (void)arg;
    obj b = {&Base_type, 1}, d = {&Derived_type, 1}, m = {&MoreDerived_type, 1};
    CHECK_EQ(call_async2(&b), 2);   /* async1 impl through the async2 entry: thunk */
    CHECK_EQ(call_task(&b), 2);     /* direct */
    CHECK_EQ(call_async2(&d), 12);  /* direct; its base call is a thunk */
    CHECK_EQ(call_task(&d), 12);    /* thunk */
    CHECK_EQ(call_async2(&m), 112); /* thunk; base Derived through a thunk; Base through one */
    CHECK_EQ(call_task(&m), 112);   /* direct */
    CHECK(rta_type_slot(&Base_type, NSLOTS) == NULL);
    CHECK(rta_type_slot(NULL, 0) == NULL);
    return 1;
}

/* ---- lookups: the reflection rule ---- */

static int64_t t_lookup(void *arg)
{
    (void)arg;
    obj o = {&MoreDerived_type, 21};
    rta_method_ref out[4];
    /* GetMethod: only ever the task variant */
    rta_method_ref r = rta_type_get_method(&MoreDerived_type, "Helper"); /* inherited */
    CHECK(r.method == &Helper_m);
    CHECK_EQ(r.entry, RTA_ENTRY_TASK);
    CHECK(rta_type_get_method(&MoreDerived_type, "Nope").method == NULL);
    CHECK(rta_type_get_method(&Derived_type, "MoreDerived_Method").method == NULL); /* not in a base */
    /* GetMethods: the async2 variant only with the flag */
    CHECK_EQ(rta_type_get_methods(&MoreDerived_type, "Helper", 0, out, 4), 1);
    CHECK_EQ(out[0].entry, RTA_ENTRY_TASK);
    CHECK_EQ(rta_type_get_methods(&MoreDerived_type, "Helper", RTA_LOOKUP_ASYNC2_VISIBLE, out, 4), 2);
    CHECK_EQ(out[0].entry, RTA_ENTRY_TASK);
    CHECK_EQ(out[1].entry, RTA_ENTRY_ASYNC2);
    CHECK(out[1].method == &Helper_m);
    CHECK_EQ(rta_type_get_methods(&Base_type, "Helper", RTA_LOOKUP_ASYNC2_VISIBLE, out, 1), 2); /* max 1 */
    CHECK_EQ(rta_type_get_methods(&Base_type, "Derived_Method", RTA_LOOKUP_ASYNC2_VISIBLE, out, 4), 0);
    CHECK_EQ(rta_method_visible_entries(&Helper_m, 0), RTA_ENTRY_TASK);
    CHECK_EQ(rta_method_visible_entries(&Helper_m, RTA_LOOKUP_ASYNC2_VISIBLE),
             RTA_ENTRY_TASK | RTA_ENTRY_ASYNC2);
    /* GetMemberWithSameMetadataDefinitionAs: the other variant */
    rta_method_ref v = rta_method_variant(r);
    CHECK(v.method == &Helper_m);
    CHECK_EQ(v.entry, RTA_ENTRY_ASYNC2);
    CHECK_EQ(rta_method_variant(v).entry, RTA_ENTRY_TASK);
    CHECK(rta_method_variant((rta_method_ref){NULL, 0}).method == NULL);
    /* invoking either variant gives the same result */
    CHECK_EQ(rta_method_ref_invoke(r, &o), 42);
    CHECK_EQ(rta_method_ref_invoke(v, &o), 42);
    rta_method_ref mb = rta_type_get_method(&Base_type, "Base_Method");
    CHECK_EQ(rta_method_ref_invoke(mb, &o), 22);
    CHECK_EQ(rta_method_ref_invoke(rta_method_variant(mb), &o), 22);
    return 2;
}

/* ---- misuse ---- */

static const rta_method bad_none = {"bad_none", 0, NULL, NULL};
static const rta_method bad_both = {"bad_both", 0, Helper, Base_Method};

static int64_t t_misuse(void *arg)
{
    (void)arg;
    volatile int caught = 0;
    RTA_TRY {
        rta_method_call(&bad_none, NULL);
    }
    RTA_CATCH(e) {
        CHECK_EQ(rta_error_code(e), -EINVAL);
        CHECK(strstr(rta_error_message(e), "bad_none"));
        caught++;
    }
    RTA_END_TRY;
    errno = 0;
    CHECK(rta_method_call_task(&bad_both, NULL) == NULL);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(caught, 1);
    return 3;
}

int main(void)
{
    /* From non-async code: the task entry works, the async2 entry does not. */
    obj o = {&Derived_type, 5};
    errno = 0;
    CHECK(rta_method_call_task(&Derived_Method_m, &o) == NULL); /* not running: EAGAIN */
    CHECK_EQ(errno, EAGAIN);
    sem_start(3);
    rta_task *t = rta_method_call_task(rta_type_slot(o.type, SLOT_METHOD), &o);
    CHECK(t);
    CHECK_EQ(rta_task_wait(t, NULL), 16);
    rta_task_release(t);
    volatile int caught = 0;
    RTA_TRY {
        rta_method_call(&Derived_Method_m, &o);
    }
    RTA_CATCH(e) {
        CHECK_EQ(rta_error_code(e), RTA_ENOTASYNC);
        caught = 1;
    }
    RTA_END_TRY;
    CHECK_EQ(caught, 1);
    /* Built before the try: gcc -O0 warns that a compound literal inside it
     * "might be clobbered by longjmp" (-Werror=clobbered in Debug builds). */
    const rta_method_ref helper_ref = {&Helper_m, RTA_ENTRY_TASK};
    RTA_TRY {
        rta_method_ref_invoke(helper_ref, &o);
    }
    RTA_CATCH(e) {
        CHECK_EQ(rta_error_code(e), RTA_ENOTASYNC);
        caught = 2;
    }
    RTA_END_TRY;
    CHECK_EQ(caught, 2);

    static const rta_fn bodies[] = {t_dispatch, t_lookup, t_misuse};
    for (int i = 0; i < 3; i++) {
        t = rta_spawn(bodies[i], NULL);
        CHECK(t);
        rta_error *e = NULL;
        CHECK_EQ(rta_task_wait(t, &e), i + 1);
        CHECK(e == NULL);
        rta_task_release(t);
    }
    rta_shutdown();
    printf("methods ok\n");
    return 0;
}
