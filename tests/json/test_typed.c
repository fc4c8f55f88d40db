/* The typed path: a catalogue of C records and the TechEmpower message are
 * written on every engine (to memory and, async engines, through a trickling
 * pipe), read back into records with the same values, and misuse (a string
 * that is not UTF-8, a NULL string, a non-finite number, nothing to write)
 * is a clear error, not bad output. */
#include <math.h>

#include "rj_test.h"

static char *write_mem(const rj_engine *e, rj_writer *w, size_t *len)
{
    rj_stream out;
    CHECK_OK(rj_stream_mem_writer(&out));
    w->out = &out;
    int r = rj_write(e, w);
    char *copy = NULL;
    if (r == 0) {
        const uint8_t *d = rj_stream_mem_data(&out, len);
        copy = malloc(*len + 1);
        memcpy(copy, d, *len);
        copy[*len] = 0;
    }
    rj_stream_free(&out);
    return copy;
}

int main(void)
{
    rjt_init();
    enum { N = 1000 };
    static rj_record recs[N];
    static const char *const tags[] = {"caf\xc3\xa9", "quote\"d", "tab\there", "\xf0\x9f\x98\x80", ""};
    for (int i = 0; i < N; i++) {
        recs[i] = (rj_record){.id = (int64_t)i * 7919 - 1000000,
                              .name = i % 3 ? "widget" : "gadget \\ extra",
                              .price_cents = i * 101,
                              .rating = i / 7.0,
                              .available = i % 2 == 0,
                              .tags = tags + i % 3,
                              .ntags = (size_t)(i % 3 + 1)};
    }
    recs[0].id = INT64_MIN;
    recs[1].id = INT64_MAX;
    recs[2].rating = 1e300;
    recs[3].rating = -0.1;
    rj_catalog cat = {"The \"catalogue\"\n", recs, N};

    char *first = NULL;
    size_t first_len = 0;
    for (const char *const *name = rj_engine_names; *name; name++) {
        const rj_engine *e = rjt_engine(*name);
        rj_writer w;
        rj_writer_init(&w, NULL, RJ_W_CATALOG);
        w.catalog = &cat;
        size_t len;
        char *json = write_mem(e, &w, &len);
        CHECK(json);
        if (!first) {
            first = json, first_len = len;
        } else {
            CHECK_EQ(len, first_len); /* every engine writes the same bytes */
            CHECK(memcmp(json, first, len) == 0);
            free(json);
        }
        /* the message */
        rj_writer_init(&w, NULL, RJ_W_MESSAGE);
        char *msg = write_mem(e, &w, &len);
        CHECK_STREQ(msg, "{\"message\":\"Hello, World!\"}");
        free(msg);
    }

    /* read it back: the same records */
    rj_doc *doc = rj_doc_new();
    rj_stream in;
    CHECK_OK(rj_stream_mem_reader(&in, first, first_len));
    rj_parser p;
    rj_parser_init(&p, &in, doc);
    CHECK_OK(rj_parse(rjt_engine("tasklet"), &p));
    rj_catalog back;
    rj_error err = {0};
    CHECK_OK(rj_catalog_from(&p.root, doc, &back, &err));
    CHECK_STREQ(back.title, cat.title);
    CHECK_EQ(back.n, N);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(back.records[i].id, recs[i].id);
        CHECK_STREQ(back.records[i].name, recs[i].name);
        CHECK_EQ(back.records[i].price_cents, recs[i].price_cents);
        CHECK(back.records[i].rating == recs[i].rating); /* doubles round-trip exactly */
        CHECK_EQ(back.records[i].available, recs[i].available);
        CHECK_EQ(back.records[i].ntags, recs[i].ntags);
        for (size_t k = 0; k < recs[i].ntags; k++)
            CHECK_STREQ(back.records[i].tags[k], recs[i].tags[k]);
    }
    /* a document of the wrong shape is an error, not a crash */
    rj_value *rec0 = &p.root.u.items[3].u.items[0];
    rec0->u.items[1].type = RJ_STRING; /* "id" now a string */
    memset(&err, 0, sizeof err);
    CHECK_EQ(rj_catalog_from(&p.root, doc, &back, &err), RJ_EARG);
    CHECK(strstr(err.msg, "not a catalogue") != NULL);
    rj_parser_free(&p);
    rj_stream_free(&in);
    rj_doc_free(doc);

    /* misuse: each a clear error on every engine */
    for (const char *const *name = rj_engine_names; *name; name++) {
        const rj_engine *e = rjt_engine(*name);
        size_t len;
        rj_record bad = recs[5];
        rj_catalog one = {"t", &bad, 1};
        rj_writer w;
        struct {
            const char *name;
            double rating;
            const char *title;
            const char *want;
        } cases[] = {
            {"ok \xc3", 1.0, "t", "not valid UTF-8"},
            {"\xed\xa0\x80", 1.0, "t", "not valid UTF-8"},
            {NULL, 1.0, "t", "NULL"},
            {"x", NAN, "t", "not finite"},
            {"x", INFINITY, "t", "not finite"},
            {"x", 1.0, "\xc0\x80", "not valid UTF-8"},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            bad.name = cases[i].name;
            bad.rating = cases[i].rating;
            one.title = cases[i].title;
            rj_writer_init(&w, NULL, RJ_W_CATALOG);
            w.catalog = &one;
            CHECK(write_mem(e, &w, &len) == NULL);
            CHECK_EQ(w.err.code, RJ_EARG);
            CHECK(strstr(w.err.msg, cases[i].want) != NULL);
        }
        rj_writer_init(&w, NULL, RJ_W_VALUE);
        CHECK(write_mem(e, &w, &len) == NULL);
        CHECK_EQ(w.err.code, RJ_EARG);
    }
    free(first);
    rta_shutdown();
    return 0;
}
