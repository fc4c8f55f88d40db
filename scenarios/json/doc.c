/*
 * The document model (an arena of values and strings), the parts of the
 * parser and writer that never wait (errors, scratch buffers, number syntax,
 * character tables) and the typed path's reader. Built once, shared by every
 * engine build.
 */
#include "engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- errors -------------------------------------------------------------------- */

void rj__set_error(rj_error *e, int code, const char *fmt, ...)
{
    if (e->code)
        return; /* the first error is the one that explains the others */
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

int rj__parse_fail(rj_parser *p, int code, uint64_t at, const char *fmt, ...)
{
    if (p->err.code)
        return p->err.code;
    p->err.code = code;
    p->err.offset = at;
    p->err.line = p->line;
    p->err.col = (uint32_t)(at >= p->line_start ? at - p->line_start + 1 : 1);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err.msg, sizeof p->err.msg, fmt, ap);
    va_end(ap);
    return code;
}

const char *rj_error_str(const rj_error *e, char *buf, size_t n)
{
    if (e->line)
        snprintf(buf, n, "%u:%u: %s", e->line, e->col, e->msg);
    else
        snprintf(buf, n, "%s", e->msg);
    return buf;
}

/* ---- the arena --------------------------------------------------------------------- */

/* Blocks double from 64 KiB to 1 MiB; a request larger than a block gets its
 * own. Invariant: only the newest block has room, [cur, end). */
typedef struct rj_block {
    struct rj_block *prev;
    size_t size;
} rj_block;

struct rj_doc {
    rj_block *head;
    char *cur, *end;
    size_t next_size, bytes;
    uint64_t blocks;
};

rj_doc *rj_doc_new(void)
{
    rj_doc *d = calloc(1, sizeof *d);
    if (d)
        d->next_size = 64 * 1024;
    return d;
}

void rj_doc_free(rj_doc *d)
{
    if (!d)
        return;
    for (rj_block *b = d->head, *prev; b; b = prev) {
        prev = b->prev;
        free(b);
    }
    free(d);
}

void rj_doc_clear(rj_doc *d)
{
    size_t next = 64 * 1024;
    for (rj_block *b = d->head, *prev; b; b = prev) {
        prev = b->prev;
        free(b);
    }
    memset(d, 0, sizeof *d);
    d->next_size = next;
}

void *rj_doc_alloc(rj_doc *d, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if ((size_t)(d->end - d->cur) < n) {
        size_t size = d->next_size;
        if (size < n + sizeof(rj_block))
            size = n + sizeof(rj_block);
        rj_block *b = malloc(size);
        if (!b)
            return NULL;
        b->prev = d->head;
        b->size = size;
        d->head = b;
        d->cur = (char *)(b + 1);
        d->end = (char *)b + size;
        d->bytes += size;
        d->blocks++;
        if (d->next_size < 1024 * 1024)
            d->next_size *= 2;
    }
    void *r = d->cur;
    d->cur += n;
    return r;
}

size_t rj_doc_bytes(const rj_doc *d)
{
    return d->bytes;
}

uint64_t rj_doc_blocks(const rj_doc *d)
{
    return d->blocks;
}

/* ---- parser helpers ---------------------------------------------------------------- */

void rj_parser_init(rj_parser *p, rj_stream *in, rj_doc *doc)
{
    memset(p, 0, sizeof *p);
    p->in = in;
    p->doc = doc;
    p->max_depth = RJ_DEFAULT_MAX_DEPTH;
    p->line = 1;
}

void rj_parser_free(rj_parser *p)
{
    free(p->vs);
    free(p->sb);
    p->vs = NULL;
    p->sb = NULL;
    p->vs_cap = p->sb_cap = p->vs_len = p->sb_len = 0;
}

/* Here beside rj_parser_init, not in engines.c, so that a program linking
 * one engine's build alone (tests/json/fuzz_parse.c) has it. */
void rj_writer_init(rj_writer *w, rj_stream *out, rj_wkind kind)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->kind = kind;
}

int rj__parser_restart(rj_parser *p)
{
    if (rj_stream_rewind(p->in) < 0)
        return rj__parse_fail(p, RJ_EIO, 0, "cannot repeat a parse over a %s stream", p->in->ops->name);
    if (p->doc)
        rj_doc_clear(p->doc);
    p->line = 1;
    p->line_start = 0;
    p->vs_len = p->sb_len = 0;
    return 0;
}

int rj__sb_reserve(rj_parser *p, size_t more)
{
    size_t cap = p->sb_cap ? p->sb_cap : 256;
    while (cap - p->sb_len < more) {
        if (cap > SIZE_MAX / 2)
            return rj__parse_fail(p, RJ_ENOMEM, rj_stream_pos(p->in), "string too large");
        cap *= 2;
    }
    char *n = realloc(p->sb, cap);
    if (!n)
        return rj__parse_fail(p, RJ_ENOMEM, rj_stream_pos(p->in), "out of memory");
    p->sb = n;
    p->sb_cap = cap;
    return 0;
}

int rj__vs_reserve(rj_parser *p)
{
    size_t cap = p->vs_cap ? p->vs_cap * 2 : 256;
    rj_value *n = realloc(p->vs, cap * sizeof *n);
    if (!n)
        return rj__parse_fail(p, RJ_ENOMEM, rj_stream_pos(p->in), "out of memory");
    p->vs = n;
    p->vs_cap = cap;
    return 0;
}

/* RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
size_t rj__number_check(const char *s, size_t len, const char **why)
{
    size_t i = 0;
    *why = NULL;
#define DIGIT(k) ((k) < len && s[k] >= '0' && s[k] <= '9')
    if (i < len && s[i] == '-')
        i++;
    if (!DIGIT(i)) {
        *why = "expected a digit";
        return i;
    }
    if (s[i] == '0') {
        i++;
        if (DIGIT(i)) {
            *why = "leading zero";
            return i;
        }
    } else {
        while (DIGIT(i))
            i++;
    }
    if (i < len && s[i] == '.') {
        i++;
        if (!DIGIT(i)) {
            *why = "expected a digit after '.'";
            return i;
        }
        while (DIGIT(i))
            i++;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (!DIGIT(i)) {
            *why = "expected a digit in the exponent";
            return i;
        }
        while (DIGIT(i))
            i++;
    }
#undef DIGIT
    if (i < len)
        *why = "unexpected character in number";
    return i;
}

#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
/* Bytes 0x20..0x7f except '"' and '\\' (non-ASCII goes through UTF-8 checks). */
const uint8_t rj__str_plain[256] = {
    R16(0), R16(0), 1,      1,      0,      1,      1,      1,      1,      1,
    1,      1,      1,      1,      1,      1,      1,      1, /* 0x20: '"' */
    R16(1), R16(1), 1,      1,      1,      1,      1,      1,      1,      1,
    1,      1,      1,      1,      0,      1,      1,      1, /* 0x50: '\\' */
    R16(1), R16(1), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0),
};
/* What the writer does with each byte: 0 copies it, else the escape letter
 * ('u' for \u00XX). Non-ASCII bytes are copied (the text is valid UTF-8). */
const uint8_t rj__str_escape[256] = {
    'u',    'u',    'u',    'u',      'u',    'u',    'u',    'u',    'b',    't', 'n', 'u', 'f',
    'r',    'u',    'u',    R16('u'), 0,      0,      '"',    0,      0,      0,   0,   0,   0,
    0,      0,      0,      0,        0,      0,      0,      R16(0), R16(0), 0,   0,   0,   0,
    0,      0,      0,      0,        0,      0,      0,      0,      '\\',   0,   0,   0,   R16(0),
    R16(0), R16(0), R16(0), R16(0),   R16(0), R16(0), R16(0), R16(0), R16(0),
};
#undef R16

/* ---- lookups --------------------------------------------------------------------- */

const rj_value *rj_get(const rj_value *obj, const char *key)
{
    if (!obj || obj->type != RJ_OBJECT)
        return NULL;
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < obj->len; i++) {
        const rj_value *k = &obj->u.items[2 * i];
        if (k->len == kl && memcmp(k->u.str, key, kl) == 0)
            return k + 1;
    }
    return NULL;
}

bool rj_number_i64(const rj_value *v, int64_t *out)
{
    if (!v || v->type != RJ_NUMBER)
        return false;
    const char *s = v->u.str;
    bool neg = *s == '-';
    s += neg;
    uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false; /* a fraction or an exponent */
        unsigned d = (unsigned)(*s - '0');
        if (acc > (lim - d) / 10)
            return false;
        acc = acc * 10 + d;
    }
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return true;
}

double rj_number_f64(const rj_value *v)
{
    return v && v->type == RJ_NUMBER ? strtod(v->u.str, NULL) : 0.0;
}

void rj_count(const rj_value *v, rj_counts *c)
{
    switch (v->type) {
    case RJ_NULL:
        c->nulls++;
        break;
    case RJ_FALSE:
    case RJ_TRUE:
        c->bools++;
        break;
    case RJ_NUMBER:
        c->numbers++;
        break;
    case RJ_STRING:
        c->strings++, c->string_bytes += v->len;
        break;
    case RJ_ARRAY:
        c->arrays++;
        for (uint32_t i = 0; i < v->len; i++)
            rj_count(&v->u.items[i], c);
        break;
    case RJ_OBJECT:
        c->objects++;
        for (uint32_t i = 0; i < v->len; i++) {
            c->string_bytes += v->u.items[2 * i].len;
            rj_count(&v->u.items[2 * i + 1], c);
        }
        break;
    }
}

/* ---- the typed path's reader ---------------------------------------------------------- */

static int bad(rj_error *err, const char *what)
{
    rj__set_error(err, RJ_EARG, "not a catalogue: %s", what);
    return RJ_EARG;
}

int rj_catalog_from(const rj_value *v, rj_doc *doc, rj_catalog *out, rj_error *err)
{
    const rj_value *title = rj_get(v, "title"), *recs = rj_get(v, "records");
    if (!title || title->type != RJ_STRING || !recs || recs->type != RJ_ARRAY)
        return bad(err, "expected {\"title\": string, \"records\": array}");
    rj_record *r = rj_doc_alloc(doc, (recs->len ? recs->len : 1) * sizeof *r);
    if (!r)
        return bad(err, "out of memory");
    for (uint32_t i = 0; i < recs->len; i++) {
        const rj_value *o = &recs->u.items[i];
        const rj_value *name = rj_get(o, "name"), *avail = rj_get(o, "available"), *tags = rj_get(o, "tags");
        const rj_value *rating = rj_get(o, "rating");
        if (!rj_number_i64(rj_get(o, "id"), &r[i].id) ||
            !rj_number_i64(rj_get(o, "price_cents"), &r[i].price_cents))
            return bad(err, "a record's id or price_cents is not an integer");
        if (!name || name->type != RJ_STRING || !avail ||
            (avail->type != RJ_TRUE && avail->type != RJ_FALSE) || !tags || tags->type != RJ_ARRAY ||
            !rating || rating->type != RJ_NUMBER)
            return bad(err, "a record lacks name, available, rating or tags");
        r[i].name = name->u.str;
        r[i].available = avail->type == RJ_TRUE;
        r[i].rating = rj_number_f64(rating);
        const char **t = rj_doc_alloc(doc, (tags->len ? tags->len : 1) * sizeof *t);
        if (!t)
            return bad(err, "out of memory");
        for (uint32_t k = 0; k < tags->len; k++) {
            if (tags->u.items[k].type != RJ_STRING)
                return bad(err, "a tag is not a string");
            t[k] = tags->u.items[k].u.str;
        }
        r[i].tags = t;
        r[i].ntags = tags->len;
    }
    out->title = title->u.str;
    out->records = r;
    out->n = recs->len;
    return 0;
}
