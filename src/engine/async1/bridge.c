/*
 * Async2 calls inside async1 methods (tools/rtac's async1 lowering).
 *
 * async1 has no async2 call: a method can only await an awaitable. An I/O
 * call of rta/io.h written in an RTA_ASYNC function therefore runs as a
 * tasklet (the async2 engine that has every call) whose task the method
 * awaits, as C# code awaits a Task that wraps the operation. The arguments
 * are copied to the heap for the tasklet: the method's state machine may
 * move while the tasklet has not yet started. Results and -errno come back
 * as the task's value, as the call returns them.
 */
#include "async1.h"

#include <errno.h>
#include <stdlib.h>

typedef struct io_args {
    int fd;
    void *buf;
    size_t n;
    int64_t d;
} io_args;

static int64_t read_fn(void *p)
{
    io_args a = *(io_args *)p;
    free(p);
    return rta_read(a.fd, a.buf, a.n, a.d);
}

static int64_t write_fn(void *p)
{
    io_args a = *(io_args *)p;
    free(p);
    return rta_write(a.fd, a.buf, a.n, a.d);
}

/* NULL (errno ENOMEM) when out of memory: awaiting it throws, naming it. */
static rta_task *spawn_io(int64_t (*fn)(void *), int fd, void *buf, size_t n, int64_t d)
{
    io_args *a = malloc(sizeof *a);
    if (!a) {
        errno = ENOMEM;
        return NULL;
    }
    *a = (io_args){fd, buf, n, d};
    rta_task *t = rta_spawn(fn, a);
    if (!t)
        free(a);
    return t;
}

rta_task *rta__a1_read(int fd, void *buf, size_t n, int64_t d)
{
    return spawn_io(read_fn, fd, buf, n, d);
}

rta_task *rta__a1_write(int fd, const void *buf, size_t n, int64_t d)
{
    return spawn_io(write_fn, fd, (void *)(uintptr_t)buf, n, d);
}
