/*
 * HTTP/1.1 request parser: see parse.h for the contract.
 *
 * Invariant: p->pos is the offset of the first byte of the line not parsed
 * yet; every line before it was complete, CRLF-terminated and accepted. A
 * call only looks at bytes from p->pos on, so feeding a request one byte at a
 * time costs O(n) in total, not O(n^2).
 *
 * Strictness, on purpose (request smuggling lives in leniency): lines end in
 * CRLF (a bare LF is 400), no whitespace between a field name and its colon,
 * no obsolete line folding, Content-Length is digits only and repeated values
 * must agree, Content-Length together with Transfer-Encoding is 400. Lenient
 * only where RFC 9112 invites it: empty lines before the request line, and a
 * missing Host (answered, as most clients that omit it are scripts).
 */
#include "parse.h"

#include <string.h>

/* Byte classes, one table lookup per byte on the hot loops (a request's every
 * byte passes one of them; the per-byte range tests and strchr they replace
 * were a third of rtahttpd's user-space instructions per keep-alive request):
 *   C_TCHAR  RFC 9110 tchar: the characters of a token (method, field name);
 *   C_VCHAR  visible ASCII, 0x21-0x7e (a request-target);
 *   C_FIELD  allowed in a field value: HTAB, SP, VCHAR, obs-text 0x80-0xff
 *            (not the other controls, not DEL). */
enum { C_TCHAR = 1, C_VCHAR = 2, C_FIELD = 4 };

static const unsigned char cls[256] = {
#define TV (C_TCHAR | C_VCHAR | C_FIELD)
#define V (C_VCHAR | C_FIELD)
    ['\t'] = C_FIELD, [' '] = C_FIELD,    ['!'] = TV,         ['"'] = V,
    ['#'] = TV,       ['$'] = TV,         ['%'] = TV,         ['&'] = TV,
    ['\''] = TV,      ['('] = V,          [')'] = V,          ['*'] = TV,
    ['+'] = TV,       [','] = V,          ['-'] = TV,         ['.'] = TV,
    ['/'] = V,        ['0' ... '9'] = TV, [':' ... '@'] = V,  ['A' ... 'Z'] = TV,
    ['['] = V,        ['\\'] = V,         [']'] = V,          ['^'] = TV,
    ['_'] = TV,       ['`'] = TV,         ['a' ... 'z'] = TV, ['{'] = V,
    ['|'] = TV,       ['}'] = V,          ['~'] = TV,         [0x80 ... 0xff] = C_FIELD,
#undef TV
#undef V
};

static bool is_tchar(unsigned char c)
{
    return cls[c] & C_TCHAR;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* buf[s] against str[0..n), case-insensitively. */
static bool span_eq_n(const char *buf, http_span s, const char *str, size_t n)
{
    if (n != s.len)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)buf[s.off + i]) != lower((unsigned char)str[i]))
            return false;
    return true;
}

/* A span against a string literal: the length compares first, no strlen. */
#define SPAN_IS(buf, s, lit) span_eq_n(buf, s, "" lit, sizeof lit - 1)

bool http_span_eq(const char *buf, http_span s, const char *str)
{
    return span_eq_n(buf, s, str, strlen(str));
}

void http_parser_init(http_parser *p, http_request *req, uint32_t max_head)
{
    memset(p, 0, sizeof *p);
    p->max_head = max_head ? max_head : HTTP_DEFAULT_MAX_HEAD;
    p->req = req;
    req->method = HTTP_OTHER;
    req->method_s = req->target = req->path = (http_span){0, 0};
    req->minor = 1;
    req->nheaders = 0;
    req->content_length = -1;
    req->chunked = false;
    req->keep_alive = true;
    req->expect_continue = false;
    req->head_len = 0;
}

static http_method method_of(const char *s, size_t n)
{
    static const struct {
        const char *name;
        unsigned char len;
        http_method m;
    } tab[] = {
#define M(name, m) {name, sizeof name - 1, m}
        M("GET", HTTP_GET),       M("HEAD", HTTP_HEAD),       M("POST", HTTP_POST),   M("PUT", HTTP_PUT),
        M("DELETE", HTTP_DELETE), M("OPTIONS", HTTP_OPTIONS), M("PATCH", HTTP_PATCH),
#undef M
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (tab[i].len == n && memcmp(tab[i].name, s, n) == 0)
            return tab[i].m; /* methods are case-sensitive */
    return HTTP_OTHER;
}

/* The line parsers below get a complete line, buf[off, off+n), and rely on
 * the CR that ends it: buf[off+n] == '\r' (http_parse_head checked it). No
 * class holds CR, so a scan over a class stops at the line's end without a
 * bound check of its own (the sentinel halves the per-byte instructions). */

/* METHOD SP request-target SP HTTP-version, line = buf[off, off+n). */
static int parse_request_line(http_request *r, const char *buf, uint32_t off, uint32_t n)
{
    const char *l = buf + off;
    uint32_t i = 0;
    while (is_tchar((unsigned char)l[i])) /* stops at the CR: i <= n */
        i++;
    if (i == 0 || i >= n || l[i] != ' ')
        return HTTP_PARSE_BAD;
    r->method_s = (http_span){off, i};
    r->method = method_of(l, i);
    uint32_t t = ++i;
    while (cls[(unsigned char)l[i]] & C_VCHAR)
        i++;
    if (i == t || i >= n || l[i] != ' ')
        return HTTP_PARSE_BAD;
    r->target = (http_span){off + t, i - t};
    /* origin-form "/p?q", absolute-form "http://host/p?q", asterisk-form "*" */
    uint32_t ps = t;
    if (l[t] != '/' && l[t] != '*') {
        uint32_t k = t;
        while (k < i && l[k] != ':')
            k++;
        if (k + 2 >= i || l[k + 1] != '/' || l[k + 2] != '/')
            return HTTP_PARSE_BAD;
        ps = k + 3;
        while (ps < i && l[ps] != '/' && l[ps] != '?')
            ps++;
    } else if (l[t] == '*' && i - t != 1) {
        return HTTP_PARSE_BAD;
    }
    const char *q = memchr(l + ps, '?', i - ps);
    uint32_t pe = q ? (uint32_t)(q - l) : i;
    r->path = (http_span){off + ps, pe - ps};
    i++;
    const char *v = l + i;
    if (n - i != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' ||
        v[7] > '9')
        return HTTP_PARSE_BAD;
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
        return HTTP_PARSE_VERSION;
    r->minor = v[7] - '0';
    return 0;
}

/* Calls fn on each comma-separated, trimmed, non-empty element of a value. */
static void each_token(const char *v, uint32_t n, void (*fn)(http_parser *, const char *, uint32_t),
                       http_parser *p)
{
    uint32_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        uint32_t s = i;
        while (i < n && v[i] != ',')
            i++;
        uint32_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e > s)
            fn(p, v + s, e - s);
    }
}

#define TOK_IS(s, n, lit) SPAN_IS(s, ((http_span){0, n}), lit)

static void connection_token(http_parser *p, const char *s, uint32_t n)
{
    if (TOK_IS(s, n, "close"))
        p->conn_close = true;
    else if (TOK_IS(s, n, "keep-alive"))
        p->conn_keep_alive = true;
}

/* The fields whose meaning the parser itself needs. */
static int interpret(http_parser *p, const char *buf, const http_header *h)
{
    http_request *r = p->req;
    const char *v = buf + h->value.off;
    uint32_t n = h->value.len;
    if (SPAN_IS(buf, h->name, "content-length")) {
        if (n == 0 || n > 18)
            return HTTP_PARSE_BAD;
        int64_t cl = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (v[i] < '0' || v[i] > '9')
                return HTTP_PARSE_BAD;
            cl = cl * 10 + (v[i] - '0');
        }
        if (p->saw_cl && cl != r->content_length)
            return HTTP_PARSE_BAD;
        p->saw_cl = true;
        r->content_length = cl;
    } else if (SPAN_IS(buf, h->name, "transfer-encoding")) {
        if (!TOK_IS(v, n, "chunked") || r->chunked)
            return HTTP_PARSE_NOT_IMPL; /* gzip, chunked twice, lists: not done here */
        r->chunked = true;
    } else if (SPAN_IS(buf, h->name, "connection")) {
        each_token(v, n, connection_token, p);
    } else if (SPAN_IS(buf, h->name, "expect")) {
        if (TOK_IS(v, n, "100-continue"))
            r->expect_continue = true;
    }
    return 0;
}

/* field-name ":" OWS field-value OWS */
static int parse_header(http_parser *p, const char *buf, uint32_t off, uint32_t n)
{
    http_request *r = p->req;
    const char *l = buf + off;
    if (r->nheaders == HTTP_MAX_HEADERS)
        return HTTP_PARSE_TOO_LARGE;
    uint32_t i = 0;
    while (is_tchar((unsigned char)l[i])) /* stops at the CR: i <= n */
        i++;
    if (i == 0 || i >= n || l[i] != ':')
        return HTTP_PARSE_BAD; /* also catches obs-fold (leading SP/HTAB) */
    http_header *h = &r->headers[r->nheaders];
    h->name = (http_span){off, i};
    i++;
    while (i < n && (l[i] == ' ' || l[i] == '\t'))
        i++;
    uint32_t s = i, e = n;
    while (cls[(unsigned char)l[i]] & C_FIELD) /* stops at the CR, or a byte before it */
        i++;
    if (i != n)
        return HTTP_PARSE_BAD;
    while (e > s && (l[e - 1] == ' ' || l[e - 1] == '\t'))
        e--; /* trailing OWS */
    h->value = (http_span){off + s, e - s};
    r->nheaders++;
    return interpret(p, buf, h);
}

static int finish_head(http_parser *p, uint32_t head_len)
{
    http_request *r = p->req;
    if (r->chunked && (p->saw_cl || r->minor == 0))
        return HTTP_PARSE_BAD; /* both framings, or chunked from a 1.0 client */
    if (r->minor == 1)
        r->keep_alive = !p->conn_close;
    else
        r->keep_alive = p->conn_keep_alive && !p->conn_close;
    r->head_len = head_len;
    return (int)head_len;
}

int http_parse_head(http_parser *p, const char *buf, size_t len)
{
    if (len > UINT32_MAX)
        len = UINT32_MAX;
    while (p->pos < len) {
        const char *nl = memchr(buf + p->pos, '\n', len - p->pos);
        if (!nl)
            return len > p->max_head ? HTTP_PARSE_TOO_LARGE : HTTP_PARSE_MORE;
        uint32_t end = (uint32_t)(nl - buf) + 1; /* one past the LF */
        if (end > p->max_head)
            return HTTP_PARSE_TOO_LARGE;
        if (end - p->pos < 2 || nl[-1] != '\r')
            return HTTP_PARSE_BAD; /* bare LF */
        uint32_t off = p->pos, n = end - 2 - off;
        p->pos = end;
        int rc;
        if (n == 0) {
            if (!p->have_line)
                continue; /* empty lines before the request line */
            return finish_head(p, end);
        }
        if (!p->have_line) {
            p->have_line = true;
            rc = parse_request_line(p->req, buf, off, n);
        } else {
            rc = parse_header(p, buf, off, n);
        }
        if (rc < 0)
            return rc;
    }
    return len > p->max_head ? HTTP_PARSE_TOO_LARGE : HTTP_PARSE_MORE;
}

const char *http_header_get(const http_request *req, const char *buf, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (unsigned i = 0; i < req->nheaders; i++)
        if (span_eq_n(buf, req->headers[i].name, name, n)) {
            if (len)
                *len = req->headers[i].value.len;
            return buf + req->headers[i].value.off;
        }
    return NULL;
}

/* ---- chunked transfer coding (RFC 9112 section 7.1) ---- */

enum {
    CK_SIZE,
    CK_SIZE_WS,
    CK_EXT,
    CK_SIZE_LF,
    CK_DATA,
    CK_DATA_CR,
    CK_DATA_LF,
    CK_TRAILER_START,
    CK_TRAILER_LINE,
    CK_TRAILER_LF,
    CK_END_LF,
    CK_DONE,
};

#define CK_MAX_DIGITS 15          /* chunk sizes below 2^60 */
#define CK_MAX_TRAILER (8 * 1024) /* trailer section bytes */

void http_chunked_init(http_chunked *c)
{
    memset(c, 0, sizeof *c);
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (unsigned char)lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int http_chunked_feed(http_chunked *c, const char *in, size_t n, size_t *used,
                      bool (*sink)(void *ctx, const char *data, size_t len), void *ctx)
{
    size_t i = 0;
    int rc = HTTP_CHUNKED_MORE;
    while (i < n && rc == HTTP_CHUNKED_MORE) {
        unsigned char ch = (unsigned char)in[i];
        switch (c->state) {
        case CK_SIZE: {
            int h = hexval(ch);
            if (h >= 0) {
                if (++c->digits > CK_MAX_DIGITS)
                    rc = HTTP_CHUNKED_BAD;
                c->remaining = c->remaining * 16 + (uint64_t)h;
                i++;
                break;
            }
            if (c->digits == 0)
                rc = HTTP_CHUNKED_BAD;
            else
                c->state = CK_SIZE_WS;
            break;
        }
        case CK_SIZE_WS:
            if (ch == ' ' || ch == '\t')
                i++;
            else if (ch == ';')
                c->state = CK_EXT, i++;
            else if (ch == '\r')
                c->state = CK_SIZE_LF, i++;
            else
                rc = HTTP_CHUNKED_BAD;
            break;
        case CK_EXT:
            if (ch == '\r')
                c->state = CK_SIZE_LF;
            else if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                rc = HTTP_CHUNKED_BAD;
            i++;
            break;
        case CK_SIZE_LF:
            if (ch != '\n') {
                rc = HTTP_CHUNKED_BAD;
                break;
            }
            i++;
            c->digits = 0;
            if (c->remaining == 0)
                c->state = CK_TRAILER_START; /* remaining now counts trailer bytes */
            else
                c->state = CK_DATA;
            break;
        case CK_DATA: {
            size_t take = n - i;
            if (take > c->remaining)
                take = (size_t)c->remaining;
            if (sink && !sink(ctx, in + i, take)) {
                *used = i;
                return HTTP_CHUNKED_TOO_LARGE;
            }
            i += take;
            c->remaining -= take;
            if (c->remaining == 0)
                c->state = CK_DATA_CR;
            break;
        }
        case CK_DATA_CR:
            if (ch != '\r')
                rc = HTTP_CHUNKED_BAD;
            c->state = CK_DATA_LF, i++;
            break;
        case CK_DATA_LF:
            if (ch != '\n')
                rc = HTTP_CHUNKED_BAD;
            c->state = CK_SIZE, c->remaining = 0, i++;
            break;
        case CK_TRAILER_START:
            if (ch == '\r') {
                c->state = CK_END_LF, i++;
                break;
            }
            c->state = CK_TRAILER_LINE;
            /* fallthrough */
        case CK_TRAILER_LINE:
            if (++c->remaining > CK_MAX_TRAILER)
                rc = HTTP_CHUNKED_BAD;
            else if (ch == '\r')
                c->state = CK_TRAILER_LF;
            else if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                rc = HTTP_CHUNKED_BAD;
            i++;
            break;
        case CK_TRAILER_LF:
            if (ch != '\n')
                rc = HTTP_CHUNKED_BAD;
            c->state = CK_TRAILER_START, i++;
            break;
        case CK_END_LF:
            if (ch != '\n')
                rc = HTTP_CHUNKED_BAD;
            c->state = CK_DONE, i++;
            rc = rc == HTTP_CHUNKED_BAD ? rc : HTTP_CHUNKED_DONE;
            break;
        default:
            rc = HTTP_CHUNKED_DONE;
            break;
        }
    }
    if (rc == HTTP_CHUNKED_MORE && c->state == CK_DONE)
        rc = HTTP_CHUNKED_DONE;
    *used = i;
    return rc;
}
