/* Rule 5, invalid programs, one body run against every engine that has
 * handlers: an await inside a catch or a finally handler raises
 * RTA_EINVALIDPROGRAM naming the function (tasklet: RTA_TRY; cont:
 * RTA_CONT_TRY). async1 is C#'s async, where an await in a catch or finally
 * block is legal (C# 6): its lowered catch (RTA_AWAIT1_TASK_CATCH, then the
 * handler as ordinary move-next code) awaits and completes — asserted both
 * ways. By-reference thunks: test_rule6_methods.c and test_invalid.c. */
#include "sem_engines.h"

#define CODE (RTA_EUSER - 5)

static TEST_NOINLINE int64_t tl_await_in_handler(void *arg)
{
    int fin = (int)(intptr_t)arg;
    if (fin) {
        RTA_TRY {
            rta_yield();
        }
        RTA_FINALLY {
            rta_yield();
        }
        RTA_END_TRY;
    } else {
        RTA_TRY {
            rta_throw(CODE, "first");
        }
        RTA_CATCH(e) {
            (void)e;
            rta_yield();
        }
        RTA_END_TRY;
    }
    KEEP_FRAME();
    return 1;
}

RTA_CONT_FN(c_await_in_catch, void *, arg)
{
    RTA_CONT_FRAME(c_await_in_catch, int64_t unused;);
    (void)arg;
    RTA_CONT_TRY {
        rta_throw(CODE, "first");
    }
    RTA_CONT_CATCH(e) {
        (void)e;
        RTA_CONT_YIELD();
    }
    RTA_CONT_END_TRY;
    RTA_CONT_RETURN(1);
}

RTA_CONT_FN(c_await_in_finally, void *, arg)
{
    RTA_CONT_FRAME(c_await_in_finally, int64_t unused;);
    (void)arg;
    RTA_CONT_TRY {
        RTA_CONT_YIELD();
    }
    RTA_CONT_FINALLY {
        RTA_CONT_YIELD();
    }
    RTA_CONT_END_TRY;
    RTA_CONT_RETURN(1);
}

typedef struct a1_sm {
    rta_async1_sm hdr;
    int fin;
    rta_task *t;
    int64_t v;
    rta_error *err;
} a1_sm;

RTA_ASYNC1_METHOD(a1_await_in_handler, rta_task *);
static void a1_await_in_handler_mn(rta_async1_sm *m);
static rta_task *a1_await_in_handler(int fin)
{
    a1_sm sm = {.fin = fin};
    RTA_ASYNC1_START(a1_await_in_handler, &sm, a1_await_in_handler_mn);
    return RTA_ASYNC1_TASK(a1_await_in_handler, &sm);
}

static rta_task *faulted(void)
{
    rta_task *p = rta_promise_new();
    CHECK(p);
    rta_promise_reject(p, rta_error_new(CODE, "first"));
    return p;
}

static void a1_await_in_handler_mn(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(a1_await_in_handler, a1_sm, sm, m);
    /* try { await faulted; } catch / finally { await ...; } lowered */
    RTA_AWAIT1_TASK_CATCH(sm->t, faulted(), sm->v, sm->err);
    CHECK(sm->err);
    CHECK_EQ(rta_error_code(sm->err), CODE);
    rta_error_free(sm->err);
    sm->err = NULL;
    RTA_AWAIT1_YIELD(); /* the handler's await: legal in async1 */
    RTA_AWAIT1_TASK(sm->t, sem_pending(), sm->v);
    RTA_ASYNC1_RETURN(sm->fin ? 2 : 1);
    RTA_ASYNC1_END();
}

static rta_task *start(int e, int fin)
{
    switch (e) {
    case SEM_TASKLET:
        return rta_spawn(tl_await_in_handler, (void *)(intptr_t)fin);
    case SEM_CONT:
        return rta_cont_spawn(fin ? c_await_in_finally : c_await_in_catch, NULL);
    default:
        return a1_await_in_handler(fin);
    }
}

static const char *const fn_name[SEM_NENGINES][2] = {
    {"tl_await_in_handler", "tl_await_in_handler"},
    {"c_await_in_catch", "c_await_in_finally"},
    {NULL, NULL},
};

int main(void)
{
    sem_engines_init(2);
    for (int e = 0; e < SEM_NENGINES; e++) {
        for (int fin = 0; fin < 2; fin++) {
            rta_task *t = start(e, fin);
            CHECK(t);
            rta_error *err = NULL;
            int64_t v = rta_task_wait(t, &err);
            if (e == SEM_ASYNC1) {
                CHECK(err == NULL); /* async1: allowed, runs to the end */
                CHECK_EQ(v, fin ? 2 : 1);
            } else {
                CHECK(err);
                CHECK_EQ(rta_error_code(err), RTA_EINVALIDPROGRAM);
                if (!strstr(rta_error_message(err), fn_name[e][fin])) {
                    fprintf(stderr, "[%s] message \"%s\" does not name %s\n", sem_engine_name[e],
                            rta_error_message(err), fn_name[e][fin]);
                    abort();
                }
                rta_error_free(err);
            }
            rta_task_release(t);
        }
        printf("  %-8s await in handler ok\n", sem_engine_name[e]);
    }
    rta_shutdown();
    sem_engines_fini();
    printf("rule 5 (invalid programs) holds on every engine\n");
    return 0;
}
