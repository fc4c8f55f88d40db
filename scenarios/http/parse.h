/*
 * HTTP/1.1 request parser (RFC 9112), the project's own. Plain C: no I/O, no
 * allocation, no async calls, so it can be fuzzed and tested on its own.
 *
 * It is incremental: the caller keeps the bytes of the request being parsed
 * contiguous from its first byte (buf) and calls http_parse_head again with a
 * longer len whenever more bytes arrived; complete lines are parsed once and
 * never rescanned. Everything it records is an offset from buf, so the caller
 * may move the bytes (compacting its buffer) between calls.
 *
 * The chunked-body decoder is incremental the same way, byte-driven, keeping
 * its state between calls.
 */
#ifndef RTA_HTTP_PARSE_H
#define RTA_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 64
#define HTTP_DEFAULT_MAX_HEAD (8 * 1024)

typedef enum http_method {
    HTTP_GET,
    HTTP_HEAD,
    HTTP_POST,
    HTTP_PUT,
    HTTP_DELETE,
    HTTP_OPTIONS,
    HTTP_PATCH,
    HTTP_OTHER,
} http_method;

/* A piece of the request: bytes [off, off+len) from the request's first byte. */
typedef struct http_span {
    uint32_t off, len;
} http_span;

typedef struct http_header {
    http_span name, value;
} http_header;

typedef struct http_request {
    http_method method;
    http_span method_s;
    http_span target; /* as sent */
    http_span path;   /* target without query (and without scheme://authority) */
    int minor;        /* HTTP/1.<minor>: 0 or 1 */
    unsigned nheaders;
    http_header headers[HTTP_MAX_HEADERS];
    int64_t content_length; /* -1 when absent */
    bool chunked;           /* Transfer-Encoding: chunked */
    bool keep_alive;        /* after the version default and Connection */
    bool expect_continue;   /* Expect: 100-continue */
    uint32_t head_len;      /* request line + headers + the empty line */
} http_request;

/* Results of http_parse_head. Errors are the negated status to answer with. */
enum {
    HTTP_PARSE_MORE = 0,         /* need more bytes */
    HTTP_PARSE_BAD = -400,       /* malformed request line or header */
    HTTP_PARSE_TOO_LARGE = -431, /* head over the limit, or too many headers */
    HTTP_PARSE_NOT_IMPL = -501,  /* a transfer coding other than chunked */
    HTTP_PARSE_VERSION = -505,   /* HTTP/x.y other than 1.0 and 1.1 */
};

typedef struct http_parser {
    uint32_t pos;      /* bytes of buf already parsed (complete lines) */
    uint32_t max_head; /* limit on head_len */
    bool have_line;    /* the request line was parsed */
    bool saw_cl;       /* a Content-Length header was seen */
    bool conn_close, conn_keep_alive;
    http_request *req;
} http_parser;

/* Prepares p to parse one request into req. max_head 0 = HTTP_DEFAULT_MAX_HEAD. */
void http_parser_init(http_parser *p, http_request *req, uint32_t max_head);

/* Parses the head of a request from buf[0..len), len never shrinking between
 * calls on the same request. Returns req->head_len (> 0) once the empty line
 * that ends the head was parsed, HTTP_PARSE_MORE, or an HTTP_PARSE_* error.
 * Leading empty lines (a client's CRLF after a previous body) are skipped and
 * count towards the head. After a result other than MORE, do not call again. */
int http_parse_head(http_parser *p, const char *buf, size_t len);

/* Header value by case-insensitive name (first match); NULL when absent. */
const char *http_header_get(const http_request *req, const char *buf, const char *name, size_t *len);

/* Case-insensitive compare of a span with a NUL-terminated string. */
bool http_span_eq(const char *buf, http_span s, const char *str);

/* Chunked transfer coding decoder. */
typedef struct http_chunked {
    int state;
    uint64_t remaining; /* bytes left in the current chunk (or size being read) */
    unsigned digits;
} http_chunked;

enum {
    HTTP_CHUNKED_MORE = 0, /* consumed all input, body not finished */
    HTTP_CHUNKED_DONE = 1, /* last chunk and trailers consumed */
    HTTP_CHUNKED_BAD = -400,
    HTTP_CHUNKED_TOO_LARGE = -413, /* the sink refused the data */
};

void http_chunked_init(http_chunked *c);
/* Decodes from in[0..n): sets *used to the bytes consumed and, for each
 * stretch of body data, calls sink(ctx, data, len) (sink may be NULL; it
 * returns false to refuse the data, e.g. over a body limit: then the result is
 * HTTP_CHUNKED_TOO_LARGE).
 * Trailer fields are checked for shape and dropped. Returns one of
 * HTTP_CHUNKED_*; after DONE, bytes from *used on belong to the next request. */
int http_chunked_feed(http_chunked *c, const char *in, size_t n, size_t *used,
                      bool (*sink)(void *ctx, const char *data, size_t len), void *ctx);

#endif
