/*
 * The engine table and the drivers that run a job to completion from
 * non-async code. parse.c and write.c are compiled once per engine; the cont,
 * async1 and async1-pool builds exist only when rtac generated them
 * (RJ_HAVE_CONT, RJ_HAVE_ASYNC1, RJ_HAVE_ASYNC1_POOL, set by CMake).
 */
#include "engine.h"

#include <stdio.h>

RJ_DECLARE_ENGINE(sync)
RJ_DECLARE_ENGINE(tasklet)
#if RJ_HAVE_CONT
RJ_DECLARE_ENGINE(cont)
#endif
#if RJ_HAVE_ASYNC1
RJ_DECLARE_ENGINE(async1)
#endif
#if RJ_HAVE_ASYNC1_POOL
RJ_DECLARE_ENGINE(async1_pool)
#endif

static const rj_engine engines[] = {
    {"sync", rj_sync_parse_run, rj_sync_write_run, NULL, NULL},
    {"tasklet", NULL, NULL, rj_tasklet_parse_spawn, rj_tasklet_write_spawn},
#if RJ_HAVE_CONT
    {"cont", NULL, NULL, rj_cont_parse_spawn, rj_cont_write_spawn},
#endif
#if RJ_HAVE_ASYNC1
    {"async1", NULL, NULL, rj_async1_parse_spawn, rj_async1_write_spawn},
#endif
#if RJ_HAVE_ASYNC1_POOL
    {"async1-pool", NULL, NULL, rj_async1_pool_parse_spawn, rj_async1_pool_write_spawn},
#endif
};

const char *const rj_engine_names[] = {
    "sync",        "tasklet",
#if RJ_HAVE_CONT
    "cont",
#endif
#if RJ_HAVE_ASYNC1
    "async1",
#endif
#if RJ_HAVE_ASYNC1_POOL
    "async1-pool",
#endif
    NULL,
};

const rj_engine *rj_engine_find(const char *name, bool *built)
{
    *built = false;
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++)
        if (strcmp(engines[i].name, name) == 0) {
            *built = true;
            return &engines[i];
        }
    /* known engines this build lacks: named, so that the caller can say why */
    static const rj_engine missing[] = {
        {"cont", NULL, NULL, NULL, NULL},
        {"async1", NULL, NULL, NULL, NULL},
        {"async1-pool", NULL, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++)
        if (strcmp(missing[i].name, name) == 0)
            return &missing[i];
    return NULL;
}

int rj_job_wait(rta_task *t, rj_error *err)
{
    rta_error *e = NULL;
    int64_t v = rta_task_wait(t, &e);
    rta_task_release(t);
    if (e) {
        rj__set_error(err, RJ_EENGINE, "the job's task failed: %s", rta_error_message(e));
        rta_error_free(e);
        return RJ_EENGINE;
    }
    return (int)v;
}

static int start_failed(rj_error *err, const rj_engine *e)
{
    rj__set_error(err, RJ_EENGINE, "engine %s could not start the job: %s", e->name,
                  e->parse_spawn ? strerror(errno) : "not built in this build (needs rtac)");
    return RJ_EENGINE;
}

int rj_parse(const rj_engine *e, rj_parser *p)
{
    if (e->parse_run)
        return (int)e->parse_run(p);
    rta_task *t = e->parse_spawn ? e->parse_spawn(p) : NULL;
    if (!t)
        return start_failed(&p->err, e);
    int r = rj_job_wait(t, &p->err);
    return r ? r : p->err.code;
}

int rj_write(const rj_engine *e, rj_writer *w)
{
    if (e->write_run)
        return (int)e->write_run(w);
    rta_task *t = e->write_spawn ? e->write_spawn(w) : NULL;
    if (!t)
        return start_failed(&w->err, e);
    int r = rj_job_wait(t, &w->err);
    return r ? r : w->err.code;
}
