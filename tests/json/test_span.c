/* The span sink (rj_stream_span_writer): the writer writes into the caller's
 * memory, nothing allocated, on every engine. A document of len bytes fits
 * a span of len + RJ_TOKEN_ROOM bytes or more, and comes out there exactly;
 * one byte less fails with RJ_EIO. Either way not a byte is written outside
 * the span (guard bytes on both sides), and a rewound span writes the same
 * bytes again (rtahttpd's /json reuses one span per connection). */
#include "rj_test.h"

#define GUARD 64
#define GUARD_BYTE 0xa5

/* Writes v through a span of cap bytes on engine e: the job's code, with
 * out holding the span and its guards. With repeat, the job rewinds the span
 * between repetitions (rj_stream_rewind). */
static int write_span(const rj_engine *e, const rj_value *v, uint8_t *out, size_t cap, unsigned repeat,
                      rj_stream *s)
{
    memset(out, GUARD_BYTE, cap + 2 * GUARD);
    CHECK_OK(rj_stream_span_writer(s, out + GUARD, cap));
    rj_writer w;
    rj_writer_init(&w, s, RJ_W_VALUE);
    w.value = v;
    w.repeat = repeat;
    int code = rj_write(e, &w);
    CHECK_EQ(code, w.err.code);
    for (size_t i = 0; i < GUARD; i++) {
        CHECK_EQ(out[i], GUARD_BYTE);
        CHECK_EQ(out[GUARD + cap + i], GUARD_BYTE);
    }
    return code;
}

static void check_doc(const char *text)
{
    size_t len = strlen(text);
    rj_doc *doc = rj_doc_new();
    rj_stream in;
    CHECK_OK(rj_stream_mem_reader(&in, text, len));
    rj_parser p;
    rj_parser_init(&p, &in, doc);
    CHECK_OK(rj_parse(rjt_engine("sync"), &p));
    uint8_t *out = malloc(len + RJ_TOKEN_ROOM + 8 + 2 * GUARD);
    CHECK(out);
    for (const char *const *name = rj_engine_names; *name; name++) {
        const rj_engine *e = rjt_engine(*name);
        rj_stream s;
        for (size_t extra = 0; extra < 8; extra++) {
            size_t cap = len + RJ_TOKEN_ROOM + extra;
            CHECK_EQ(write_span(e, &p.root, out, cap, extra % 2 ? 3 : 0, &s), 0);
            CHECK_EQ(rj_stream_pos(&s), len);
            if (memcmp(out + GUARD, text, len) != 0) {
                fprintf(stderr, "%s, span of %zu: wrote '%.*s', want '%s'\n", *name, cap, (int)len,
                        (const char *)out + GUARD, text);
                exit(1);
            }
            /* rewound, by hand this time: the same bytes again */
            memset(out + GUARD, 0, cap);
            CHECK_OK(rj_stream_rewind(&s));
            CHECK_EQ(rj_stream_pos(&s), 0);
            rj_writer w;
            rj_writer_init(&w, &s, RJ_W_VALUE);
            w.value = &p.root;
            CHECK_OK(rj_write(e, &w));
            CHECK_EQ(rj_stream_pos(&s), len);
            CHECK(memcmp(out + GUARD, text, len) == 0);
        }
        CHECK_EQ(write_span(e, &p.root, out, len + RJ_TOKEN_ROOM - 1, 0, &s), RJ_EIO);
        if (len > 8) /* a short span; a long document in a span of a third of it */
            CHECK_EQ(write_span(e, &p.root, out, RJ_TOKEN_ROOM + len / 3, 0, &s), RJ_EIO);
    }
    free(out);
    rj_parser_free(&p);
    rj_doc_free(doc);
}

int main(void)
{
    rjt_init();
    /* the TechEmpower message (written in place), scalars, containers, a
     * string too long for the in-place path (the slow path's room checks),
     * escapes */
    check_doc("{\"message\":\"Hello, World!\"}");
    check_doc("1");
    check_doc("\"\"");
    check_doc("[null,true,false,-12.5e3,[],{},{\"a\":[1,2,{\"b\":\"c\\\"d\\\\e\\n\\u0001\"}]}]");
    static char longstr[3000];
    size_t n = 0;
    longstr[n++] = '[';
    longstr[n++] = '"';
    for (int i = 0; i < 2000; i++)
        longstr[n++] = (char)('a' + i % 26);
    n += (size_t)sprintf(longstr + n, "\",\"%s\",12345678901234567890]", "caf\xc3\xa9");
    check_doc(longstr);

    rj_stream s;
    uint8_t small[RJ_TOKEN_ROOM];
    CHECK_EQ(rj_stream_span_writer(&s, small, sizeof small - 1), RJ_EARG);
    printf("span writes matched on every engine\n");
    rta_shutdown();
    return 0;
}
