/*
 * The request pipeline (connection loop, middleware chain, response writer)
 * over in-memory streams, on every engine this build has (the async2 files
 * built for each through rtac; HTTP_TEST_ENGINES names them, and the test
 * insists on exactly those). Trickled streams hand the
 * bytes over a few at a time and yield before every read and write, so the
 * pipeline really suspends mid-headers, mid-body and mid-write; the answers
 * must not depend on how the bytes arrived.
 */
#define _GNU_SOURCE /* memmem */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rta.h>

#include "check.h"
#include "http.h"
#include "testutil.h"

static http_server srv;
static const http_engine *eng; /* the engine under test */

typedef struct job {
    http_job hj;
    http_stream s;
} job;

/* Starts a connection's task on the engine under test. */
static rta_task *serve_spawn(job *j)
{
    j->hj = (http_job){.s = &j->s, .srv = &srv};
    return eng->spawn(&j->hj);
}

/* Runs one connection to its end; the caller frees j->s (http_stream_free). */
static void run(job *j, const char *in, size_t len, size_t trickle)
{
    http_stream_init_mem(&j->s, in, len, trickle);
    rta_task *t = serve_spawn(j);
    CHECK(t != NULL);
    rta_task_wait(t, NULL);
    CHECK_EQ(rta_task_status(t), RTA_SUCCEEDED);
    rta_task_release(t);
    CHECK(j->s.closed);
}

/* Output with every Date value replaced by a fixed one, NUL-terminated. */
static char *normalized(const http_stream *s)
{
    char *o = malloc(s->out_len + 1);
    CHECK(o != NULL);
    if (s->out_len)
        memcpy(o, s->out, s->out_len);
    o[s->out_len] = 0;
    for (char *p = o; (p = strstr(p, "\r\nDate: ")) != NULL; p += 8) {
        CHECK(p + 8 + 29 <= o + s->out_len);
        CHECK(memcmp(p + 8 + 25, " GMT", 4) == 0);
        memcpy(p + 8, "Thu, 01 Jan 1970 00:00:00 GMT", 29);
    }
    return o;
}

typedef struct resp {
    int status;
    const char *head; /* into the output */
    size_t head_len;
    const char *body;
    size_t body_len;
} resp;

static bool has_header(const resp *r, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = r->head; p + n <= r->head + r->head_len; p++)
        if (memcmp(p, line, n) == 0 && p[-1] == '\n')
            return true;
    return false;
}

/* Splits an output into responses (interim 100s included), checking each
 * carries Server, Date and Content-Length. */
static int responses(const char *o, size_t len, resp *rs, int max)
{
    int n = 0;
    const char *p = o, *end = o + len;
    while (p < end) {
        CHECK(n < max);
        CHECK(end - p > 12 && memcmp(p, "HTTP/1.", 7) == 0);
        resp *r = &rs[n++];
        r->status = atoi(p + 9);
        /* the output is not NUL-terminated: search within it (strstr read
         * past the buffer's end, a SEGV under TSan's allocator) */
        const char *he = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        CHECK(he != NULL);
        r->head = p;
        r->head_len = (size_t)(he + 4 - p);
        p = he + 4;
        if (r->status == 100) {
            r->body = p;
            r->body_len = 0;
            continue;
        }
        CHECK(has_header(r, "Server: rtahttpd\r\n"));
        CHECK(has_header(r, "Date: "));
        const char *cl = memmem(r->head, r->head_len, "\r\nContent-Length: ", 18);
        CHECK(cl != NULL && cl < he);
        r->body_len = (size_t)atol(cl + 18);
        r->body = p;
        /* an answer to HEAD announces a body it does not carry: only the
         * last response of an output can be one in these tests */
        if ((size_t)(end - p) >= r->body_len)
            p += r->body_len;
        else
            CHECK(r->status == 200 && (p = end) != NULL);
    }
    return n;
}

static void test_plaintext_exact(void)
{
    const char req[] = "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n";
    job j;
    run(&j, req, sizeof req - 1, 0);
    char *o = normalized(&j.s);
    CHECK_STREQ(o, "HTTP/1.1 200 OK\r\nServer: rtahttpd\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
                   "Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!");
    CHECK_EQ(j.hj.served, 1);
    free(o);
    http_stream_free(&j.s);

    const char jreq[] = "GET /json HTTP/1.1\r\n\r\n";
    run(&j, jreq, sizeof jreq - 1, 0);
    o = normalized(&j.s);
    CHECK_STREQ(o, "HTTP/1.1 200 OK\r\nServer: rtahttpd\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
                   "Content-Type: application/json\r\nContent-Length: 27\r\n\r\n"
                   "{\"message\":\"Hello, World!\"}");
    free(o);
    http_stream_free(&j.s);
}

/* Pipelined requests that arrive together are answered in order, in one write. */
static void test_pipelined_batch(void)
{
    static char in[16 * 64];
    size_t len = 0;
    for (int i = 0; i < 16; i++)
        len += (size_t)sprintf(in + len, "GET /%s HTTP/1.1\r\nHost: x\r\n\r\n",
                               i % 3 == 0   ? "json"
                               : i % 3 == 1 ? "plaintext"
                                            : "nope");
    job j;
    run(&j, in, len, 0);
    CHECK_EQ(j.s.writes, 1);
    CHECK_EQ(j.hj.served, 16);
    resp rs[20];
    CHECK_EQ(responses(j.s.out, j.s.out_len, rs, 20), 16);
    for (int i = 0; i < 16; i++) {
        CHECK_EQ(rs[i].status, i % 3 == 2 ? 404 : 200);
        CHECK_EQ(rs[i].body_len, i % 3 == 0 ? 27 : i % 3 == 1 ? 13 : 10);
        CHECK(!has_header(&rs[i], "Connection: "));
    }
    http_stream_free(&j.s);
}

static void expect_conversation(const char *in, size_t trickle, const int *statuses, int n,
                                const char *conn_hdr)
{
    job j;
    run(&j, in, strlen(in), trickle);
    resp rs[8];
    int got = responses(j.s.out, j.s.out_len, rs, 8);
    if (got != n)
        fprintf(stderr, "for %s: %d responses, want %d\n", in, got, n);
    CHECK_EQ(got, n);
    for (int i = 0; i < n; i++)
        CHECK_EQ(rs[i].status, statuses[i]);
    if (conn_hdr)
        CHECK(has_header(&rs[n - 1], conn_hdr));
    http_stream_free(&j.s);
}

static void test_keep_alive_rules(void)
{
    int two[] = {200, 200}, one[] = {200};
    const char *g11 = "GET /plaintext HTTP/1.1\r\n\r\n";
    char in[512];
    /* 1.1: keep-alive by default */
    snprintf(in, sizeof in, "%s%s", g11, g11);
    expect_conversation(in, 0, two, 2, NULL);
    /* Connection: close answered, then closed: the next request is not read */
    snprintf(in, sizeof in, "GET /plaintext HTTP/1.1\r\nConnection: close\r\n\r\n%s", g11);
    expect_conversation(in, 0, one, 1, "Connection: close\r\n");
    /* 1.0 closes unless keep-alive is asked */
    snprintf(in, sizeof in, "GET /plaintext HTTP/1.0\r\n\r\n%s", g11);
    expect_conversation(in, 0, one, 1, "Connection: close\r\n");
    snprintf(in, sizeof in,
             "GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
             "GET /json HTTP/1.0\r\n\r\n");
    expect_conversation(in, 3, two, 2, "Connection: close\r\n");
    job j;
    run(&j, in, strlen(in), 0);
    CHECK(strncmp(j.s.out, "HTTP/1.0 200 OK\r\n", 17) == 0);
    CHECK(memmem(j.s.out, j.s.out_len, "Connection: keep-alive\r\n", 24) != NULL);
    http_stream_free(&j.s);
}

static void test_errors(void)
{
    int s405[] = {405}, s400[] = {200, 400}, s413[] = {413}, s431[] = {431};
    const char *in = "POST /plaintext HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";
    expect_conversation(in, 0, s405, 1, "Allow: GET, HEAD\r\n");
    expect_conversation("PUT /echo HTTP/1.1\r\n\r\n", 0, s405, 1, "Allow: POST\r\n");
    /* 400 closes: what follows the bad request is not read */
    expect_conversation("GET /json HTTP/1.1\r\n\r\nGET /json HTTP/1.1\r\nBad header\r\n\r\n"
                        "GET /json HTTP/1.1\r\n\r\n",
                        5, s400, 2, "Connection: close\r\n");
    /* a chunked body over the limit is refused while it streams in */
    size_t big = srv.cfg.max_body + 4096;
    char *body = malloc(big + 8192);
    CHECK(body != NULL);
    size_t n = (size_t)sprintf(body, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    while (n < big) {
        n += (size_t)sprintf(body + n, "1000\r\n");
        memset(body + n, 'b', 4096);
        n += 4096;
        n += (size_t)sprintf(body + n, "\r\n");
    }
    body[n] = 0;
    expect_conversation(body, 0, s413, 1, "Connection: close\r\n");
    free(body);
    /* a head that never ends is cut at the limit, not buffered forever */
    char *head = malloc(64 * 1024);
    CHECK(head != NULL);
    n = (size_t)sprintf(head, "GET /plaintext HTTP/1.1\r\n");
    while (n < 60 * 1024)
        n += (size_t)sprintf(head + n, "X-Filler-%zu: aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", n);
    expect_conversation(head, 0, s431, 1, "Connection: close\r\n");
    free(head);
}

static void test_chunked_echo_trickled(void)
{
    const char *in = "POST /echo HTTP/1.1\r\nContent-Type: text/x-test\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n1;ext\r\n \r\n5\r\nworld\r\n0\r\nTrailer: t\r\n\r\n"
                     "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
    for (size_t trickle = 0; trickle <= 7; trickle += 7) {
        job j;
        run(&j, in, strlen(in), trickle ? trickle : 1);
        resp rs[4];
        CHECK_EQ(responses(j.s.out, j.s.out_len, rs, 4), 2);
        CHECK_EQ(rs[0].status, 200);
        CHECK(has_header(&rs[0], "Content-Type: text/x-test\r\n"));
        CHECK_EQ(rs[0].body_len, 11);
        CHECK(memcmp(rs[0].body, "hello world", 11) == 0);
        CHECK_EQ(rs[1].body_len, 3);
        CHECK(memcmp(rs[1].body, "abc", 3) == 0);
        http_stream_free(&j.s);
    }
}

static void test_expect_continue(void)
{
    const char *in = "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nping";
    job j;
    run(&j, in, strlen(in), 2); /* the body is not there yet when the head is parsed */
    resp rs[4];
    CHECK_EQ(responses(j.s.out, j.s.out_len, rs, 4), 2);
    CHECK_EQ(rs[0].status, 100);
    CHECK_EQ(rs[1].status, 200);
    CHECK(memcmp(rs[1].body, "ping", 4) == 0);
    http_stream_free(&j.s);
}

static void test_request_id_and_drain(void)
{
    const char *in = "GET /json HTTP/1.1\r\nX-Request-Id: abc-123\r\n\r\nGET /json HTTP/1.1\r\n\r\n";
    job j;
    run(&j, in, strlen(in), 0);
    resp rs[4];
    CHECK_EQ(responses(j.s.out, j.s.out_len, rs, 4), 2);
    CHECK(has_header(&rs[0], "X-Request-Id: abc-123\r\n"));
    CHECK(!has_header(&rs[1], "X-Request-Id: "));
    http_stream_free(&j.s);
    /* draining: the request in flight is answered, with Connection: close */
    atomic_store(&srv.draining, true);
    int one[] = {200};
    expect_conversation(in, 0, one, 1, "Connection: close\r\n");
    atomic_store(&srv.draining, false);
}

/* A client that stops sending: 408 mid-request, silence when idle. */
static void test_header_deadline(void)
{
    http_server saved = srv;
    srv.cfg.header_timeout_ms = 30;
    const char *in = "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\nGET /json HTTP/1.1\r\nHo";
    job j;
    http_stream_init_mem(&j.s, in, strlen(in), 0);
    j.s.hold = true;
    rta_task *t = serve_spawn(&j);
    rta_task_wait(t, NULL);
    rta_task_release(t);
    resp rs[4];
    CHECK_EQ(responses(j.s.out, j.s.out_len, rs, 4), 2);
    CHECK_EQ(rs[0].status, 200);
    CHECK_EQ(rs[1].status, 408);
    CHECK(has_header(&rs[1], "Connection: close\r\n"));
    http_stream_free(&j.s);
    /* idle between requests: closed without a word */
    in = "GET /plaintext HTTP/1.1\r\n\r\n";
    http_stream_init_mem(&j.s, in, strlen(in), 0);
    j.s.hold = true;
    t = serve_spawn(&j);
    rta_task_wait(t, NULL);
    rta_task_release(t);
    CHECK_EQ(responses(j.s.out, j.s.out_len, rs, 4), 1);
    CHECK(j.s.closed);
    http_stream_free(&j.s);
    srv = saved;
}

/* Every corpus file: its last status, and the same bytes however it arrives. */
static void test_corpus(void)
{
    DIR *d = opendir(RTA_HTTP_CORPUS);
    CHECK(d != NULL);
    struct dirent *e;
    int files = 0;
    static char buf[64 * 1024];
    while ((e = readdir(d)) != NULL) {
        size_t nl = strlen(e->d_name);
        if (nl < 6 || strcmp(e->d_name + nl - 5, ".http") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", RTA_HTTP_CORPUS, e->d_name);
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL);
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        char *first = NULL;
        static const size_t trickles[] = {0, 1, 7, 100};
        for (size_t k = 0; k < sizeof trickles / sizeof trickles[0]; k++) {
            job j;
            run(&j, buf, n, trickles[k]);
            char *o = normalized(&j.s);
            /* an interim 100 depends on whether the body was there yet: drop it */
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            char *c100 = strstr(o, cont);
            if (c100)
                memmove(c100, c100 + sizeof cont - 1, strlen(c100 + sizeof cont - 1) + 1);
            if (!first) {
                first = o;
                int want = atoi(e->d_name);
                resp rs[8];
                int got = j.s.out_len ? responses(j.s.out, j.s.out_len, rs, 8) : 0;
                int last = got ? rs[got - 1].status : 0;
                if (last != want) {
                    fprintf(stderr, "%s: last status %d\n%s\n", e->d_name, last, o);
                    CHECK(0);
                }
                if (want >= 400 && want != 404 && want != 405)
                    CHECK(has_header(&rs[got - 1], "Connection: close\r\n"));
            } else {
                if (strcmp(first, o) != 0) {
                    fprintf(stderr, "%s: trickle %zu gives\n%s\nwhole gives\n%s\n", e->d_name, trickles[k], o,
                            first);
                    CHECK(0);
                }
                free(o);
            }
            http_stream_free(&j.s);
        }
        free(first);
        files++;
    }
    closedir(d);
    CHECK(files >= 40);
}

/* Many connections at once, each suspending at every read and write. */
static void test_many_connections(void)
{
    const char *in = "GET /plaintext HTTP/1.1\r\n\r\nPOST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\n"
                     "12345GET /json HTTP/1.0\r\n\r\n";
    long n = test_scaled(400, 20);
    rta_task **ts = calloc((size_t)n, sizeof *ts);
    job *js = calloc((size_t)n, sizeof *js);
    CHECK(ts != NULL && js != NULL);
    size_t yields = 0;
    for (long i = 0; i < n; i++) {
        http_stream_init_mem(&js[i].s, in, strlen(in), 3);
        CHECK((ts[i] = serve_spawn(&js[i])) != NULL);
    }
    for (long i = 0; i < n; i++) {
        CHECK_EQ(rta_task_wait(ts[i], NULL), 3);
        rta_task_release(ts[i]);
        resp rs[4];
        CHECK_EQ(responses(js[i].s.out, js[i].s.out_len, rs, 4), 3);
        CHECK(memcmp(rs[1].body, "12345", 5) == 0);
        yields += js[i].s.yields;
        http_stream_free(&js[i].s);
    }
    /* the pipeline really suspended: every connection at several points (a
     * yield suspends on every engine), all of them in flight at once */
    CHECK(yields >= (size_t)n * 10);
    free(ts);
    free(js);
}

int main(void)
{
    rta_config cfg = {.workers = 2};
    CHECK_OK(rta_init(&cfg));
    http_config_default(&srv.cfg);
    char names[64] = "";
    for (const char *const *name = http_engine_names; *name; name++) {
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", *names ? " " : "", *name);
        bool built;
        eng = http_engine_find(*name, &built);
        CHECK(eng && built);
        test_plaintext_exact();
        test_pipelined_batch();
        test_keep_alive_rules();
        test_errors();
        test_chunked_echo_trickled();
        test_expect_continue();
        test_request_id_and_drain();
        test_header_deadline();
        test_corpus();
        test_many_connections();
        printf("%s: ok\n", *name);
    }
    if (strcmp(names, HTTP_TEST_ENGINES) != 0) {
        fprintf(stderr, "engines built: '%s', expected '%s'\n", names, HTTP_TEST_ENGINES);
        CHECK(0);
    }
    rta_shutdown();
    return 0;
}
