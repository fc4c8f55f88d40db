/* The pipeline's plain C, built once and shared by every engine's build of
 * the async2 files (stream.c, conn.c, app.c): configuration defaults, the
 * clock, and setting streams up and down. */
#include "http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rta.h>
#if defined(__has_include)
#if __has_include(<rta/io.h>)
#include <rta/io.h>
#define HTTP_HAVE_IO 1
#endif
#endif

int64_t http_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void http_stream_init_fd(http_stream *s, int fd)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
}

void http_stream_init_mem(http_stream *s, const char *in, size_t len, size_t trickle)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->in = in;
    s->in_len = len;
    s->trickle = trickle;
}

void http_stream_free(http_stream *s)
{
    free(s->out);
    s->out = NULL;
    s->out_len = s->out_cap = 0;
}

void http_stream_close(http_stream *s)
{
    if (s->closed)
        return;
    s->closed = true;
    if (s->fd >= 0) {
#ifdef HTTP_HAVE_IO
        rta_close(s->fd);
#else
        close(s->fd);
#endif
    }
}

void http_config_default(http_config *cfg)
{
    cfg->max_head = HTTP_DEFAULT_MAX_HEAD;
    cfg->max_body = 1024 * 1024;
    cfg->header_timeout_ms = 10000;
    cfg->io_timeout_ms = 30000;
    cfg->access_log = false;
}
