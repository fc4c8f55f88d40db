/*
 * The request pipeline of rtahttpd: a connection loop (conn.c) that reads and
 * parses requests (suspending mid-headers when bytes are missing), runs each
 * through the middleware chain (app.c), and answers through the response
 * writer (response.c), batching the answers to pipelined requests into one
 * write. All of it is async2 code, marked RTA_ASYNC.
 */
#ifndef RTA_HTTP_H
#define RTA_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "async.h"
#include "parse.h"
#include "rj.h" /* the JSON scenario: /json's writer */
#include "stream.h"

typedef struct http_config {
    uint32_t max_head;         /* header section limit, 431 beyond (8 KiB) */
    size_t max_body;           /* request body limit, 413 beyond (1 MiB) */
    int64_t header_timeout_ms; /* from waiting for a request to its last header byte */
    int64_t io_timeout_ms;     /* body reads and response writes */
    bool access_log;           /* one line per request on stderr */
} http_config;

/* Fills in the defaults (the values in the comments above). */
void http_config_default(http_config *cfg);

typedef struct http_server {
    http_config cfg;
    atomic_bool draining; /* answer in-flight requests, then close */
    atomic_uint_fast64_t next_id;
    atomic_uint_fast64_t requests; /* answered, all connections */
} http_server;

#define HTTP_REQUEST_ID_MAX 64
/* /json's body buffer: the message (27 bytes) and the writer's room
 * (RJ_TOKEN_ROOM) with plenty to spare; the test pins the bytes. */
#define HTTP_JSON_MAX 128

/* One request on its way through the middleware chain. */
typedef struct http_ctx {
    struct http_conn *conn;
    http_server *srv;
    const http_request *req;
    const char *buf; /* the request's bytes: spans are offsets into it */
    const char *body;
    size_t body_len;
    uint64_t id;                              /* request id (request-id middleware) */
    int status;                               /* of the response written, 0 before */
    size_t bytes_out;                         /* of the response written */
    char extra[16 + HTTP_REQUEST_ID_MAX + 3]; /* header lines every response of the
                                               * request carries ("" or CRLF-ended) */
    char ctype[128]; /* a handler's Content-Type copied from the request (not reset per
                      * request: read only after that handler wrote it) */
    /* /json (app.c): the message as a document (object, key, value), and the
     * JSON scenario's writer, which writes it into json_body through a span
     * stream (rj.h). Set up by a connection's first /json request (json.out
     * is NULL until then; respond_error's reset of the context starts it
     * over), rewound by the next ones: nothing is allocated per request. */
    rj_value json_msg[3];
    rj_writer json;
    rj_stream json_out;
    char json_body[HTTP_JSON_MAX];
} http_ctx;

/* Serves one connection until it closes; closes the stream. Returns the
 * number of requests answered, or -errno when the connection could not even
 * be set up. */
RTA_ASYNC int64_t http_serve(http_stream *s, http_server *srv);

/* ---- engines ----
 * stream.c, conn.c and app.c are async2 C built once per engine (through
 * rtac: tasklet as written, cont and async1 lowered), with HTTP_ENGINE_ID set to the
 * engine's name; each build exports one entry, http_<engine>_spawn. Their
 * async functions get per-engine names from rtac, so the builds link side
 * by side; everything else (parse.c, response.c, common.c) is built once. */
typedef struct http_job {
    http_stream *s;
    http_server *srv;
    int64_t served;                   /* http_serve's result, set before done */
    void (*done)(struct http_job *j); /* runs in the task at its end (may free j); or NULL */
} http_job;

#define HTTP_CAT3_(a, b, c) a##b##c
#define HTTP_CAT3(a, b, c) HTTP_CAT3_(a, b, c)
#define HTTP_SYM(x) HTTP_CAT3(http_, HTTP_ENGINE_ID, _##x)

/* Starts http_serve(j->s, j->srv) as a task of that engine; NULL and errno
 * when it cannot. */
typedef struct http_engine {
    const char *name;
    rta_task *(*spawn)(http_job *j);
} http_engine;
/* The engine of that name, NULL if none; *built false for a known engine
 * this build lacks (cont/async1 without rtac). */
const http_engine *http_engine_find(const char *name, bool *built);
/* The engines this build has, NULL-terminated. */
extern const char *const http_engine_names[];

/* The response writer. Appends a response to the connection's output
 * (flushing first when full; a large body is written straight through):
 * status line, Server, Date, Content-Type (when ctype), Content-Length, the
 * Connection header the keep-alive rules call for, the context's `extra`
 * lines, `extra` (complete header lines, may be NULL), then the body (left out for HEAD). Returns 0 or
 * -errno. */
RTA_ASYNC int http_respond(http_ctx *c, int status, const char *ctype, const char *body, size_t len,
                           const char *extra);

/* The middleware chain: request id + access log, routing, handlers. */
RTA_ASYNC void http_app(http_ctx *c);

/* ---- response.c ---- */

/* Today's IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", 29 chars), formatted
 * at most once a second per thread. */
const char *http_date(void);
#define HTTP_DATE_LEN 29
const char *http_reason(int status);
/* Writes the head of a response into out (at least HTTP_HEAD_MAX bytes free
 * plus the extras' lengths; extras are header lines or NULL); returns its length. */
#define HTTP_HEAD_MAX 256
size_t http_format_head(char *out, int status, const char *ctype, size_t len, int minor, bool close,
                        bool keep_alive_10, const char *extra1, const char *extra2);

#endif
