/*
 * Rule 6's task-returning method implementations for every engine from one
 * async2 source: rtac builds it for tasklet, cont and async1
 * (tests/CMakeLists.txt). Base.Method yields and returns field + 1;
 * MoreDerived.Method calls its base, Derived.Method (async2), through the
 * task-returning entry and adds 100. Each build exports <engine>_Base and
 * <engine>_More, the task-returning entries the descriptors of
 * test_rule6_methods.c name: what that entry is belongs to the engine, so it
 * is the glue below (a tasklet spawned as a stand-in, a cont function run by
 * rta_cont_call on the calling thread, an async1 method's stub).
 */
#include "check.h"
#include "rule6_methods.h"

#if defined(RTAC_ENGINE_TASKLET)
#define R6_BASE tasklet_Base
#define R6_MORE tasklet_More
#elif defined(RTAC_ENGINE_CONT)
#define R6_BASE cont_Base
#define R6_MORE cont_More
#else
#define R6_BASE async1_Base
#define R6_MORE async1_More
#endif

static RTA_ASYNC int64_t base_body(void *arg)
{
    rta_yield();
    return ((obj *)arg)->field + 1;
}

static RTA_ASYNC int64_t more_body(void *arg)
{
    rta_task *t = rta_method_call_task(&Derived_m, arg); /* base call, task entry */
    CHECK(t);
    int64_t v = rta_await(t);
    rta_task_release(t);
    return v + 100;
}

/* ---- engine glue: the task-returning entry. cont's runs the function on
 * the calling thread (rta_cont_call on the cont functions rtac made of
 * base_body and more_body, docs/rtac.md), where rta_spawn would queue it on
 * the worker; hidden from rtac by the engine macro. rta_spawn is the
 * tasklet's stand-in, and async1's stub call (the method runs at once). */
rta_task *R6_BASE(void *arg)
{
#if defined(RTAC_ENGINE_CONT)
    return rta_cont_call(base_body, arg);
#else
    return rta_spawn(base_body, arg);
#endif
}

rta_task *R6_MORE(void *arg)
{
#if defined(RTAC_ENGINE_CONT)
    return rta_cont_call(more_body, arg);
#else
    return rta_spawn(more_body, arg);
#endif
}
