/*
 * The engine table: each engine's build of the async2 files exports
 * http_<engine>_spawn (conn.c); cont and async1 exist only when rtac built
 * them (HTTP_HAVE_CONT, HTTP_HAVE_ASYNC1, set by CMake).
 */
#include "http.h"

#include <string.h>

rta_task *http_tasklet_spawn(http_job *j);
#if HTTP_HAVE_CONT
rta_task *http_cont_spawn(http_job *j);
#endif
#if HTTP_HAVE_ASYNC1
rta_task *http_async1_spawn(http_job *j);
#endif

static const http_engine engines[] = {
    {"tasklet", http_tasklet_spawn},
#if HTTP_HAVE_CONT
    {"cont", http_cont_spawn},
#endif
#if HTTP_HAVE_ASYNC1
    {"async1", http_async1_spawn},
#endif
};

const char *const http_engine_names[] = {
    "tasklet",
#if HTTP_HAVE_CONT
    "cont",
#endif
#if HTTP_HAVE_ASYNC1
    "async1",
#endif
    NULL,
};

const http_engine *http_engine_find(const char *name, bool *built)
{
    *built = false;
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++)
        if (strcmp(engines[i].name, name) == 0) {
            *built = true;
            return &engines[i];
        }
    static const http_engine missing[] = {{"cont", NULL}, {"async1", NULL}};
    for (size_t i = 0; i < 2; i++)
        if (strcmp(missing[i].name, name) == 0)
            return &missing[i];
    return NULL;
}
