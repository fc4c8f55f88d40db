/*
 * Notices: what the runtime decided on its own and says once (today: that
 * io_uring is unavailable and epoll serves). They go to the rta_config
 * notice hook when the program installed one (a CLI tool whose stderr is a
 * contract, e.g. rtajson's one error line), else to stderr as one line.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

static void (*_Atomic notice_hook)(const char *, void *);
static void *_Atomic notice_data;

void rta__set_notice_hook(void (*fn)(const char *, void *), void *data)
{
    atomic_store(&notice_data, data);
    atomic_store(&notice_hook, fn);
}

void rta__notice(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    void (*fn)(const char *, void *) = atomic_load(&notice_hook);
    if (fn)
        fn(line, atomic_load(&notice_data));
    else
        fprintf(stderr, "%s\n", line);
}
