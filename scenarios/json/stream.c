/*
 * rj_stream backends: memory (read in place / a growing sink), file
 * descriptors (blocking read/write), an in-process pipe between two tasks,
 * and a trickle source that forces suspensions. None of this waits: a backend
 * that cannot progress answers -EAGAIN and names an awaiter (ops->wait); the
 * engine code (parse.c, write.c) does the awaiting.
 */
#include "engine.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static int stream_setup(rj_stream *s, const rj_stream_ops *ops, void *self, bool writing)
{
    memset(s, 0, sizeof *s);
    s->buf = malloc(RJ_STREAM_BUF);
    if (!s->buf)
        return RJ_ENOMEM;
    s->owns_buf = true;
    s->cap = RJ_STREAM_BUF;
    s->cur = s->buf;
    s->end = writing ? s->buf + s->cap : s->buf;
    s->ops = ops;
    s->self = self;
    s->writing = writing;
    return 0;
}

void rj_stream_free(rj_stream *s)
{
    if (s->ops && s->ops->destroy)
        s->ops->destroy(s->self);
    if (s->owns_buf)
        free(s->buf);
    memset(s, 0, sizeof *s);
}

/* An awaiter that is never complete until asked, and completes as soon as the
 * waiter is registered: the task really suspends, then is resumed at once. */
static bool bounce_done(void *self)
{
    (void)self;
    return false;
}
static void bounce_register(void *self, rta_waiter *w)
{
    (void)self;
    w->fn(w);
}
static int64_t bounce_result(void *self)
{
    (void)self;
    return 0;
}
static const rta_awaiter_ops bounce_ops = {bounce_done, bounce_register, bounce_register, bounce_result};

/* ---- memory ------------------------------------------------------------------------ */

static ssize_t none_read(void *self, void *buf, size_t n)
{
    (void)self, (void)buf, (void)n;
    return 0;
}

static const rj_stream_ops mem_read_ops = {.read = none_read, .name = "memory"};

int rj_stream_mem_reader(rj_stream *s, const void *data, size_t len)
{
    memset(s, 0, sizeof *s);
    s->buf = s->cur = (uint8_t *)data;
    s->end = s->buf + len;
    s->cap = len;
    s->ops = &mem_read_ops;
    return 0;
}

typedef struct membuf {
    uint8_t *data;
    size_t len, cap;
} membuf;

static ssize_t mem_write(void *self, const void *buf, size_t n)
{
    membuf *m = self;
    if (m->cap - m->len < n) {
        size_t cap = m->cap ? m->cap : 64 * 1024;
        while (cap - m->len < n)
            cap *= 2;
        uint8_t *d = realloc(m->data, cap);
        if (!d)
            return -ENOMEM;
        m->data = d;
        m->cap = cap;
    }
    memcpy(m->data + m->len, buf, n);
    m->len += n;
    return (ssize_t)n;
}

static void mem_destroy(void *self)
{
    membuf *m = self;
    free(m->data);
    free(m);
}

static const rj_stream_ops mem_write_ops = {.write = mem_write, .destroy = mem_destroy, .name = "memory"};

int rj_stream_mem_writer(rj_stream *s)
{
    membuf *m = calloc(1, sizeof *m);
    if (!m)
        return RJ_ENOMEM;
    int r = stream_setup(s, &mem_write_ops, m, true);
    if (r < 0)
        free(m);
    return r;
}

const uint8_t *rj_stream_mem_data(const rj_stream *s, size_t *len)
{
    const membuf *m = s->self;
    *len = m->len;
    return m->data ? m->data : (const uint8_t *)"";
}

/* ---- a span of the caller's memory ------------------------------------------------ */

/* The span sink keeps what is flushed where it was written: taking n bytes
 * moves the buffer's start past them (self is the stream), so [span start,
 * buf) holds what was flushed and [buf, cur) what is pending, together
 * rj_stream_pos(s) bytes from the span's start, which is end - cap (cap, the
 * span's length, and end never move). It takes the n bytes only while
 * RJ_TOKEN_ROOM bytes of room would be left: after a flush the writer puts a
 * token into the room without another check (write.c), so a flush that
 * cannot leave that room (the span is full) must fail, with ENOSPC. It takes
 * all n at once or none, and never answers -EAGAIN. */
static ssize_t span_write(void *self, const void *buf, size_t n)
{
    rj_stream *s = self;
    if ((const uint8_t *)buf != s->buf || (size_t)(s->end - s->buf) < n + RJ_TOKEN_ROOM)
        return -ENOSPC;
    s->buf += n;
    return (ssize_t)n;
}

static const rj_stream_ops span_write_ops = {.write = span_write, .name = "span"};

int rj_stream_span_writer(rj_stream *s, void *buf, size_t cap)
{
    memset(s, 0, sizeof *s);
    if (cap < RJ_TOKEN_ROOM)
        return RJ_EARG;
    s->buf = s->cur = buf;
    s->end = s->buf + cap;
    s->cap = cap;
    s->ops = &span_write_ops;
    s->self = s;
    s->writing = true;
    return 0;
}

int rj_stream_rewind(rj_stream *s)
{
    if (s->ops == &mem_read_ops) {
        s->cur = s->buf;
        s->base = 0;
        s->eof = false;
        return 0;
    }
    if (s->ops == &mem_write_ops) {
        ((membuf *)s->self)->len = 0;
        s->cur = s->buf;
        s->base = 0;
        return 0;
    }
    if (s->ops == &span_write_ops) {
        s->buf = s->cur = s->end - s->cap; /* the span's start (span_write) */
        s->base = 0;
        s->err = 0;
        return 0;
    }
    return -EINVAL;
}

/* ---- file descriptors ------------------------------------------------------------ */

static ssize_t fd_read(void *self, void *buf, size_t n)
{
    for (;;) {
        ssize_t r = read((int)(intptr_t)self, buf, n);
        if (r >= 0)
            return r;
        if (errno != EINTR)
            return errno == EAGAIN ? -EIO : -errno; /* a non-blocking fd: no poller to wait on */
    }
}

static ssize_t fd_write(void *self, const void *buf, size_t n)
{
    for (;;) {
        ssize_t r = write((int)(intptr_t)self, buf, n);
        if (r >= 0)
            return r;
        if (errno != EINTR)
            return errno == EAGAIN ? -EIO : -errno;
    }
}

static const rj_stream_ops fd_read_ops = {.read = fd_read, .name = "fd"};
static const rj_stream_ops fd_write_ops = {.write = fd_write, .name = "fd"};

int rj_stream_fd_reader(rj_stream *s, int fd)
{
    return stream_setup(s, &fd_read_ops, (void *)(intptr_t)fd, false);
}

int rj_stream_fd_writer(rj_stream *s, int fd)
{
    return stream_setup(s, &fd_write_ops, (void *)(intptr_t)fd, true);
}

/* ---- trickle -------------------------------------------------------------------- */

typedef struct trickle {
    const uint8_t *data;
    size_t len, off, chunk;
    bool wait_each, owe_wait;
} trickle;

static ssize_t trickle_read(void *self, void *buf, size_t n)
{
    trickle *t = self;
    if (t->off == t->len)
        return 0;
    if (t->wait_each && (t->owe_wait = !t->owe_wait))
        return -EAGAIN;
    size_t k = t->len - t->off;
    if (k > t->chunk)
        k = t->chunk;
    if (k > n)
        k = n;
    memcpy(buf, t->data + t->off, k);
    t->off += k;
    return (ssize_t)k;
}

static void trickle_wait(void *self, bool for_write, rj_stream *s)
{
    (void)self, (void)for_write;
    s->wait_ops = &bounce_ops;
    s->wait_obj = NULL;
}

static const rj_stream_ops trickle_ops = {
    .read = trickle_read, .wait = trickle_wait, .destroy = free, .name = "trickle"};

int rj_stream_trickle_reader(rj_stream *s, const void *data, size_t len, size_t chunk, bool wait_each)
{
    trickle *t = calloc(1, sizeof *t);
    if (!t)
        return RJ_ENOMEM;
    t->data = data;
    t->len = len;
    t->chunk = chunk ? chunk : 1;
    t->wait_each = wait_each;
    int r = stream_setup(s, &trickle_ops, t, false);
    if (r < 0)
        free(t);
    return r;
}

/* ---- the in-process pipe ------------------------------------------------------------ */

/* A ring of `cap` bytes shared by one writer and one reader task, which may
 * run on different workers. Invariant: a waiter is parked only while its
 * condition is false, checked under the lock; whoever changes the condition
 * takes the waiter out under the lock and runs it after unlocking. */
typedef struct rj_pipe rj_pipe;
typedef struct pipe_end {
    rj_pipe *p;
    bool writer;
} pipe_end;

struct rj_pipe {
    pthread_mutex_t mu;
    uint8_t *ring;
    size_t cap, head, len; /* bytes [head, head+len) mod cap */
    bool wclosed, rclosed;
    int refs;
    rta_waiter *rwait, *wwait;
    pipe_end ends[2]; /* [0] writer, [1] reader */
};

static void pipe_unref(rj_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    int left = --p->refs;
    pthread_mutex_unlock(&p->mu);
    if (left == 0) {
        pthread_mutex_destroy(&p->mu);
        free(p->ring);
        free(p);
    }
}

static bool pipe_ready(rj_pipe *p, bool writer)
{
    return writer ? p->len < p->cap || p->rclosed : p->len > 0 || p->wclosed;
}

static bool pipe_is_completed(void *self)
{
    pipe_end *e = self;
    pthread_mutex_lock(&e->p->mu);
    bool r = pipe_ready(e->p, e->writer);
    pthread_mutex_unlock(&e->p->mu);
    return r;
}

static void pipe_on_completed(void *self, rta_waiter *w)
{
    pipe_end *e = self;
    rj_pipe *p = e->p;
    pthread_mutex_lock(&p->mu);
    bool now = pipe_ready(p, e->writer);
    if (!now)
        *(e->writer ? &p->wwait : &p->rwait) = w;
    pthread_mutex_unlock(&p->mu);
    if (now)
        w->fn(w);
}

static int64_t pipe_result(void *self)
{
    (void)self;
    return 0;
}

static const rta_awaiter_ops pipe_awaiter = {pipe_is_completed, pipe_on_completed, pipe_on_completed,
                                             pipe_result};

static void wake(rta_waiter *w)
{
    if (w)
        w->fn(w);
}

static ssize_t pipe_read(void *self, void *buf, size_t n)
{
    rj_pipe *p = ((pipe_end *)self)->p;
    pthread_mutex_lock(&p->mu);
    if (p->len == 0) {
        bool closed = p->wclosed;
        pthread_mutex_unlock(&p->mu);
        return closed ? 0 : -EAGAIN;
    }
    size_t k = p->len < n ? p->len : n, first = p->cap - p->head;
    if (first > k)
        first = k;
    memcpy(buf, p->ring + p->head, first);
    memcpy((uint8_t *)buf + first, p->ring, k - first);
    p->head = (p->head + k) % p->cap;
    p->len -= k;
    rta_waiter *w = p->wwait;
    p->wwait = NULL;
    pthread_mutex_unlock(&p->mu);
    wake(w);
    return (ssize_t)k;
}

static ssize_t pipe_write(void *self, const void *buf, size_t n)
{
    rj_pipe *p = ((pipe_end *)self)->p;
    pthread_mutex_lock(&p->mu);
    if (p->rclosed) {
        pthread_mutex_unlock(&p->mu);
        return -EPIPE;
    }
    size_t room = p->cap - p->len;
    if (room == 0) {
        pthread_mutex_unlock(&p->mu);
        return -EAGAIN;
    }
    size_t k = room < n ? room : n, tail = (p->head + p->len) % p->cap, first = p->cap - tail;
    if (first > k)
        first = k;
    memcpy(p->ring + tail, buf, first);
    memcpy(p->ring, (const uint8_t *)buf + first, k - first);
    p->len += k;
    rta_waiter *w = p->rwait;
    p->rwait = NULL;
    pthread_mutex_unlock(&p->mu);
    wake(w);
    return (ssize_t)k;
}

static void pipe_wait(void *self, bool for_write, rj_stream *s)
{
    (void)for_write;
    s->wait_ops = &pipe_awaiter;
    s->wait_obj = self;
}

/* Closing one end wakes the other: a reader sees the end of input, a writer EPIPE. */
static void pipe_close(void *self)
{
    pipe_end *e = self;
    rj_pipe *p = e->p;
    pthread_mutex_lock(&p->mu);
    rta_waiter *w = NULL;
    if (e->writer && !p->wclosed) {
        p->wclosed = true;
        w = p->rwait, p->rwait = NULL;
    } else if (!e->writer && !p->rclosed) {
        p->rclosed = true;
        w = p->wwait, p->wwait = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    wake(w);
}

static void pipe_destroy(void *self)
{
    pipe_close(self);
    pipe_unref(((pipe_end *)self)->p);
}

static const rj_stream_ops pipe_ops = {.read = pipe_read,
                                       .write = pipe_write,
                                       .wait = pipe_wait,
                                       .close = pipe_close,
                                       .destroy = pipe_destroy,
                                       .name = "pipe"};

int rj_stream_pipe(rj_stream *writer, rj_stream *reader, size_t capacity)
{
    rj_pipe *p = calloc(1, sizeof *p);
    if (!p || !(p->ring = malloc(capacity ? capacity : 1))) {
        free(p);
        return RJ_ENOMEM;
    }
    pthread_mutex_init(&p->mu, NULL);
    p->cap = capacity ? capacity : 1;
    p->refs = 2;
    p->ends[0] = (pipe_end){p, true};
    p->ends[1] = (pipe_end){p, false};
    if (stream_setup(writer, &pipe_ops, &p->ends[0], true) < 0) {
        pthread_mutex_destroy(&p->mu);
        free(p->ring);
        free(p);
        return RJ_ENOMEM;
    }
    if (stream_setup(reader, &pipe_ops, &p->ends[1], false) < 0) {
        rj_stream_free(writer);
        pipe_unref(p);
        return RJ_ENOMEM;
    }
    return 0;
}
