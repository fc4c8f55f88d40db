/* Rule 6, method descriptors and mixed overrides, one body run with the
 * task-returning implementations of each engine: Base (task-returning)
 * -> Derived (async2, tasklet code: rta_method_call is the tasklet engine's
 * async2 entry) -> MoreDerived (task-returning), each override calling its
 * base through the *other* entry, dispatched through both entries. The
 * task-returning implementations come from one async2 source,
 * rule6_methods.async2.c, built by rtac for every engine: tasklet, an
 * rta_spawn stand-in; cont, a real cont function behind rta_cont_call;
 * async1, a real async1 method. A by-reference descriptor over each gets no
 * async2 thunk. */
#include "rule6_methods.h"
#include "sem_engines.h"

static const rta_method *base_m[SEM_NENGINES], *more_m[SEM_NENGINES];

/* Derived.Method (async2): base.Method() through the async2 entry. */
static int64_t Derived_Method(void *arg)
{
    obj *o = arg;
    int64_t b = rta_method_call(base_m[o->engine], arg);
    rta_sleep_ms(1);
    return b + 10;
}
const rta_method Derived_m = RTA_METHOD_ASYNC2(Derived_Method, 0);

static const rta_method mb[SEM_NENGINES] = {
    RTA_METHOD_ASYNC1(tasklet_Base, 0), RTA_METHOD_ASYNC1(cont_Base, 0), RTA_METHOD_ASYNC1(async1_Base, 0)};
static const rta_method mm[SEM_NENGINES] = {
    RTA_METHOD_ASYNC1(tasklet_More, 0), RTA_METHOD_ASYNC1(cont_More, 0), RTA_METHOD_ASYNC1(async1_More, 0)};
static const rta_method mbyref[SEM_NENGINES] = {RTA_METHOD_ASYNC1(tasklet_Base, RTA_FN_BYREF),
                                                RTA_METHOD_ASYNC1(cont_Base, RTA_FN_BYREF),
                                                RTA_METHOD_ASYNC1(async1_Base, RTA_FN_BYREF)};

static const rta_method *vt_base[SEM_NENGINES][1], *vt_derived[1] = {&Derived_m}, *vt_more[SEM_NENGINES][1];
static rta_type T_base[SEM_NENGINES], T_derived[SEM_NENGINES], T_more[SEM_NENGINES];

static int64_t call_async2(obj *o)
{
    return rta_method_call(rta_type_slot(o->type, 0), o);
}
static int64_t call_task(obj *o)
{
    rta_task *t = rta_method_call_task(rta_type_slot(o->type, 0), o);
    CHECK(t);
    int64_t v = rta_await(t);
    rta_task_release(t);
    return v;
}

/* The one body, from async2 (tasklet) code. */
static int64_t dispatch(void *arg)
{
    int e = (int)(intptr_t)arg;
    obj b = {&T_base[e], 1, e}, d = {&T_derived[e], 1, e}, m = {&T_more[e], 1, e};
    CHECK_EQ(call_async2(&b), 2);   /* task-returning impl through the async2 entry: thunk */
    CHECK_EQ(call_task(&b), 2);     /* direct */
    CHECK_EQ(call_async2(&d), 12);  /* direct; its base call is a thunk */
    CHECK_EQ(call_task(&d), 12);    /* thunk (rta_spawn) */
    CHECK_EQ(call_async2(&m), 112); /* thunk; base Derived through a thunk; Base through one */
    CHECK_EQ(call_task(&m), 112);   /* direct */
    volatile int caught = 0;
    RTA_TRY {
        rta_method_call(&mbyref[e], &b);
    }
    RTA_CATCH(err) {
        CHECK_EQ(rta_error_code(err), RTA_EINVALIDPROGRAM);
        CHECK(strstr(rta_error_message(err), mbyref[e].name));
        caught = 1;
    }
    RTA_END_TRY;
    CHECK_EQ(caught, 1);
    rta_task *t = rta_method_call_task(&mbyref[e], &b); /* the direct entry works */
    CHECK(t);
    CHECK_EQ(rta_await(t), 2);
    rta_task_release(t);
    return 1;
}

int main(void)
{
    sem_engines_init(3);
    for (int e = 0; e < SEM_NENGINES; e++) {
        base_m[e] = &mb[e];
        more_m[e] = &mm[e];
        vt_base[e][0] = &mb[e];
        vt_more[e][0] = &mm[e];
        T_base[e] = (rta_type){"Base", NULL, vt_base[e], 1, NULL, 0};
        T_derived[e] = (rta_type){"Derived", &T_base[e], vt_derived, 1, NULL, 0};
        T_more[e] = (rta_type){"MoreDerived", &T_derived[e], vt_more[e], 1, NULL, 0};
    }
    for (int e = 0; e < SEM_NENGINES; e++) {
        rta_task *t = rta_spawn(dispatch, (void *)(intptr_t)e);
        CHECK(t);
        rta_error *err = NULL;
        CHECK_EQ(rta_task_wait(t, &err), 1);
        CHECK(err == NULL);
        rta_task_release(t);
        /* and the task entry of MoreDerived from non-async code */
        obj m = {&T_more[e], 5, e};
        t = rta_method_call_task(rta_type_slot(m.type, 0), &m);
        CHECK(t);
        CHECK_EQ(rta_task_wait(t, NULL), 116);
        rta_task_release(t);
        printf("  %-8s Base(%s) -> Derived(async2) -> MoreDerived(%s) ok\n", sem_engine_name[e],
               sem_engine_name[e], sem_engine_name[e]);
    }
    rta_shutdown();
    sem_engines_fini();
    printf("rule 6 (method descriptors, mixed overrides) holds on every engine\n");
    return 0;
}
