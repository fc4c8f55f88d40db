/*
 * A byte stream the connection pipeline reads and writes: a socket through the
 * rtasync I/O layer, or memory (tests, the fuzzer). Calls dispatch on the kind
 * directly, no function pointers, so every engine lowers them as plain calls.
 *
 * The memory kind can trickle: each read returns at most `trickle` bytes and
 * each read and write first yields, so a request arrives in pieces and the
 * pipeline really suspends mid-headers, mid-body and mid-write. With `hold`,
 * reading past the input waits for the deadline as a silent client would.
 */
#ifndef RTA_HTTP_STREAM_H
#define RTA_HTTP_STREAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "async.h"

typedef struct http_stream {
    int fd;           /* >= 0: a socket; -1: memory */
    atomic_bool idle; /* the pipeline waits for the first byte of a request */
    /* memory kind */
    const char *in;
    size_t in_len, in_pos;
    size_t trickle; /* max bytes per read, 0 = no limit (and no yields) */
    bool hold;      /* at the end of `in`: wait for the deadline, not EOF */
    char *out;      /* what was written (malloc'd, grows) */
    size_t out_len, out_cap;
    size_t writes; /* write calls made */
    size_t yields; /* trickle: suspensions (a yield before every read and write) */
    bool closed;
} http_stream;

/* Absolute CLOCK_MONOTONIC ns, as rta_deadline. */
int64_t http_now_ns(void);

void http_stream_init_fd(http_stream *s, int fd);
void http_stream_init_mem(http_stream *s, const char *in, size_t len, size_t trickle);
/* Frees what the memory kind collected (the fd kind owns nothing). */
void http_stream_free(http_stream *s);

/* > 0 bytes read, 0 at end of stream, -errno (-ETIMEDOUT past the deadline,
 * -ECANCELED when the task was canceled). */
RTA_ASYNC ssize_t http_stream_read(http_stream *s, void *buf, size_t n, int64_t deadline);
/* Writes all n bytes: returns n or -errno. */
RTA_ASYNC ssize_t http_stream_write(http_stream *s, const void *buf, size_t n, int64_t deadline);
void http_stream_close(http_stream *s);

#endif
