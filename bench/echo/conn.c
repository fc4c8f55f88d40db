/* The echo loop, async2 C: read what arrived, write it all back, until the
 * peer closes. Built per engine (echo.h); rtac lowers rta_read / rta_write to
 * each engine's form (docs/io.md). No deadlines: the hand-written epoll
 * server and the Go server it is compared with have none either (equal
 * work); examples/echo.c shows the same loop with deadlines. */
#include "echo.h"

#include <stdlib.h>

#include <rta/io.h>

static RTA_ASYNC int64_t echo_serve(echo_job *j)
{
    int64_t echoed = 0;
    for (;;) {
        ssize_t n = rta_read(j->fd, j->buf, j->cap, RTA_FOREVER);
        if (n <= 0)
            break;
        if (rta_write(j->fd, j->buf, (size_t)n, RTA_FOREVER) < 0)
            break;
        echoed += n;
    }
    return echoed;
}

static RTA_ASYNC int64_t job_entry(void *arg)
{
    echo_job *j = arg;
    int64_t echoed = echo_serve(j);
    rta_close(j->fd);
    free(j);
    return echoed;
}

rta_task *ECHO_SYM(spawn)(echo_job *j)
{
    return rta_spawn(job_entry, j);
}
