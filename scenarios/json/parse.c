/*
 * The streaming JSON parser (RFC 8259), written once as async2 C and compiled
 * per engine (see engine.h). Recursive descent over an rj_stream: every
 * function that may need more input is RTA_ASYNC, and fill() is where it
 * waits, so parsing may suspend at any byte boundary — inside a string, an
 * escape, a UTF-8 sequence or a number.
 *
 * Invariants:
 *  - Functions return >= 0 on success (a byte, or 0) and an RJ_E* code (< 0)
 *    after recording the error in p->err; END marks the end of input.
 *  - Newlines appear only between tokens, so skip_ws alone counts lines and
 *    any error's column is its offset from p->line_start.
 *  - Values of open containers wait on p->vs (indexed, since it may move);
 *    a container's close copies them into the document's arena.
 *  - Depth is bounded by max_depth (an error, never a stack overflow).
 *
 * The fast path (as in write.c): input is read 16 KiB at a time (in place for
 * memory), so almost every token lies whole in the buffer. Whitespace and
 * scalars (strings without escapes, numbers, literals) that do are parsed by
 * plain C (ws_fast and the try_* functions: never an await); only a piece
 * that the buffer's end cuts, a string with escapes, an error, and containers
 * go through an RTA_ASYNC function. Under cont and async1 every call of an
 * RTA_ASYNC function is an await point with a frame (cont) or a state machine
 * (async1) of its own, suspended or not: with one call per token and per
 * value, cont ran 1.14x the sync build's instructions on twitter.json
 * (callgrind), where sync and tasklet (the same C, inlined) ran the same. A
 * fast path consumes nothing unless it succeeds (or fails with the error the
 * slow path would report at the same place), so the slow path, which the
 * tests drive by cutting every input into 1-, 3- and 7-byte reads, parses
 * exactly what it always did.
 */
#include "engine.h"

#ifndef RJ_ENGINE_ID
#error "define RJ_ENGINE_ID (sync, tasklet, cont, async1): this file is built once per engine"
#endif

#include <stdio.h>

#define END (-100)  /* end of input (not an error by itself) */
#define NEED (-101) /* a fast path's answer: not in the buffer whole (or unusual) */
#define BAD_UTF8 "invalid UTF-8 in string (a sequence starting with byte 0x%02x)"

static uint64_t pos_of(const rj_stream *s, const uint8_t *c)
{
    return s->base + (uint64_t)(c - s->buf);
}

static const char *describe(int64_t b, char *buf, size_t n)
{
    if (b == END)
        snprintf(buf, n, "end of input");
    else if (b > 0x20 && b < 0x7f)
        snprintf(buf, n, "'%c'", (int)b);
    else
        snprintf(buf, n, "byte 0x%02x", (unsigned)b);
    return buf;
}

/* Makes bytes available: 1 when [cur, end) is not empty, 0 at the end of
 * input, or an error. Precondition: cur == end. */
RJ_BUILDER RTA_ASYNC static int64_t fill(rj_parser *p)
{
    rj_stream *s = p->in;
    for (;;) {
        if (s->eof)
            return 0;
        if (s->err)
            return RJ_EIO;
        if (!s->owns_buf) {
            s->eof = true; /* in-place memory: everything was there from the start */
            return 0;
        }
        s->base += (uint64_t)(s->end - s->buf);
        s->cur = s->end = s->buf;
        ssize_t r = s->ops->read(s->self, s->buf, s->cap);
        s->fills++;
        if (r > 0) {
            s->end = s->buf + r;
            return 1;
        }
        if (r == 0) {
            s->eof = true;
            return 0;
        }
        if (r != -EAGAIN) {
            s->err = (int)r;
            return rj__parse_fail(p, RJ_EIO, rj_stream_pos(s), "read error: %s", strerror((int)-r));
        }
#if RJ_SYNC
        return rj__parse_fail(p, RJ_EIO, rj_stream_pos(s),
                              "the %s input would wait: the sync build cannot, use an async engine",
                              s->ops->name);
#else
        s->ops->wait(s->self, false, s);
        if (!s->wait_ops->is_completed(s->wait_obj))
            s->suspensions++;
        rta_await_awaiter(s->wait_ops, s->wait_obj);
#endif
    }
}

/* Skips the whitespace in the buffer (counting lines): the next significant
 * byte, not consumed, or NEED when the buffer ends first. */
static inline int64_t ws_fast(rj_parser *p)
{
    rj_stream *s = p->in;
    uint8_t *c = s->cur, *e = s->end;
    while (c < e) {
        uint8_t b = *c;
        if (b == ' ' || b == '\t' || b == '\r') {
            c++;
        } else if (b == '\n') {
            c++;
            p->line++;
            p->line_start = pos_of(s, c);
        } else {
            s->cur = c;
            return b;
        }
    }
    s->cur = c;
    return NEED;
}

/* The next significant byte, not consumed; END at the end of input. Callers
 * try ws_fast first and call this when it answers NEED. */
RJ_BUILDER RTA_ASYNC static int64_t skip_ws(rj_parser *p)
{
    for (;;) {
        int64_t b = ws_fast(p);
        if (b != NEED)
            return b;
        int64_t r = fill(p);
        if (r <= 0)
            return r == 0 ? END : r;
    }
}

/* The next byte, consumed; END at the end of input. */
RJ_BUILDER RTA_ASYNC static int64_t get_byte(rj_parser *p)
{
    rj_stream *s = p->in;
    if (s->cur == s->end) {
        int64_t r = fill(p);
        if (r <= 0)
            return r == 0 ? END : r;
    }
    return *s->cur++;
}

static int push(rj_parser *p, uint32_t type, size_t len, void *ptr)
{
    if (len > UINT32_MAX)
        return rj__parse_fail(p, RJ_ENOMEM, rj_stream_pos(p->in),
                              "value too large (over 4 Gi items or bytes)");
    if (p->vs_len == p->vs_cap && rj__vs_reserve(p) < 0)
        return RJ_ENOMEM;
    rj_value *v = &p->vs[p->vs_len++];
    v->type = type;
    v->len = (uint32_t)len;
    v->u.items = ptr;
    return 0;
}

/* Copies n bytes into the document as a NUL-terminated string value. */
static int push_str(rj_parser *p, uint32_t type, const void *src, size_t n)
{
    char *d = rj_doc_alloc(p->doc, n + 1);
    if (!d)
        return rj__parse_fail(p, RJ_ENOMEM, rj_stream_pos(p->in), "out of memory");
    memcpy(d, src, n);
    d[n] = 0;
    return push(p, type, n, d);
}

static int sb_add(rj_parser *p, const void *src, size_t n)
{
    if (p->sb_cap - p->sb_len < n && rj__sb_reserve(p, n) < 0)
        return RJ_ENOMEM;
    memcpy(p->sb + p->sb_len, src, n);
    p->sb_len += n;
    return 0;
}

/* Length of the valid UTF-8 sequence at c (4 bytes readable), 0 if invalid. */
static int utf8_seq(const uint8_t *c)
{
    uint8_t b = c[0];
    if (b >= 0xc2 && b <= 0xdf)
        return (c[1] & 0xc0) == 0x80 ? 2 : 0;
    if (b >= 0xe0 && b <= 0xef) {
        uint8_t lo = b == 0xe0 ? 0xa0 : 0x80, hi = b == 0xed ? 0x9f : 0xbf;
        return c[1] >= lo && c[1] <= hi && (c[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (b >= 0xf0 && b <= 0xf4) {
        uint8_t lo = b == 0xf0 ? 0x90 : 0x80, hi = b == 0xf4 ? 0x8f : 0xbf;
        return c[1] >= lo && c[1] <= hi && (c[2] & 0xc0) == 0x80 && (c[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

/* A UTF-8 sequence that straddles the buffer's end, read byte by byte. */
RJ_BUILDER RTA_ASYNC static int64_t parse_utf8_slow(rj_parser *p, bool store)
{
    rj_stream *s = p->in;
    uint64_t at = rj_stream_pos(s);
    uint32_t lead = *s->cur++;
    int need = lead >= 0xc2 && lead <= 0xdf   ? 1
               : lead >= 0xe0 && lead <= 0xef ? 2
               : lead >= 0xf0 && lead <= 0xf4 ? 3
                                              : -1;
    if (need < 0)
        return rj__parse_fail(p, RJ_ESYNTAX, at, BAD_UTF8, (unsigned)lead);
    uint32_t bytes = lead;
    for (int i = 1; i <= need; i++) {
        int64_t b = get_byte(p);
        if (b < 0 && b != END)
            return b;
        uint32_t lo = 0x80, hi = 0xbf;
        if (i == 1) {
            lo = lead == 0xe0 ? 0xa0 : lead == 0xf0 ? 0x90 : 0x80;
            hi = lead == 0xed ? 0x9f : lead == 0xf4 ? 0x8f : 0xbf;
        }
        if (b == END || b < lo || b > hi)
            return rj__parse_fail(p, RJ_ESYNTAX, at, BAD_UTF8, (unsigned)lead);
        bytes |= (uint32_t)b << (8 * i);
    }
    if (store) {
        uint8_t out[4] = {(uint8_t)bytes, (uint8_t)(bytes >> 8), (uint8_t)(bytes >> 16),
                          (uint8_t)(bytes >> 24)};
        return sb_add(p, out, (size_t)need + 1);
    }
    return 0;
}

/* Four hex digits of a \u escape. */
RJ_BUILDER RTA_ASYNC static int64_t parse_hex4(rj_parser *p, uint64_t at)
{
    int64_t v = 0;
    for (int i = 0; i < 4; i++) {
        int64_t b = get_byte(p);
        if (b < 0 && b != END)
            return b;
        int d = b >= '0' && b <= '9'   ? (int)b - '0'
                : b >= 'a' && b <= 'f' ? (int)b - 'a' + 10
                : b >= 'A' && b <= 'F' ? (int)b - 'A' + 10
                                       : -1;
        if (d < 0)
            return rj__parse_fail(p, RJ_ESYNTAX, at, "bad \\u escape: expected 4 hex digits");
        v = v * 16 + d;
    }
    return v;
}

/* After a backslash (consumed). */
RJ_BUILDER RTA_ASYNC static int64_t parse_escape(rj_parser *p, bool store)
{
    uint64_t at = rj_stream_pos(p->in) - 1;
    int64_t b = get_byte(p);
    if (b < 0 && b != END)
        return b;
    char one;
    switch (b) {
    case '"':
        one = '"';
        break;
    case '\\':
        one = '\\';
        break;
    case '/':
        one = '/';
        break;
    case 'b':
        one = '\b';
        break;
    case 'f':
        one = '\f';
        break;
    case 'n':
        one = '\n';
        break;
    case 'r':
        one = '\r';
        break;
    case 't':
        one = '\t';
        break;
    case 'u': {
        int64_t cp = parse_hex4(p, at);
        if (cp < 0)
            return cp;
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return rj__parse_fail(p, RJ_ESYNTAX, at, "lone low surrogate \\u%04X in string", (unsigned)cp);
        if (cp >= 0xd800 && cp <= 0xdbff) {
            int64_t b1 = get_byte(p);
            if (b1 < 0 && b1 != END)
                return b1;
            int64_t b2 = b1 == '\\' ? get_byte(p) : END;
            if (b2 < 0 && b2 != END)
                return b2;
            if (b2 != 'u')
                return rj__parse_fail(p, RJ_ESYNTAX, at, "lone high surrogate \\u%04X in string",
                                      (unsigned)cp);
            int64_t lo = parse_hex4(p, at);
            if (lo < 0)
                return lo;
            if (lo < 0xdc00 || lo > 0xdfff)
                return rj__parse_fail(p, RJ_ESYNTAX, at, "high surrogate \\u%04X not followed by a low one",
                                      (unsigned)cp);
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (!store)
            return 0;
        uint8_t u[4];
        size_t n;
        if (cp < 0x80) {
            u[0] = (uint8_t)cp, n = 1;
        } else if (cp < 0x800) {
            u[0] = (uint8_t)(0xc0 | cp >> 6), u[1] = (uint8_t)(0x80 | (cp & 0x3f)), n = 2;
        } else if (cp < 0x10000) {
            u[0] = (uint8_t)(0xe0 | cp >> 12), u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
            u[2] = (uint8_t)(0x80 | (cp & 0x3f)), n = 3;
        } else {
            u[0] = (uint8_t)(0xf0 | cp >> 18), u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
            u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f)), u[3] = (uint8_t)(0x80 | (cp & 0x3f)), n = 4;
        }
        return sb_add(p, u, n);
    }
    default: {
        char d[24];
        if (b == END)
            return rj__parse_fail(p, RJ_ESYNTAX, at, "unterminated string (end of input in an escape)");
        return rj__parse_fail(p, RJ_ESYNTAX, at, "invalid escape \\%s in string", describe(b, d, sizeof d));
    }
    }
    return store ? sb_add(p, &one, 1) : 0;
}

/* At a string's opening quote (not consumed): a string that lies whole in the
 * buffer with no escape, control character or invalid UTF-8 (and no UTF-8
 * sequence within 4 bytes of the buffer's end) is pushed (when p->doc is set)
 * and consumed: 0, or RJ_ENOMEM. Otherwise NEED, nothing consumed. */
static inline int64_t try_string(rj_parser *p)
{
    rj_stream *s = p->in;
    uint8_t *run = s->cur + 1, *c = run, *e = s->end;
    for (;;) {
        while (c < e && rj__str_plain[*c])
            c++;
        if (c < e && *c >= 0x80 && e - c >= 4) {
            int n = utf8_seq(c);
            if (!n)
                return NEED;
            c += n;
            continue;
        }
        break;
    }
    if (c == e || *c != '"')
        return NEED;
    s->cur = c + 1;
    return p->doc ? push_str(p, RJ_STRING, run, (size_t)(c - run)) : 0;
}

/* After the opening quote (consumed). Pushes the string when p->doc is set
 * (as a value, or as a member key: same representation). */
RJ_BUILDER RTA_ASYNC static int64_t parse_string(rj_parser *p)
{
    rj_stream *s = p->in;
    bool store = p->doc != NULL;
    uint64_t start = rj_stream_pos(s) - 1;
    p->sb_len = 0;
    for (;;) {
        uint8_t *c = s->cur, *e = s->end, *run = c;
        for (;;) {
            while (c < e && rj__str_plain[*c])
                c++;
            if (c < e && *c >= 0x80 && e - c >= 4) {
                int n = utf8_seq(c);
                if (!n)
                    return rj__parse_fail(p, RJ_ESYNTAX, pos_of(s, c), BAD_UTF8, (unsigned)*c);
                c += n;
                continue;
            }
            break;
        }
        if (c < e && *c == '"' && store && p->sb_len == 0) {
            s->cur = c + 1; /* the whole string in the buffer, nothing escaped: one copy */
            return push_str(p, RJ_STRING, run, (size_t)(c - run));
        }
        if (store && c > run && sb_add(p, run, (size_t)(c - run)) < 0)
            return RJ_ENOMEM;
        s->cur = c;
        if (c == e) {
            int64_t r = fill(p);
            if (r < 0)
                return r;
            if (r == 0)
                return rj__parse_fail(p, RJ_ESYNTAX, start, "unterminated string (end of input)");
            continue;
        }
        uint8_t b = *c;
        int64_t r;
        if (b == '"') {
            s->cur = c + 1;
            return store ? push_str(p, RJ_STRING, p->sb, p->sb_len) : 0;
        } else if (b == '\\') {
            s->cur = c + 1;
            r = parse_escape(p, store);
        } else if (b < 0x20) {
            return rj__parse_fail(p, RJ_ESYNTAX, pos_of(s, c),
                                  "control character 0x%02x in string (must be escaped)", b);
        } else {
            r = parse_utf8_slow(p, store); /* a sequence cut by the buffer's end */
        }
        if (r < 0)
            return r;
    }
}

static bool num_char(uint8_t b)
{
    return (b >= '0' && b <= '9') || b == '-' || b == '+' || b == '.' || b == 'e' || b == 'E';
}

/* Checks a number's lexeme and pushes it; start: its stream position. */
static int64_t number_done(rj_parser *p, uint64_t start, const char *lex, size_t n)
{
    const char *why = NULL;
    size_t bad = rj__number_check(lex, n, &why);
    if (bad < n || why)
        return rj__parse_fail(p, RJ_ESYNTAX, start + bad, "invalid number: %s", why);
    return p->doc ? push_str(p, RJ_NUMBER, lex, n) : 0;
}

/* At a number's first byte (not consumed): a number that ends inside the
 * buffer (or at the end of all input) is checked in place and consumed: 0 or
 * its error. NEED when more input may continue it, nothing consumed. */
static inline int64_t try_number(rj_parser *p)
{
    rj_stream *s = p->in;
    uint8_t *c = s->cur, *e = s->end;
    while (c < e && num_char(*c))
        c++;
    if (c == e && !s->eof && s->owns_buf)
        return NEED;
    uint64_t start = rj_stream_pos(s);
    const char *lex = (const char *)s->cur;
    s->cur = c;
    return number_done(p, start, lex, (size_t)(c - (const uint8_t *)lex));
}

/* At the number's first byte (not consumed). */
RJ_BUILDER RTA_ASYNC static int64_t parse_number(rj_parser *p)
{
    int64_t r = try_number(p);
    if (r != NEED)
        return r;
    /* The buffer ends inside the number: collect it in p->sb across fills.
     * try_number found every byte of [cur, end) to be a number byte. */
    rj_stream *s = p->in;
    uint64_t start = rj_stream_pos(s);
    uint8_t *c = s->end, *e = s->end;
    p->sb_len = 0;
    for (;;) {
        if (c > s->cur && sb_add(p, s->cur, (size_t)(c - s->cur)) < 0)
            return RJ_ENOMEM;
        s->cur = c;
        if (c < e)
            break;
        r = fill(p);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        c = s->cur, e = s->end;
        while (c < e && num_char(*c))
            c++;
    }
    return number_done(p, start, p->sb, p->sb_len);
}

/* At a literal's first byte (not consumed): the literal whole in the buffer
 * is pushed and consumed (0, or RJ_ENOMEM); otherwise NEED, nothing consumed. */
static inline int64_t try_literal(rj_parser *p, const char *word, size_t n, uint32_t type)
{
    rj_stream *s = p->in;
    if ((size_t)(s->end - s->cur) < n || memcmp(s->cur, word, n) != 0)
        return NEED;
    s->cur += n;
    return p->doc ? push(p, type, 0, NULL) : 0;
}

/* At the literal's first byte (not consumed). */
RJ_BUILDER RTA_ASYNC static int64_t parse_literal(rj_parser *p, const char *word, uint32_t type)
{
    rj_stream *s = p->in;
    uint64_t start = rj_stream_pos(s);
    size_t n = strlen(word);
    int64_t r = try_literal(p, word, n, type);
    if (r != NEED)
        return r;
    for (size_t i = 0; i < n; i++) {
        int64_t b = get_byte(p);
        if (b < 0 && b != END)
            return b;
        if (b != (uint8_t)word[i])
            return rj__parse_fail(p, RJ_ESYNTAX, start, "invalid literal (expected '%s')", word);
    }
    return p->doc ? push(p, type, 0, NULL) : 0;
}

static int close_container(rj_parser *p, uint32_t type, size_t start)
{
    if (!p->doc)
        return 0;
    size_t n = p->vs_len - start;
    rj_value *items = NULL;
    if (n) {
        items = rj_doc_alloc(p->doc, n * sizeof *items);
        if (!items)
            return rj__parse_fail(p, RJ_ENOMEM, rj_stream_pos(p->in), "out of memory");
        memcpy(items, p->vs + start, n * sizeof *items);
    }
    p->vs_len = start;
    return push(p, type, type == RJ_OBJECT ? n / 2 : n, items);
}

/* A scalar value at s->cur, b its first byte, by the fast paths: 0 or an
 * error when done; NEED (nothing consumed) for a container, a byte that
 * starts no value, or a scalar that needs the slow path (parse_value). */
static inline int64_t try_scalar(rj_parser *p, int64_t b)
{
    switch (b) {
    case '"':
        return try_string(p);
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        return try_number(p);
    case 't':
        return try_literal(p, "true", 4, RJ_TRUE);
    case 'f':
        return try_literal(p, "false", 5, RJ_FALSE);
    case 'n':
        return try_literal(p, "null", 4, RJ_NULL);
    default:
        return NEED;
    }
}

RJ_BUILDER RTA_ASYNC static int64_t parse_value(rj_parser *p, unsigned depth);
RJ_BUILDER RTA_ASYNC static int64_t parse_object(rj_parser *p, unsigned depth);

static int unexpected(rj_parser *p, int64_t b, const char *what)
{
    char d[24];
    return rj__parse_fail(p, RJ_ESYNTAX, rj_stream_pos(p->in), "%s, found %s", what,
                          describe(b, d, sizeof d));
}

/* After '[' (consumed). */
RJ_BUILDER RTA_ASYNC static int64_t parse_array(rj_parser *p, unsigned depth)
{
    rj_stream *s = p->in;
    size_t start = p->vs_len;
    int64_t b = ws_fast(p);
    if (b == NEED)
        b = skip_ws(p);
    if (b == ']') {
        s->cur++;
        return close_container(p, RJ_ARRAY, start);
    }
    for (;;) {
        /* b: the element's first byte, or NEED/END/an error (parse_value
         * skips to it again and reports what it finds). A nested container
         * is entered here, not through parse_value: one async call each. */
        int64_t r = b >= 0 ? try_scalar(p, b) : NEED;
        if (r == NEED && b == '{' && depth < p->max_depth) {
            s->cur++;
            r = parse_object(p, depth + 1);
        } else if (r == NEED && b == '[' && depth < p->max_depth) {
            s->cur++;
            r = parse_array(p, depth + 1);
        } else if (r == NEED) {
            r = parse_value(p, depth);
        }
        if (r < 0)
            return r;
        b = ws_fast(p);
        if (b == NEED)
            b = skip_ws(p);
        if (b == ',') {
            s->cur++;
            b = ws_fast(p);
        } else if (b == ']') {
            s->cur++;
            return close_container(p, RJ_ARRAY, start);
        } else {
            return b < 0 && b != END ? b : unexpected(p, b, "expected ',' or ']' after an array element");
        }
    }
}

/* After '{' (consumed). */
RJ_BUILDER RTA_ASYNC static int64_t parse_object(rj_parser *p, unsigned depth)
{
    rj_stream *s = p->in;
    size_t start = p->vs_len;
    int64_t b = ws_fast(p);
    if (b == NEED)
        b = skip_ws(p);
    if (b == '}') {
        s->cur++;
        return close_container(p, RJ_OBJECT, start);
    }
    for (;;) {
        if (b != '"')
            return b < 0 && b != END ? b : unexpected(p, b, "expected a string key");
        int64_t r = try_string(p);
        if (r == NEED) {
            s->cur++;
            r = parse_string(p);
        }
        if (r < 0)
            return r;
        b = ws_fast(p);
        if (b == NEED)
            b = skip_ws(p);
        if (b != ':')
            return b < 0 && b != END ? b : unexpected(p, b, "expected ':' after an object key");
        s->cur++;
        b = ws_fast(p);
        r = b >= 0 ? try_scalar(p, b) : NEED; /* as in parse_array */
        if (r == NEED && b == '{' && depth < p->max_depth) {
            s->cur++;
            r = parse_object(p, depth + 1);
        } else if (r == NEED && b == '[' && depth < p->max_depth) {
            s->cur++;
            r = parse_array(p, depth + 1);
        } else if (r == NEED) {
            r = parse_value(p, depth);
        }
        if (r < 0)
            return r;
        b = ws_fast(p);
        if (b == NEED)
            b = skip_ws(p);
        if (b == ',') {
            s->cur++;
            b = ws_fast(p);
            if (b == NEED)
                b = skip_ws(p);
        } else if (b == '}') {
            s->cur++;
            return close_container(p, RJ_OBJECT, start);
        } else {
            return b < 0 && b != END ? b : unexpected(p, b, "expected ',' or '}' after an object member");
        }
    }
}

/* A value (after optional whitespace): scalars through their async forms
 * (which try the fast path first), containers after the depth check. */
RJ_BUILDER RTA_ASYNC static int64_t parse_value(rj_parser *p, unsigned depth)
{
    rj_stream *s = p->in;
    int64_t b = ws_fast(p);
    if (b == NEED)
        b = skip_ws(p);
    switch (b) {
    case '"': {
        int64_t r = try_string(p);
        if (r != NEED)
            return r;
        s->cur++;
        return parse_string(p);
    }
    case '{':
    case '[':
        if (depth >= p->max_depth)
            return rj__parse_fail(p, RJ_EDEPTH, rj_stream_pos(s), "nesting deeper than %u levels",
                                  p->max_depth);
        s->cur++;
        return b == '{' ? parse_object(p, depth + 1) : parse_array(p, depth + 1);
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        return parse_number(p);
    case 't':
        return parse_literal(p, "true", RJ_TRUE);
    case 'f':
        return parse_literal(p, "false", RJ_FALSE);
    case 'n':
        return parse_literal(p, "null", RJ_NULL);
    default:
        if (b < 0 && b != END)
            return b;
        if (b == 0xef && rj_stream_pos(s) == 0)
            return rj__parse_fail(p, RJ_ESYNTAX, 0,
                                  "byte order mark at the start (not allowed in JSON text)");
        return unexpected(p, b, "expected a value");
    }
}

/* One JSON text: a value between optional whitespace, then the end. */
RJ_BUILDER RTA_ASYNC static int64_t parse_doc(rj_parser *p)
{
    int64_t r = parse_value(p, 0);
    if (r < 0)
        return r;
    int64_t b = skip_ws(p);
    if (b != END)
        return b < 0 ? b : unexpected(p, b, "unexpected data after the JSON text");
    if (p->doc)
        p->root = p->vs[0];
    p->vs_len = 0;
    return 0;
}

int64_t RJ_SYM(parse_run)(rj_parser *p);
rta_task *RJ_SYM(parse_spawn)(rj_parser *p);

/* A job: the document, then (for a pipe) closing the reader's end so that a
 * writer blocked on a full pipe learns that nobody will read any more. */
RJ_BUILDER RTA_ASYNC static int64_t parse_job(rj_parser *p)
{
    int64_t r = 0;
    for (unsigned i = 0; i < (p->repeat ? p->repeat : 1) && r >= 0; i++) {
        if (i)
            r = rj__parser_restart(p);
        if (r >= 0)
            r = parse_doc(p);
    }
    if (p->close_at_end && p->in->ops->close)
        p->in->ops->close(p->in->self);
    return r;
}

#if RJ_SYNC
int64_t RJ_SYM(parse_run)(rj_parser *p)
{
    return parse_job(p);
}
#else
RTA_ASYNC static int64_t parse_entry(void *arg)
{
    return parse_job(arg);
}

rta_task *RJ_SYM(parse_spawn)(rj_parser *p)
{
    return rta_spawn(parse_entry, p);
}
#endif
