/*
 * The JSON writer, written once as async2 C and compiled per engine (see
 * engine.h). It writes compact JSON (no insignificant whitespace) into the
 * stream's 16 KiB buffer and flushes it when the next piece does not fit;
 * flush() is where it waits when the backend (a full pipe) cannot take more.
 *
 * Invariants: every piece is written into room checked just before (at most
 * 40 bytes for a token, so that a flushed buffer always has room); nothing
 * is formatted into a local buffer (no address of a local lives across an
 * await); strings go out as valid UTF-8 with escapes only where JSON needs
 * them (", \ and control characters).
 *
 * The fast path: a flush is due once per 16 KiB, so almost every piece fits
 * in the room left. A piece that fits is written by plain C (the try_*
 * functions: never an await); only a piece that does not fit goes through an
 * RTA_ASYNC function. Under cont and async1 every call of an RTA_ASYNC
 * function is an await point with a frame (cont) or a state machine (async1)
 * of its own, suspended or not: writing through one per token and one per
 * value, cont wrote twitter.json at half the sync build's speed and ran 1.9x
 * its instructions (callgrind), where sync and tasklet (the same C, inlined)
 * ran the same count. Scalars inside a container, and a whole message, scalar
 * document or root container of scalars with its flush, are written in place
 * too (try_scalar, try_flat, try_one, flush_now), so only containers (and
 * pieces that need a flush) cost an async call. Writing
 * small containers in place as well (all-scalar ones, or up to 2 deep, with
 * a rollback when they do not fit) was tried and dropped: on twitter.json
 * and citm_catalog.json the shape checks cost the sync build more
 * instructions (callgrind) than the async calls they saved cont.
 */
#include "engine.h"

#ifndef RJ_ENGINE_ID
#error "define RJ_ENGINE_ID (sync, tasklet, cont, async1): this file is built once per engine"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define TOKEN_ROOM RJ_TOKEN_ROOM /* a backend keeps it after a flush (rj.h) */

#define NEED (-101) /* flush_now: the backend must be waited for */

/* Writes [buf, cur) to the backend as far as it takes it without waiting:
 * 0 when all of it went, an error, or NEED when the backend answered
 * -EAGAIN: what it took is gone from the buffer and the rest moved to its
 * start (base counts the bytes taken, so rj_stream_pos does not change).
 * Plain C: write_job flushes each TechEmpower message with it, where an
 * async call per message cost cont a frame each (flush is the slow path).
 * Always inlined: as a call in write_job it cost sync 5% per message. */
static RJ_ALWAYS_INLINE int64_t flush_now(rj_writer *w)
{
    rj_stream *s = w->out;
    size_t n = (size_t)(s->cur - s->buf), done = 0;
    while (done < n) {
        if (s->err)
            return RJ_EIO;
        ssize_t r = s->ops->write(s->self, s->buf + done, n - done);
        s->fills++;
        if (r > 0) {
            done += (size_t)r;
            continue;
        }
        if (r != -EAGAIN) {
            s->err = r < 0 ? (int)r : -EIO;
            rj__set_error(&w->err, RJ_EIO, "write error: %s", strerror(-s->err));
            return RJ_EIO;
        }
        memmove(s->buf, s->buf + done, n - done);
        s->base += done;
        s->cur = s->buf + (n - done);
        return NEED;
    }
    s->base += n;
    s->cur = s->buf;
    return 0;
}

/* Writes [buf, cur) to the backend, waiting as needed; 0 or an error. */
RJ_BUILDER RTA_ASYNC static int64_t flush(rj_writer *w)
{
    for (;;) {
        int64_t r = flush_now(w);
        if (r != NEED)
            return r;
        rj_stream *s = w->out;
#if RJ_SYNC
        rj__set_error(&w->err, RJ_EIO, "the %s output would wait: the sync build cannot, use an async engine",
                      s->ops->name);
        return RJ_EIO;
#else
        s->ops->wait(s->self, true, s);
        if (!s->wait_ops->is_completed(s->wait_obj))
            s->suspensions++;
        rta_await_awaiter(s->wait_ops, s->wait_obj);
#endif
    }
}

static bool room(const rj_stream *s, size_t n)
{
    return (size_t)(s->end - s->cur) >= n;
}

RJ_BUILDER RTA_ASYNC static int64_t put(rj_writer *w, const char *src, size_t n)
{
    rj_stream *s = w->out;
    while (n) {
        if (s->cur == s->end) {
            int64_t r = flush(w);
            if (r < 0)
                return r;
        }
        size_t k = (size_t)(s->end - s->cur);
        if (k > n)
            k = n;
        memcpy(s->cur, src, k);
        s->cur += k;
        src += k;
        n -= k;
    }
    return 0;
}

/* Makes room for one token. */
RJ_BUILDER RTA_ASYNC static int64_t reserve(rj_writer *w)
{
    return room(w->out, TOKEN_ROOM) ? 0 : flush(w);
}

static char *escape(char *d, uint8_t b, uint8_t how)
{
    static const char hex[] = "0123456789abcdef";
    *d++ = '\\';
    *d++ = (char)how;
    if (how == 'u') {
        *d++ = '0', *d++ = '0';
        *d++ = hex[b >> 4], *d++ = hex[b & 15];
    }
    return d;
}

/* ---- the fast path: plain C, never an await ------------------------------------ */

/* One byte if there is room for it. */
static bool try_char(rj_stream *s, char c)
{
    if (RJ_UNLIKELY(s->cur == s->end))
        return false;
    *s->cur++ = (uint8_t)c;
    return true;
}

/* n bytes as they are, if there is room for them. */
static bool try_put(rj_stream *s, const char *src, size_t n)
{
    if (RJ_UNLIKELY(!room(s, n)))
        return false;
    memcpy(s->cur, src, n);
    s->cur += n;
    return true;
}

/* A string (valid UTF-8, len bytes) with its quotes and escapes, then `tail`
 * (a ':' after a key; 0 for none), if its longest form fits: every byte
 * escaped as \u00XX is 6, so 6 * len + 3 bytes of room are enough. */
static bool try_str(rj_stream *s, const char *str, size_t len, char tail)
{
    size_t k = (size_t)(s->end - s->cur);
    if (RJ_UNLIKELY(k < 3 || len > (k - 3) / 6))
        return false;
    char *d = (char *)s->cur;
    const uint8_t *c = (const uint8_t *)str, *e = c + len;
    *d++ = '"';
    while (c < e) {
        const uint8_t *run = c;
        while (c < e && !rj__str_escape[*c])
            c++;
        memcpy(d, run, (size_t)(c - run));
        d += c - run;
        if (c < e) {
            d = escape(d, *c, rj__str_escape[*c]);
            c++;
        }
    }
    *d++ = '"';
    if (tail)
        *d++ = tail;
    s->cur = (uint8_t *)d;
    return true;
}

/* A scalar value, if it fits; false for a container or when it does not fit. */
static bool try_scalar(rj_stream *s, const rj_value *v)
{
    switch (v->type) {
    case RJ_NULL:
        return try_put(s, "null", 4);
    case RJ_TRUE:
        return try_put(s, "true", 4);
    case RJ_FALSE:
        return try_put(s, "false", 5);
    case RJ_NUMBER:
        return try_put(s, v->u.str, v->len);
    case RJ_STRING:
        return try_str(s, v->u.str, v->len, 0);
    default:
        return false;
    }
}

/* A string of valid UTF-8 (len bytes, may contain NUL). */
RJ_BUILDER RTA_ASYNC static int64_t write_str(rj_writer *w, const char *str, size_t len)
{
    rj_stream *s = w->out;
    const uint8_t *c = (const uint8_t *)str, *e = c + len;
    int64_t r = reserve(w);
    if (r < 0)
        return r;
    *s->cur++ = '"';
    while (c < e) {
        if (!room(s, 8)) {
            r = flush(w);
            if (r < 0)
                return r;
        }
        /* copy a run of bytes that need no escape, as far as the room allows */
        size_t lim = (size_t)(s->end - s->cur) - 7;
        if (lim > (size_t)(e - c))
            lim = (size_t)(e - c);
        const uint8_t *run = c, *stop = c + lim;
        while (c < stop && !rj__str_escape[*c])
            c++;
        memcpy(s->cur, run, (size_t)(c - run));
        s->cur += c - run;
        if (c < stop) {
            s->cur = (uint8_t *)escape((char *)s->cur, *c, rj__str_escape[*c]);
            c++;
        }
    }
    r = reserve(w);
    if (r < 0)
        return r;
    *s->cur++ = '"';
    return 0;
}

static bool utf8_valid(const uint8_t *c, size_t n)
{
    const uint8_t *e = c + n;
    while (c < e) {
        uint8_t b = *c;
        if (b < 0x80) {
            c++;
            continue;
        }
        int k = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
        if (k < 0 || e - c <= k)
            return false;
        uint8_t lo = b == 0xe0   ? 0xa0
                     : b == 0xf0 ? 0x90
                                 : 0x80,
                hi = b == 0xed   ? 0x9f
                     : b == 0xf4 ? 0x8f
                                 : 0xbf;
        if (c[1] < lo || c[1] > hi)
            return false;
        for (int i = 2; i <= k; i++)
            if ((c[i] & 0xc0) != 0x80)
                return false;
        c += k + 1;
    }
    return true;
}

/* A C string from the caller: checked to be UTF-8 first. */
RJ_BUILDER RTA_ASYNC static int64_t write_cstr(rj_writer *w, const char *str)
{
    size_t n = str ? strlen(str) : 0;
    if (!str || !utf8_valid((const uint8_t *)str, n)) {
        rj__set_error(&w->err, RJ_EARG, "%s", str ? "a string is not valid UTF-8" : "a string is NULL");
        return RJ_EARG;
    }
    return write_str(w, str, n);
}

/* Decimal digits of v at d (room checked by the caller); returns the end. */
static uint8_t *format_i64(uint8_t *d, int64_t v)
{
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        *d++ = '-';
    uint8_t tmp[20], *t = tmp + sizeof tmp;
    do {
        *--t = (uint8_t)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t n = (size_t)(tmp + sizeof tmp - t);
    memcpy(d, t, n);
    return d + n;
}

RJ_BUILDER RTA_ASYNC static int64_t write_i64(rj_writer *w, int64_t v)
{
    int64_t r = reserve(w);
    if (r < 0)
        return r;
    rj_stream *s = w->out;
    s->cur = format_i64(s->cur, v);
    return 0;
}

/* The shortest of %.15g / %.17g that reads back as the same double. */
RJ_BUILDER RTA_ASYNC static int64_t write_f64(rj_writer *w, double v)
{
    if (!isfinite(v)) {
        rj__set_error(&w->err, RJ_EARG, "a number is not finite (JSON has no NaN or infinity)");
        return RJ_EARG;
    }
    int64_t r = reserve(w);
    if (r < 0)
        return r;
    rj_stream *s = w->out;
    int n = snprintf((char *)s->cur, TOKEN_ROOM, "%.15g", v);
    if (strtod((char *)s->cur, NULL) != v)
        n = snprintf((char *)s->cur, TOKEN_ROOM, "%.17g", v);
    s->cur += n;
    return 0;
}

RJ_BUILDER RTA_ASYNC static int64_t put_token(rj_writer *w, const char *tok)
{
    int64_t r = reserve(w);
    if (r < 0)
        return r;
    rj_stream *s = w->out;
    size_t n = strlen(tok);
    memcpy(s->cur, tok, n);
    s->cur += n;
    return 0;
}

/* The slow path of try_scalar, and containers. Every piece is first tried in
 * place; the RTA_ASYNC calls below run only when it did not fit (or for a
 * nested container). */
RJ_BUILDER RTA_ASYNC static int64_t write_value(rj_writer *w, const rj_value *v)
{
    int64_t r = 0;
    const rj_value *it = NULL;
    if (try_scalar(w->out, v))
        return 0;
    switch (v->type) {
    case RJ_NULL:
        return put_token(w, "null");
    case RJ_TRUE:
        return put_token(w, "true");
    case RJ_FALSE:
        return put_token(w, "false");
    case RJ_NUMBER:
        return put(w, v->u.str, v->len);
    case RJ_STRING:
        return write_str(w, v->u.str, v->len);
    case RJ_ARRAY:
        if (!try_char(w->out, '['))
            r = put_token(w, "[");
        for (uint32_t i = 0; i < v->len && r >= 0; i++) {
            it = &v->u.items[i];
            if (i && !try_char(w->out, ','))
                r = put_token(w, ",");
            if (r >= 0 && !try_scalar(w->out, it))
                r = write_value(w, it);
        }
        if (r >= 0 && !try_char(w->out, ']'))
            r = put_token(w, "]");
        return r;
    case RJ_OBJECT:
        if (!try_char(w->out, '{'))
            r = put_token(w, "{");
        for (uint32_t i = 0; i < v->len && r >= 0; i++) {
            it = &v->u.items[2 * i];
            if (i && !try_char(w->out, ','))
                r = put_token(w, ",");
            if (r >= 0 && !try_str(w->out, it->u.str, it->len, ':')) {
                r = write_str(w, it->u.str, it->len);
                if (r >= 0)
                    r = put_token(w, ":");
            }
            if (r >= 0 && !try_scalar(w->out, it + 1))
                r = write_value(w, it + 1);
        }
        if (r >= 0 && !try_char(w->out, '}'))
            r = put_token(w, "}");
        return r;
    default:
        rj__set_error(&w->err, RJ_EARG, "a value has an unknown type %u", (unsigned)v->type);
        return RJ_EARG;
    }
}

/* The typed path's fast path (see try_scalar): a key or punctuation, an
 * integer, a finite double, a caller's string that is valid UTF-8, written in
 * place when they fit. Anything else (no room, or an argument the slow path
 * reports as RJ_EARG) returns false. */
static bool try_token(rj_stream *s, const char *tok)
{
    return try_put(s, tok, strlen(tok));
}

static bool try_i64(rj_stream *s, int64_t v)
{
    if (RJ_UNLIKELY(!room(s, 20)))
        return false;
    s->cur = format_i64(s->cur, v);
    return true;
}

static bool try_f64(rj_stream *s, double v)
{
    if (RJ_UNLIKELY(!isfinite(v) || !room(s, TOKEN_ROOM)))
        return false;
    int n = snprintf((char *)s->cur, TOKEN_ROOM, "%.15g", v);
    if (strtod((char *)s->cur, NULL) != v)
        n = snprintf((char *)s->cur, TOKEN_ROOM, "%.17g", v);
    s->cur += n;
    return true;
}

static bool try_cstr(rj_stream *s, const char *str)
{
    size_t n = str ? strlen(str) : 0;
    return str && utf8_valid((const uint8_t *)str, n) && try_str(s, str, n, 0);
}

RJ_BUILDER RTA_ASYNC static int64_t write_record(rj_writer *w, const rj_record *rec)
{
    int64_t r = 0;
    if (!try_token(w->out, "{\"id\":"))
        r = put_token(w, "{\"id\":");
    if (r >= 0 && !try_i64(w->out, rec->id))
        r = write_i64(w, rec->id);
    if (r >= 0 && !try_token(w->out, ",\"name\":"))
        r = put_token(w, ",\"name\":");
    if (r >= 0 && !try_cstr(w->out, rec->name))
        r = write_cstr(w, rec->name);
    if (r >= 0 && !try_token(w->out, ",\"price_cents\":"))
        r = put_token(w, ",\"price_cents\":");
    if (r >= 0 && !try_i64(w->out, rec->price_cents))
        r = write_i64(w, rec->price_cents);
    if (r >= 0 && !try_token(w->out, ",\"rating\":"))
        r = put_token(w, ",\"rating\":");
    if (r >= 0 && !try_f64(w->out, rec->rating))
        r = write_f64(w, rec->rating);
    const char *avail = rec->available ? ",\"available\":true,\"tags\":[" : ",\"available\":false,\"tags\":[";
    if (r >= 0 && !try_token(w->out, avail))
        r = put_token(w, avail);
    for (size_t i = 0; i < rec->ntags && r >= 0; i++) {
        if (i && !try_char(w->out, ','))
            r = put_token(w, ",");
        if (r >= 0 && !try_cstr(w->out, rec->tags[i]))
            r = write_cstr(w, rec->tags[i]);
    }
    if (r >= 0 && !try_token(w->out, "]}"))
        r = put_token(w, "]}");
    return r;
}

RJ_BUILDER RTA_ASYNC static int64_t write_catalog(rj_writer *w, const rj_catalog *cat)
{
    int64_t r = 0;
    if (!try_token(w->out, "{\"title\":"))
        r = put_token(w, "{\"title\":");
    if (r >= 0 && !try_cstr(w->out, cat->title))
        r = write_cstr(w, cat->title);
    if (r >= 0 && !try_token(w->out, ",\"records\":["))
        r = put_token(w, ",\"records\":[");
    for (size_t i = 0; i < cat->n && r >= 0; i++) {
        if (i && !try_char(w->out, ','))
            r = put_token(w, ",");
        if (r >= 0)
            r = write_record(w, &cat->records[i]);
    }
    if (r >= 0 && !try_token(w->out, "]}"))
        r = put_token(w, "]}");
    return r;
}

RJ_BUILDER RTA_ASYNC static int64_t write_one(rj_writer *w)
{
    int64_t r;
    switch (w->kind) {
    case RJ_W_VALUE:
        r = w->value ? write_value(w, w->value) : RJ_EARG;
        break;
    case RJ_W_MESSAGE:
        r = 0;
        if (!try_token(w->out, "{\"message\":\"Hello, World!\"}")) {
            r = put_token(w, "{\"message\":");
            if (r >= 0)
                r = write_cstr(w, "Hello, World!");
            if (r >= 0)
                r = put_token(w, "}");
        }
        break;
    case RJ_W_CATALOG:
        r = w->catalog ? write_catalog(w, w->catalog) : RJ_EARG;
        break;
    default:
        r = RJ_EARG;
    }
    if (r == RJ_EARG)
        rj__set_error(&w->err, RJ_EARG, "nothing to write (no value or catalogue given)");
    return r < 0 ? r : flush(w);
}

/* A document that is one container of at most FLAT_MAX scalars (rtahttpd's
 * message, built as a document per request), in place; false, with nothing
 * written, for any other shape or when it does not fit. Only at the root,
 * once per document: per container, the shape checks cost the sync build
 * more than the async calls they saved (see the top of the file); here they
 * end at the first container member or at the count. Through write_one,
 * such a document cost cont and async1 three async calls (write_one,
 * write_value, flush). */
#define FLAT_MAX 8
__attribute__((noinline)) static bool try_flat(rj_stream *s, const rj_value *v)
{
    bool obj = v->type == RJ_OBJECT;
    if ((!obj && v->type != RJ_ARRAY) || v->len > FLAT_MAX)
        return false;
    const rj_value *it = v->u.items;
    size_t per = obj ? 2 : 1; /* an object's items: key, value */
    for (size_t i = per - 1; i < per * v->len; i += per)
        if (it[i].type == RJ_ARRAY || it[i].type == RJ_OBJECT)
            return false;
    uint8_t *start = s->cur;
    bool ok = try_char(s, obj ? '{' : '[');
    for (size_t i = 0; i < v->len && ok; i++, it += per) {
        if (i)
            ok = try_char(s, ',');
        if (ok && obj)
            ok = try_str(s, it->u.str, it->len, ':');
        if (ok)
            ok = try_scalar(s, it + per - 1);
    }
    if (ok)
        ok = try_char(s, obj ? '}' : ']');
    if (!ok)
        s->cur = start; /* the slow path writes it again, flushing as it goes */
    return ok;
}

/* The whole piece of one write_one, if it fits and needs no slow path: a
 * scalar document or a flat container (try_flat), or the message (the
 * TechEmpower benchmark writes one per job repetition, where write_one's
 * await point cost cont half again the sync build's instructions). Then
 * flush_now writes it, and an async call (flush) happens only if the
 * backend must be waited for. Always inlined (and try_flat never): when
 * try_flat grew it, gcc stopped inlining it into cont's lowered write_job,
 * and the call cost cont 22 instructions per message (111.8 -> 133.8,
 * callgrind; async1 the same), 0.89x the sync build's speed. */
static RJ_ALWAYS_INLINE bool try_one(rj_writer *w)
{
    switch (w->kind) {
    case RJ_W_VALUE:
        return w->value && (try_scalar(w->out, w->value) || try_flat(w->out, w->value));
    case RJ_W_MESSAGE:
        return try_token(w->out, "{\"message\":\"Hello, World!\"}");
    default:
        return false;
    }
}

RJ_BUILDER RTA_ASYNC static int64_t write_job(rj_writer *w)
{
    int64_t r = 0;
    for (unsigned i = 0; i < (w->repeat ? w->repeat : 1) && r >= 0; i++) {
        if (i && rj_stream_rewind(w->out) < 0) {
            rj__set_error(&w->err, RJ_EIO, "cannot repeat a write over a %s stream", w->out->ops->name);
            r = RJ_EIO;
        }
        if (r >= 0 && try_one(w)) {
            r = flush_now(w);
            if (r == NEED)
                r = flush(w);
        } else if (r >= 0) {
            r = write_one(w);
        }
    }
    /* a pipe's reader must learn the end, also after a failure */
    if (w->close_at_end && w->out->ops->close)
        w->out->ops->close(w->out->self);
    return r < 0 ? w->err.code ? w->err.code : r : 0;
}

#if RJ_EXPORT_ASYNC
/* rj.h: one repetition of write_job, without repeat or close_at_end, as an
 * async2 function that async2 code of this engine awaits in its own task
 * (rtahttpd's /json). The same steps as write_job's loop body, written out:
 * a shared async function would cost every job an await point. */
RTA_ASYNC int64_t rj_write_async(rj_writer *w)
{
    int64_t r;
    if (try_one(w)) {
        r = flush_now(w);
        if (r == NEED)
            r = flush(w);
    } else {
        r = write_one(w);
    }
    return r < 0 ? w->err.code ? w->err.code : r : 0;
}
#endif

int64_t RJ_SYM(write_run)(rj_writer *w);
rta_task *RJ_SYM(write_spawn)(rj_writer *w);

#if RJ_SYNC
int64_t RJ_SYM(write_run)(rj_writer *w)
{
    return write_job(w);
}
#else
RTA_ASYNC static int64_t write_entry(void *arg)
{
    return write_job(arg);
}

rta_task *RJ_SYM(write_spawn)(rj_writer *w)
{
    return rta_spawn(write_entry, w);
}
#endif
