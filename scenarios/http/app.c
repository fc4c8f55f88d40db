/*
 * The middleware chain every request goes through, outermost first:
 *   request id (http_app) -> access_log -> route -> handler
 * Each stage is an async2 function that calls the next one directly (a
 * fixed chain: plain calls lower the same way on every engine).
 *
 * Routes: GET|HEAD /plaintext, GET|HEAD /json, POST /echo; a known path with
 * another method is 405 with Allow, anything else 404.
 */
#include "http.h"

#include <stdio.h>
#include <string.h>

static const char plaintext_body[] = "Hello, World!";

static RTA_ASYNC void handle_plaintext(http_ctx *c)
{
    http_respond(c, 200, "text/plain", plaintext_body, sizeof plaintext_body - 1, NULL);
}

_Static_assert(sizeof((http_ctx *)0)->json_body >= RJ_TOKEN_ROOM, "a span needs the writer's room");

#define STR_VALUE(lit) ((rj_value){.type = RJ_STRING, .len = sizeof lit - 1, .u.str = "" lit})

/* The TechEmpower message, built afresh for each request as a document: an
 * object with one member, "message": "Hello, World!". The writer (set up on
 * the connection's first /json, rewound after) is to serialize it into the
 * context's json_body. */
static void json_message(http_ctx *c)
{
    if (c->json.out != &c->json_out) {
        rj_stream_span_writer(&c->json_out, c->json_body, sizeof c->json_body);
        rj_writer_init(&c->json, &c->json_out, RJ_W_VALUE);
    } else {
        rj_stream_rewind(&c->json_out);
        c->json.err.code = 0;
    }
    rj_value *m = c->json_msg;
    m[1] = STR_VALUE("message");
    m[2] = STR_VALUE("Hello, World!");
    m[0] = (rj_value){.type = RJ_OBJECT, .len = 1, .u.items = &m[1]};
    c->json.value = m;
}

/* Serializes through the JSON scenario's writer (scenarios/json/write.c,
 * this engine's build of it: an await like any other in the chain), straight
 * into json_body; the response copies it from there. */
static RTA_ASYNC void handle_json(http_ctx *c)
{
    json_message(c);
    if (rj_write_async(&c->json) < 0) {
        static const char ie[] = "Internal Server Error\n";
        http_respond(c, 500, "text/plain", ie, sizeof ie - 1, NULL);
        return;
    }
    http_respond(c, 200, "application/json", c->json_body, (size_t)rj_stream_pos(&c->json_out), NULL);
}

/* The echo's Content-Type: the request's, when it fits, else octet-stream.
 * Kept in the context, not a local buffer: it is read after http_respond's
 * awaits (a cont frame moves, so pointers to its locals do not last). */
static const char *echo_type(http_ctx *c)
{
    size_t ctlen = 0;
    const char *ct = http_header_get(c->req, c->buf, "content-type", &ctlen);
    if (ct && ctlen < sizeof c->ctype) {
        memcpy(c->ctype, ct, ctlen);
        c->ctype[ctlen] = 0;
        return c->ctype;
    }
    return "application/octet-stream";
}

static RTA_ASYNC void handle_echo(http_ctx *c)
{
    http_respond(c, 200, echo_type(c), c->body ? c->body : "", c->body_len, NULL);
}

typedef enum { R_PLAINTEXT, R_JSON, R_ECHO, R_NONE } route_id;

/* Paths compare byte for byte (they are case-sensitive); a literal's length
 * is known at compile time. */
static bool path_eq(const http_ctx *c, const char *p, size_t n)
{
    return c->req->path.len == n && memcmp(c->buf + c->req->path.off, p, n) == 0;
}
#define path_is(c, lit) path_eq(c, "" lit, sizeof lit - 1)

static RTA_ASYNC void route(http_ctx *c)
{
    const http_request *r = c->req;
    route_id id = R_NONE;
    if (path_is(c, "/plaintext"))
        id = R_PLAINTEXT;
    else if (path_is(c, "/json"))
        id = R_JSON;
    else if (path_is(c, "/echo"))
        id = R_ECHO;
    switch (id) {
    case R_PLAINTEXT:
    case R_JSON:
        if (r->method != HTTP_GET && r->method != HTTP_HEAD)
            break;
        if (id == R_PLAINTEXT)
            handle_plaintext(c);
        else
            handle_json(c);
        return;
    case R_ECHO:
        if (r->method != HTTP_POST)
            break;
        handle_echo(c);
        return;
    case R_NONE: {
        static const char nf[] = "Not Found\n";
        http_respond(c, 404, "text/plain", nf, sizeof nf - 1, NULL);
        return;
    }
    }
    static const char na[] = "Method Not Allowed\n";
    http_respond(c, 405, "text/plain", na, sizeof na - 1,
                 id == R_ECHO ? "Allow: POST\r\n" : "Allow: GET, HEAD\r\n");
}

static RTA_ASYNC void access_log(http_ctx *c)
{
    if (!c->srv->cfg.access_log) {
        route(c);
        return;
    }
    int64_t t0 = http_now_ns();
    route(c);
    int64_t us = (http_now_ns() - t0) / 1000;
    const http_request *r = c->req;
    fprintf(stderr, "rtahttpd: #%llu %.*s %.*s %d %zu %lldus\n", (unsigned long long)c->id,
            (int)r->method_s.len, c->buf + r->method_s.off, (int)r->target.len, c->buf + r->target.off,
            c->status, c->bytes_out, (long long)us);
}

/* Numbers every request (the access log names it) and hands a client's
 * X-Request-Id back on the response, so a caller can match its logs. */
static void set_request_id(http_ctx *c)
{
    c->id = atomic_fetch_add_explicit(&c->srv->next_id, 1, memory_order_relaxed) + 1;
    size_t n = 0;
    const char *v = http_header_get(c->req, c->buf, "x-request-id", &n);
    if (v && n > 0 && n <= HTTP_REQUEST_ID_MAX)
        snprintf(c->extra, sizeof c->extra, "X-Request-Id: %.*s\r\n", (int)n, v);
}

/* The chain's entry is its first stage, request id (a stage of its own that
 * only forwarded to it cost cont and async1 an async call per request). */
RTA_ASYNC void http_app(http_ctx *c)
{
    set_request_id(c);
    access_log(c);
}
