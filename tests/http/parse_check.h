/*
 * The parser's properties, shared by test_parse.c (over the corpus) and the
 * libFuzzer target (over anything): parsing a request whole, split in two at
 * any point, or one byte at a time gives the same result and the same
 * request; every span lies inside the head; the chunked decoder gives the
 * same body and result however its input is cut. Violations abort.
 */
#ifndef RTA_HTTP_PARSE_CHECK_H
#define RTA_HTTP_PARSE_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define PC_FAIL(...)                                                                                         \
    do {                                                                                                     \
        fprintf(stderr, "parse_check: " __VA_ARGS__);                                                        \
        fputc('\n', stderr);                                                                                 \
        abort();                                                                                             \
    } while (0)

static int pc_parse(const char *buf, size_t len, size_t split, http_request *req)
{
    http_parser p;
    http_parser_init(&p, req, 0);
    if (split > 0 && split < len) {
        int r = http_parse_head(&p, buf, split);
        if (r != HTTP_PARSE_MORE)
            return r;
    }
    return http_parse_head(&p, buf, len);
}

static void pc_span_ok(http_span s, const http_request *r, const char *what)
{
    if ((uint64_t)s.off + s.len > r->head_len)
        PC_FAIL("%s span %u+%u outside the head (%u bytes)", what, s.off, s.len, r->head_len);
}

static bool pc_same(const http_request *a, const http_request *b)
{
    if (a->method != b->method || a->minor != b->minor || a->nheaders != b->nheaders ||
        a->content_length != b->content_length || a->chunked != b->chunked ||
        a->keep_alive != b->keep_alive || a->head_len != b->head_len ||
        a->expect_continue != b->expect_continue || memcmp(&a->target, &b->target, sizeof a->target) != 0 ||
        memcmp(&a->path, &b->path, sizeof a->path) != 0)
        return false;
    return memcmp(a->headers, b->headers, a->nheaders * sizeof a->headers[0]) == 0;
}

typedef struct pc_body {
    char data[4096];
    size_t len;
} pc_body;

static bool pc_sink(void *ctx, const char *d, size_t n)
{
    pc_body *b = ctx;
    if (b->len + n > sizeof b->data)
        return false;
    memcpy(b->data + b->len, d, n);
    b->len += n;
    return true;
}

/* Feeds in[0..n) in pieces of `piece` bytes (0 = whole). */
static int pc_chunked(const char *in, size_t n, size_t piece, pc_body *b, size_t *consumed)
{
    http_chunked c;
    http_chunked_init(&c);
    b->len = 0;
    size_t off = 0;
    int r = HTTP_CHUNKED_MORE;
    while (off < n && r == HTTP_CHUNKED_MORE) {
        size_t k = piece && n - off > piece ? piece : n - off, used = 0;
        r = http_chunked_feed(&c, in + off, k, &used, pc_sink, b);
        if (used > k)
            PC_FAIL("chunked decoder used %zu of %zu bytes", used, k);
        if (r == HTTP_CHUNKED_MORE && used != k)
            PC_FAIL("chunked decoder wants more but left %zu bytes", k - used);
        off += used;
    }
    *consumed = off;
    return r;
}

/* Checks every property on one input; returns the whole-input result. */
static int pc_check(const char *buf, size_t len, size_t max_splits)
{
    http_request whole, other;
    int r = pc_parse(buf, len, 0, &whole);
    if (r > 0) {
        if ((size_t)r > len || (uint32_t)r != whole.head_len)
            PC_FAIL("head_len %d for %zu bytes", r, len);
        pc_span_ok(whole.target, &whole, "target");
        pc_span_ok(whole.path, &whole, "path");
        for (unsigned i = 0; i < whole.nheaders; i++) {
            pc_span_ok(whole.headers[i].name, &whole, "name");
            pc_span_ok(whole.headers[i].value, &whole, "value");
        }
    } else if (r != HTTP_PARSE_MORE && r != HTTP_PARSE_BAD && r != HTTP_PARSE_TOO_LARGE &&
               r != HTTP_PARSE_NOT_IMPL && r != HTTP_PARSE_VERSION) {
        PC_FAIL("unknown result %d", r);
    }
    size_t step = max_splits && len > max_splits ? len / max_splits : 1;
    for (size_t k = 1; k < len; k += step) {
        int r2 = pc_parse(buf, len, k, &other);
        if (r2 != r)
            PC_FAIL("split at %zu gives %d, whole gives %d", k, r2, r);
        if (r > 0 && !pc_same(&whole, &other))
            PC_FAIL("split at %zu gives another request", k);
    }
    /* one byte at a time */
    http_parser p;
    http_parser_init(&p, &other, 0);
    int r3 = HTTP_PARSE_MORE;
    for (size_t k = 1; k <= len && r3 == HTTP_PARSE_MORE; k++)
        r3 = http_parse_head(&p, buf, k);
    if (r3 != r || (r > 0 && !pc_same(&whole, &other)))
        PC_FAIL("byte-by-byte gives %d, whole gives %d", r3, r);
    if (r > 0 && whole.chunked) {
        static pc_body b1, b2;
        size_t u1, u2;
        int c1 = pc_chunked(buf + r, len - (size_t)r, 0, &b1, &u1);
        int c2 = pc_chunked(buf + r, len - (size_t)r, 1, &b2, &u2);
        int c3 = pc_chunked(buf + r, len - (size_t)r, 3, &b2, &u2);
        if (c1 != c2 || c1 != c3 ||
            (c1 >= 0 && (u1 != u2 || b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0)))
            PC_FAIL("chunked body differs by feeding: %d/%d/%d", c1, c2, c3);
    }
    return r;
}

#endif
