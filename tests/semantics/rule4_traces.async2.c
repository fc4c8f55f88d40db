/*
 * Rule 4's chain for every engine from one async2 source: rtac builds it for
 * tasklet, cont and async1 (tests/CMakeLists.txt). level1 -> level2 ->
 * level3, with a suspension (a sleep and a yield) in level2 before it calls
 * level3, which throws. The levels are noinline (TEST_NOINLINE, which rtac
 * carries to the cont functions and move-nexts that hold the code) and keep
 * their frames (KEEP_FRAME: no tail call), so each level is one frame of
 * the trace on every engine and at every optimisation level. Each build
 * exports <engine>_rule4_chain, which starts level1 on its engine.
 */
#include "rule4_traces.h"
#include "testutil.h"

#if defined(RTAC_ENGINE_TASKLET)
#define RULE4_CHAIN tasklet_rule4_chain
#elif defined(RTAC_ENGINE_CONT)
#define RULE4_CHAIN cont_rule4_chain
#else
#define RULE4_CHAIN async1_rule4_chain
#endif

TEST_NOINLINE static RTA_ASYNC int64_t level3(int64_t x)
{
    if (x > 0)
        rta_throw(RULE4_CODE, "level3 failed at %lld", (long long)x);
    KEEP_FRAME();
    return x;
}

TEST_NOINLINE static RTA_ASYNC int64_t level2(int64_t x)
{
    rta_sleep_ms(30); /* long enough to suspend: under valgrind a 1 ms delay had ended by the await, the chain
                         ran on the spawning thread and its trace went on into main */
    rta_yield();
    int64_t v = level3(x);
    KEEP_FRAME();
    return v + 1;
}

TEST_NOINLINE static RTA_ASYNC int64_t level1(void *arg)
{
    int64_t v = level2((int64_t)(intptr_t)arg);
    KEEP_FRAME();
    return v + 1;
}

rta_task *RULE4_CHAIN(int64_t x)
{
    return rta_spawn(level1, (void *)(intptr_t)x);
}
