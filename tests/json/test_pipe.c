/* The in-process pipe: a writer task serialises a document into a pipe of a
 * few bytes' capacity while a reader task parses it, both suspending over and
 * over, on every async engine. The reader gets the same document; a reader
 * that fails stops the writer (EPIPE, no hang) and a writer that fails ends the
 * reader's input (a syntax error at the cut, no hang). */
#include "rj_test.h"

#define BENCH_DATA RJ_BENCH_DATA

typedef struct pair_result {
    int wcode, rcode;
    rj_error rerr;
    uint64_t wsusp, rsusp;
    char *out;
    size_t outlen;
} pair_result;

/* Writer job w (its stream set here) -> pipe of cap bytes -> parser. */
static void through_pipe(const rj_engine *e, rj_writer *w, size_t cap, unsigned max_depth, pair_result *res)
{
    rj_stream ws, rs;
    CHECK_OK(rj_stream_pipe(&ws, &rs, cap));
    w->out = &ws;
    w->close_at_end = true;
    rj_doc *doc = rj_doc_new();
    rj_parser p;
    rj_parser_init(&p, &rs, doc);
    p.close_at_end = true;
    if (max_depth)
        p.max_depth = max_depth;
    rta_task *rt = e->parse_spawn(&p);
    rta_task *wt = e->write_spawn(w);
    CHECK(rt && wt);
    res->wcode = rj_job_wait(wt, &w->err);
    res->rcode = rj_job_wait(rt, &p.err);
    res->rerr = p.err;
    res->wsusp = ws.suspensions;
    res->rsusp = rs.suspensions;
    res->out = NULL;
    if (res->rcode == 0) {
        rj_stream out;
        CHECK_OK(rj_stream_mem_writer(&out));
        rj_writer w2;
        rj_writer_init(&w2, &out, RJ_W_VALUE);
        w2.value = &p.root;
        CHECK_OK(rj_write(rjt_engine("sync"), &w2));
        size_t n;
        const uint8_t *d = rj_stream_mem_data(&out, &n);
        res->out = malloc(n ? n : 1);
        memcpy(res->out, d, n);
        res->outlen = n;
        rj_stream_free(&out);
    }
    rj_parser_free(&p);
    rj_doc_free(doc);
    rj_stream_free(&ws);
    rj_stream_free(&rs);
}

int main(void)
{
    rjt_init();
    size_t len;
    char *data = rjt_slurp(BENCH_DATA "twitter.json", &len);
    CHECK(data);
    /* the document: twitter.json, fewer statuses in slow configurations */
    rj_doc *doc = rj_doc_new();
    rj_stream in;
    CHECK_OK(rj_stream_mem_reader(&in, data, len));
    rj_parser p;
    rj_parser_init(&p, &in, doc);
    CHECK_OK(rj_parse(rjt_engine("sync"), &p));
    rj_value *statuses = (rj_value *)rj_get(&p.root, "statuses");
    CHECK(statuses && statuses->type == RJ_ARRAY && statuses->len == 100);
    statuses->len = (uint32_t)test_scaled(100, 5);
    rjt_result ref = {0};
    {
        rj_stream out;
        CHECK_OK(rj_stream_mem_writer(&out));
        rj_writer w;
        rj_writer_init(&w, &out, RJ_W_VALUE);
        w.value = &p.root;
        CHECK_OK(rj_write(rjt_engine("sync"), &w));
        const uint8_t *d = rj_stream_mem_data(&out, &ref.outlen);
        ref.out = malloc(ref.outlen);
        memcpy(ref.out, d, ref.outlen);
        rj_stream_free(&out);
    }

    const size_t caps[] = {4096, 97, 7};
    int engines = 0;
    for (const char *const *name = rj_engine_names; *name; name++) {
        const rj_engine *e = rjt_engine(*name);
        if (!e->parse_spawn)
            continue;
        engines++;
        for (size_t ci = 0; ci < 3; ci++) {
            rj_writer w;
            rj_writer_init(&w, NULL, RJ_W_VALUE);
            w.value = &p.root;
            pair_result r;
            through_pipe(e, &w, caps[ci], 0, &r);
            CHECK_EQ(r.wcode, 0);
            if (r.rcode)
                fprintf(stderr, "%s: %s\n", *name, r.rerr.msg);
            CHECK_EQ(r.rcode, 0);
            CHECK_EQ(r.outlen, ref.outlen);
            CHECK(memcmp(r.out, ref.out, r.outlen) == 0);
            CHECK(r.wsusp > 0 || r.rsusp > 0);
            printf("%s pipe %zu B: writer suspended %llu times, reader %llu\n", *name, caps[ci],
                   (unsigned long long)r.wsusp, (unsigned long long)r.rsusp);
            free(r.out);
        }
        /* the reader gives up at depth 2: the writer must see EPIPE, not wait forever */
        rj_writer w;
        rj_writer_init(&w, NULL, RJ_W_VALUE);
        w.value = &p.root;
        pair_result r;
        through_pipe(e, &w, 64, 2, &r);
        CHECK_EQ(r.rcode, RJ_EDEPTH);
        CHECK_EQ(r.wcode, RJ_EIO);
        CHECK(strstr(w.err.msg, "write error") != NULL);

        /* the writer fails mid-way (a name that is not UTF-8): the reader sees the cut */
        rj_record recs[300];
        static const char *const tags[] = {"a", "b"};
        for (int i = 0; i < 300; i++)
            recs[i] = (rj_record){.id = i,
                                  .name = i == 250 ? "bad \xff name" : "item",
                                  .price_cents = 100 + i,
                                  .rating = 4.5,
                                  .available = i % 2,
                                  .tags = tags,
                                  .ntags = 2};
        rj_catalog cat = {"catalogue", recs, 300};
        rj_writer_init(&w, NULL, RJ_W_CATALOG);
        w.catalog = &cat;
        through_pipe(e, &w, 64, 0, &r);
        CHECK_EQ(r.wcode, RJ_EARG);
        CHECK(strstr(w.err.msg, "UTF-8") != NULL);
        CHECK_EQ(r.rcode, RJ_ESYNTAX);
        CHECK(strstr(r.rerr.msg, "end of input") != NULL);
    }
    CHECK(engines >= 1);
    rj_parser_free(&p);
    rj_stream_free(&in);
    rj_doc_free(doc);
    free(ref.out);
    free(data);
    rta_shutdown();
    return 0;
}
