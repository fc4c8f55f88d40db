/* The async2 stream calls behind stream.h: sockets through rta/io.h (its
 * waits suspend the task on every engine: rtac lowers rta_read / rta_write),
 * and memory. Built once per engine; the plain part is in common.c. */
#include "stream.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>

#include <rta.h>
#if defined(__has_include)
#if __has_include(<rta/io.h>)
#include <rta/io.h>
#define HTTP_HAVE_IO 1
#endif
#endif

RTA_ASYNC ssize_t http_stream_read(http_stream *s, void *buf, size_t n, int64_t deadline)
{
    if (s->fd >= 0) {
#ifdef HTTP_HAVE_IO
        return rta_read(s->fd, buf, n, deadline);
#else
        return -ENOSYS;
#endif
    }
    if (s->closed)
        return -EBADF;
    if (s->trickle) {
        s->yields++;
        rta_yield();
    }
    if (s->in_pos == s->in_len) {
        if (!s->hold)
            return 0;
        /* a client that sends nothing more: wait out the deadline */
        int64_t left = deadline - http_now_ns();
        if (left > 0)
            rta_sleep_ms((uint64_t)(left + 999999) / 1000000);
        return -ETIMEDOUT;
    }
    size_t k = s->in_len - s->in_pos;
    if (k > n)
        k = n;
    if (s->trickle && k > s->trickle)
        k = s->trickle;
    memcpy(buf, s->in + s->in_pos, k);
    s->in_pos += k;
    return (ssize_t)k;
}

RTA_ASYNC ssize_t http_stream_write(http_stream *s, const void *buf, size_t n, int64_t deadline)
{
    if (s->fd >= 0) {
#ifdef HTTP_HAVE_IO
        return rta_write(s->fd, buf, n, deadline);
#else
        (void)deadline;
        return -ENOSYS;
#endif
    }
    (void)deadline;
    if (s->closed)
        return -EPIPE;
    s->writes++;
    if (s->out_len + n > s->out_cap) {
        size_t cap = s->out_cap ? s->out_cap : 4096;
        while (cap < s->out_len + n)
            cap *= 2;
        char *p = realloc(s->out, cap);
        if (!p)
            return -ENOMEM;
        s->out = p;
        s->out_cap = cap;
    }
    /* a full socket takes the bytes in pieces: suspend between them */
    const char *src = buf;
    for (size_t done = 0; done < n;) {
        size_t k = n - done;
        if (s->trickle) {
            s->yields++;
            rta_yield();
            if (k > s->trickle * 64)
                k = s->trickle * 64;
        }
        memcpy(s->out + s->out_len, src + done, k);
        s->out_len += k;
        done += k;
    }
    return (ssize_t)n;
}
