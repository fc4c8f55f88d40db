/*
 * The connection loop: read, parse, run the middleware chain, answer.
 *
 * Buffer invariants (in[] is the connection's read buffer):
 *   in[start .. end) holds bytes received and not yet dropped; the request
 *   being handled begins at `start` (its head stays there, unmoved relative
 *   to `start`, until it was answered: the request's spans point into it);
 *   in[pos .. end) are the bytes not consumed yet (pos >= start).
 * Compaction moves in[start .. end) to the front and never drops a byte
 * there, so spans (offsets from `start`) survive it.
 *
 * Batching: answers go into out[]; it is written only when the loop must wait
 * for bytes (no complete request left in in[]), when it is full, or before
 * closing. Pipelined requests that arrived together get one write.
 */
#include "http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rta/io.h>

/* Output batch: 16 pipelined plaintext answers take ~2.3 KiB. */
#define OUT_CAP (8 * 1024)
/* The read buffer starts small (an idle keep-alive connection holds little)
 * and doubles up to max_cap = max_head + 4 KiB when a request needs it. */
#define IN_INIT (4 * 1024)

typedef struct http_conn {
    http_stream *s;
    http_server *srv;
    char *in;
    uint32_t start, pos, end, cap, max_cap;
    char *out;
    size_t olen;
    char *body;
    size_t blen, bcap;
    bool close; /* close after this response */
    int64_t served;
    /* The request being read and answered, its parser and its context: in
     * the connection (heap), never in a frame, because the chain gets their
     * addresses across awaits (a cont frame moves between stack and heap). */
    http_request request;
    http_parser parser;
    http_chunked chunked;
    http_ctx ctx;
} http_conn;

static int64_t io_deadline(http_conn *c)
{
    return http_now_ns() + c->srv->cfg.io_timeout_ms * 1000000;
}

static RTA_ASYNC int conn_flush(http_conn *c)
{
    if (c->olen == 0)
        return 0;
    ssize_t r = http_stream_write(c->s, c->out, c->olen, io_deadline(c));
    c->olen = 0;
    return r < 0 ? (int)r : 0;
}

/* Reads more bytes into in[] (writing pending answers first), growing it when
 * full: > 0, 0 at EOF, -errno; -ENOBUFS if in[] is full of the current request
 * at max_cap (cannot happen for a head within the limit: max_cap > max_head).
 * in[] may move: callers recompute pointers into it afterwards. */
static RTA_ASYNC ssize_t conn_fill(http_conn *c, int64_t deadline)
{
    /* conn_flush's work, written out: on the keep-alive path this runs once
     * per request, and under cont and async1 every async call costs a frame
     * or a state machine even when it does not suspend */
    if (c->olen > 0) {
        ssize_t w; /* a socket directly, as the read below */
        if (c->s->fd >= 0)
            w = rta_write(c->s->fd, c->out, c->olen, io_deadline(c));
        else
            w = http_stream_write(c->s, c->out, c->olen, io_deadline(c));
        c->olen = 0;
        if (w < 0)
            return w;
    }
    if (c->start > 0 && (c->start == c->end || c->cap - c->end < c->cap / 4)) {
        memmove(c->in, c->in + c->start, c->end - c->start);
        c->pos -= c->start;
        c->end -= c->start;
        c->start = 0;
    }
    if (c->end == c->cap) {
        if (c->cap == c->max_cap)
            return -ENOBUFS;
        uint32_t cap = c->cap * 2 < c->max_cap ? c->cap * 2 : c->max_cap;
        char *in = realloc(c->in, cap); /* spans are offsets: they survive */
        if (!in)
            return -ENOMEM;
        c->in = in;
        c->cap = cap;
    }
    /* A socket is read here, not through http_stream_read: this read waits
     * once per keep-alive request, and under async1 every level of the chain
     * that is suspended becomes a task (about 1,600 instructions a request
     * for this one; cont, a frame: about 150). The memory kind (tests, the
     * fuzzer) still goes through the stream. */
    ssize_t n;
    if (c->s->fd >= 0)
        n = rta_read(c->s->fd, c->in + c->end, c->cap - c->end, deadline);
    else
        n = http_stream_read(c->s, c->in + c->end, c->cap - c->end, deadline);
    if (n > 0)
        c->end += (uint32_t)n;
    return n;
}

static bool body_reserve(http_conn *c, size_t need)
{
    if (need <= c->bcap)
        return true;
    size_t cap = c->bcap ? c->bcap : 4096;
    while (cap < need)
        cap *= 2;
    char *p = realloc(c->body, cap);
    if (!p)
        return false;
    c->body = p;
    c->bcap = cap;
    return true;
}

static bool body_sink(void *ctx, const char *data, size_t len)
{
    http_conn *c = ctx;
    if (c->blen + len > c->srv->cfg.max_body || !body_reserve(c, c->blen + len))
        return false;
    memcpy(c->body + c->blen, data, len);
    c->blen += len;
    return true;
}

/* Decodes the chunked bytes in in[pos .. end) into body[], consuming them. */
static int feed_chunked(http_conn *c)
{
    size_t used;
    int rc = http_chunked_feed(&c->chunked, c->in + c->pos, c->end - c->pos, &used, body_sink, c);
    c->pos += (uint32_t)used;
    return rc;
}

/* Reads the body the head announced into body[]. Returns 0, an HTTP status
 * to answer with (and close) when the body is refused, or -errno. */
static RTA_ASYNC int read_body(http_conn *c, const http_request *req)
{
    c->blen = 0;
    bool complete_here = !req->chunked && (int64_t)(c->end - c->pos) >= req->content_length;
    if (req->content_length > 0 && (uint64_t)req->content_length > c->srv->cfg.max_body)
        return 413;
    if (req->expect_continue && req->minor == 1 && !complete_here) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (c->olen + sizeof cont > OUT_CAP) {
            int rc = conn_flush(c);
            if (rc < 0)
                return rc;
        }
        memcpy(c->out + c->olen, cont, sizeof cont - 1);
        c->olen += sizeof cont - 1;
    }
    int64_t deadline = io_deadline(c);
    if (!req->chunked) {
        size_t want = req->content_length > 0 ? (size_t)req->content_length : 0;
        if (!body_reserve(c, want))
            return -ENOMEM;
        size_t k = c->end - c->pos;
        if (k > want)
            k = want;
        memcpy(c->body, c->in + c->pos, k);
        c->pos += (uint32_t)k;
        c->blen = k;
        while (c->blen < want) {
            int rc = conn_flush(c);
            if (rc < 0)
                return rc;
            ssize_t n = http_stream_read(c->s, c->body + c->blen, want - c->blen, deadline);
            if (n <= 0)
                return n == 0 ? -ECONNRESET : (int)n;
            c->blen += (size_t)n;
        }
        return 0;
    }
    http_chunked_init(&c->chunked);
    uint32_t head_end = c->pos; /* encoded bytes between here and pos are dropped */
    for (;;) {
        int rc = feed_chunked(c);
        if (rc == HTTP_CHUNKED_DONE)
            return 0;
        if (rc < 0)
            return -rc;
        /* all of in[] consumed: drop the encoded bytes, keep the head */
        c->end = head_end;
        c->pos = head_end;
        ssize_t n = conn_fill(c, deadline);
        if (n <= 0)
            return n == 0 ? -ECONNRESET : (int)n;
        head_end = c->pos;
    }
}

RTA_ASYNC int http_respond(http_ctx *x, int status, const char *ctype, const char *body, size_t len,
                           const char *extra)
{
    http_conn *c = x->conn;
    const http_request *req = x->req;
    int minor = req ? req->minor : 1;
    bool head_only = req && req->method == HTTP_HEAD;
    if (!req || !req->keep_alive || atomic_load_explicit(&c->srv->draining, memory_order_relaxed))
        c->close = true;
    size_t need = HTTP_HEAD_MAX + strlen(x->extra) + (extra ? strlen(extra) : 0);
    if (need > OUT_CAP)
        return -EINVAL;
    if (c->olen + need > OUT_CAP) {
        int rc = conn_flush(c);
        if (rc < 0)
            return rc;
    }
    size_t hl = http_format_head(c->out + c->olen, status, ctype, len, minor, c->close,
                                 minor == 0 && !c->close, x->extra, extra);
    c->olen += hl;
    x->status = status;
    x->bytes_out = hl + (head_only ? 0 : len);
    if (head_only || len == 0)
        return 0;
    if (c->olen + len <= OUT_CAP) {
        memcpy(c->out + c->olen, body, len);
        c->olen += len;
        return 0;
    }
    int rc = conn_flush(c);
    if (rc < 0)
        return rc;
    ssize_t w = http_stream_write(c->s, body, len, io_deadline(c));
    return w < 0 ? (int)w : 0;
}

/* An answer to a request that never reached the middleware chain. */
static RTA_ASYNC void respond_error(http_conn *c, int status)
{
    static const char *const text[] = {"Bad Request\n", "Request Timeout\n"};
    http_ctx *x = &c->ctx;
    memset(x, 0, sizeof *x);
    x->conn = c;
    x->srv = c->srv;
    const char *msg = status == 408 ? text[1] : status == 400 ? text[0] : http_reason(status);
    http_respond(x, status, "text/plain", msg, strlen(msg), NULL);
    c->close = true;
}

/* Reads, parses and answers one request (early returns, no goto: every
 * engine's lowering handles them). False when the connection must close. */
static RTA_ASYNC bool serve_one(http_conn *c)
{
    http_server *srv = c->srv;
    http_stream *s = c->s;
    http_request *req = &c->request;
    http_parser *p = &c->parser;
    http_parser_init(p, req, srv->cfg.max_head);
    c->start = c->pos; /* the previous request is answered: drop it */
    int64_t deadline = 0;
    int rc;
    while ((rc = http_parse_head(p, c->in + c->start, c->end - c->start)) == HTTP_PARSE_MORE) {
        bool idle = c->start == c->end;
        /* draining: no new request on a connection that had one answered */
        if (idle && c->served > 0 && atomic_load_explicit(&srv->draining, memory_order_relaxed))
            return false;
        if (!deadline)
            deadline = http_now_ns() + srv->cfg.header_timeout_ms * 1000000;
        atomic_store_explicit(&s->idle, idle, memory_order_relaxed);
        ssize_t n = conn_fill(c, deadline);
        atomic_store_explicit(&s->idle, false, memory_order_relaxed);
        if (n == -ETIMEDOUT && !idle)
            respond_error(c, 408); /* a slow client: say why before closing */
        if (n <= 0)
            return false;
    }
    if (rc < 0) {
        respond_error(c, -rc);
        return false;
    }
    c->pos = c->start + (uint32_t)rc;
    int brc = req->content_length > 0 || req->chunked ? read_body(c, req) : 0;
    if (brc != 0) {
        if (brc > 0)
            respond_error(c, brc);
        return false;
    }
    /* Field by field, not a memset of the ~300-byte context per request:
     * ctype is only read where a handler wrote it, extra as a string. */
    http_ctx *x = &c->ctx;
    x->conn = c;
    x->srv = srv;
    x->req = req;
    x->buf = c->in + c->start;
    x->body = c->body;
    x->body_len = c->blen;
    x->id = 0;
    x->status = 0;
    x->bytes_out = 0;
    x->extra[0] = 0;
    http_app(x);
    c->served++;
    atomic_fetch_add_explicit(&srv->requests, 1, memory_order_relaxed);
    /* status 0: the chain wrote nothing, the connection is gone */
    return !c->close && x->status != 0;
}

RTA_ASYNC int64_t http_serve(http_stream *s, http_server *srv)
{
    http_conn *c = calloc(1, sizeof *c);
    if (c) {
        c->s = s;
        c->srv = srv;
        c->max_cap = srv->cfg.max_head + 4096;
        c->cap = IN_INIT < c->max_cap ? IN_INIT : c->max_cap;
        c->in = malloc(c->cap);
        c->out = malloc(OUT_CAP);
    }
    if (!c || !c->in || !c->out) {
        if (c) {
            free(c->in);
            free(c->out);
            free(c);
        }
        http_stream_close(s);
        return -ENOMEM;
    }
    while (serve_one(c))
        ;
    conn_flush(c);
    http_stream_close(s);
    int64_t served = c->served;
    free(c->in);
    free(c->out);
    free(c->body);
    free(c);
    return served;
}

/* This engine build's entry (http.h): http_serve as a task of the engine,
 * then j->done, from the task. */
static RTA_ASYNC int64_t job_entry(void *arg)
{
    http_job *j = arg;
    int64_t served = http_serve(j->s, j->srv);
    j->served = served;
    if (j->done)
        j->done(j); /* may free j */
    return served;
}

rta_task *HTTP_SYM(spawn)(http_job *j)
{
    return rta_spawn(job_entry, j);
}
