/* The writer at its buffer's edge: every piece (a literal, a number, a short
 * or long string, a key, a comma or bracket, a typed record's parts) written
 * where it fits in the room left (plain C, no await) and where it does not
 * (the async slow path, which flushes), on every engine. A padding string
 * of every length over a range moves the 16 KiB flush boundary across each
 * byte of a sample; the output must be the input exactly (it is compact and
 * uses the writer's escapes), and the typed path's output must be the text
 * built here by hand. */
#include "rj_test.h"

/* Compact, in the writer's own forms: \" \\ \n \u0001 escaped, other text as
 * UTF-8. It opens with a run of tokens that are not strings (a string asks
 * for 6 bytes of room per byte to be written in place, so the writer
 * flushes before a string long before the buffer is full: only such a run
 * meets the boundary exactly), then an object, with a key and a string too
 * long for the in-place path (over 2,730 bytes never fit 16 KiB) and a long
 * number, and members that end exactly at the boundary at some step. */
static const char sample_head[] =
    "[[null,true,false,-12.5e3,[],{},[[0,-0,1E+2],{}],[[[]]],{\"z\":[1,2,3],\"y\":{}}],"
    "{\"k\":null,\"t\":true,\"f\":false,\"n\":-12.5e3,\"s\":\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\","
    "\"arr\":[1,[],{},\"x\",{\"key \\\"q\\\"\":[0,-0,1E+2]}],\"\":\"\",\"num\":"
    "123456789012345678901234567890123456789012345678901234567890,";

static char *make_sample(size_t *len)
{
    size_t cap = sizeof sample_head + 8000;
    char *s = malloc(cap), *d = s;
    CHECK(s);
    d += sprintf(d, "%s\"", sample_head);
    for (int i = 0; i < 3000; i++) { /* a long key, one escape in 100 */
        if (i % 100 == 99) {
            *d++ = '\\';
            *d++ = 'n';
        } else {
            *d++ = 'K';
        }
    }
    d += sprintf(d, "\":\"");
    for (int i = 0; i < 3000; i++)
        *d++ = (char)('a' + i % 26);
    d += sprintf(d, "\",\"e\":[1,2,3]}]");
    *len = (size_t)(d - s);
    CHECK(*len < cap);
    return s;
}

static char *write_value_mem(const rj_engine *e, const rj_value *v, size_t *len)
{
    rj_stream out;
    CHECK_OK(rj_stream_mem_writer(&out));
    rj_writer w;
    rj_writer_init(&w, &out, RJ_W_VALUE);
    w.value = v;
    CHECK_OK(rj_write(e, &w));
    const uint8_t *d = rj_stream_mem_data(&out, len);
    char *copy = malloc(*len + 1);
    CHECK(copy);
    memcpy(copy, d, *len);
    rj_stream_free(&out);
    return copy;
}

static char *write_catalog_mem(const rj_engine *e, const rj_catalog *cat, size_t *len)
{
    rj_stream out;
    CHECK_OK(rj_stream_mem_writer(&out));
    rj_writer w;
    rj_writer_init(&w, &out, RJ_W_CATALOG);
    w.catalog = cat;
    CHECK_OK(rj_write(e, &w));
    const uint8_t *d = rj_stream_mem_data(&out, len);
    char *copy = malloc(*len + 1);
    CHECK(copy);
    memcpy(copy, d, *len);
    rj_stream_free(&out);
    return copy;
}

int main(void)
{
    rjt_init();
    size_t slen;
    char *sample = make_sample(&slen);
    /* ["pad",1000...,sample,sample]: a pad of 16,000 bytes ends with 382
     * bytes of the first buffer left (more than the 40 the closing quote
     * asks for), then a number of m digits puts the first sample's start
     * 379 - m bytes before the boundary: for every such j over its short
     * part, each piece there meets the boundary both by fitting exactly and
     * by not fitting (the long key and string cross boundaries anyway, and
     * leave the second sample elsewhere). Slow tools take every 7th step. */
    size_t span = sizeof sample_head + 8;
    size_t step = span / (size_t)test_scaled((long)span, (long)span / 7);
    size_t cap = 3 * 16384 + 2 * slen, tests = 0;
    char *text = malloc(cap);
    CHECK(text);
    for (size_t j = 0; j < span; j += step) {
        size_t pad = 16000, m = 379 - j, n = 0;
        text[n++] = '[', text[n++] = '"';
        memset(text + n, 'p', pad);
        n += pad;
        text[n++] = '"', text[n++] = ',', text[n++] = '1';
        memset(text + n, '0', m - 1);
        n += m - 1;
        n += (size_t)sprintf(text + n, ",%s,%s]", sample, sample);
        CHECK(n < cap);
        rj_doc *doc = rj_doc_new();
        rj_stream in;
        CHECK_OK(rj_stream_mem_reader(&in, text, n));
        rj_parser p;
        rj_parser_init(&p, &in, doc);
        CHECK_OK(rj_parse(rjt_engine("sync"), &p));
        for (const char *const *name = rj_engine_names; *name; name++) {
            size_t len;
            char *out = write_value_mem(rjt_engine(*name), &p.root, &len);
            if (len != n || memcmp(out, text, n) != 0) {
                size_t i = 0;
                while (i < len && i < n && out[i] == text[i])
                    i++;
                fprintf(stderr,
                        "%s, boundary %zu bytes into the sample: output differs at byte %zu (of %zu, "
                        "expected %zu)\n",
                        *name, j, i, len, n);
                return 1;
            }
            free(out);
            tests++;
        }
        rj_parser_free(&p);
        rj_doc_free(doc);
    }

    /* The typed path: a title of every length over a range that moves the
     * boundary over six records (the period of their shapes), so each of
     * their parts meets it. */
    static const char *const tags[] = {"t\"1", "caf\xc3\xa9"};
    enum { NREC = 40 };
    rj_record recs[NREC];
    for (int i = 0; i < NREC; i++)
        recs[i] = (rj_record){.id = -1234567890123LL * i,
                              .name = i % 2 ? "name\\x" : "n",
                              .price_cents = 999 * i,
                              .rating = i % 2 ? 0.25 * i : i / 7.0,
                              .available = i % 3 == 0,
                              .tags = tags,
                              .ntags = (size_t)(i % 3)};
    char *title = malloc(16384);
    CHECK(title);
    char *want = malloc(32768);
    CHECK(want);
    for (size_t k = 0; k < 700; k += step) {
        size_t tl = 16384 - 1000 + k;
        memset(title, 'T', tl);
        title[tl] = 0;
        rj_catalog cat = {title, recs, NREC};
        char *d = want;
        d += sprintf(d, "{\"title\":\"%s\",\"records\":[", title);
        for (int i = 0; i < NREC; i++) {
            char rating[32]; /* the shortest of %.15g / %.17g that reads back */
            snprintf(rating, sizeof rating, "%.15g", recs[i].rating);
            if (strtod(rating, NULL) != recs[i].rating)
                snprintf(rating, sizeof rating, "%.17g", recs[i].rating);
            d += sprintf(d,
                         "%s{\"id\":%lld,\"name\":\"%s\",\"price_cents\":%lld,\"rating\":%s,"
                         "\"available\":%s,\"tags\":[",
                         i ? "," : "", (long long)recs[i].id, i % 2 ? "name\\\\x" : "n",
                         (long long)recs[i].price_cents, rating, recs[i].available ? "true" : "false");
            for (size_t t = 0; t < recs[i].ntags; t++)
                d += sprintf(d, "%s%s", t ? "," : "", t ? "\"caf\xc3\xa9\"" : "\"t\\\"1\"");
            d += sprintf(d, "]}");
        }
        d += sprintf(d, "]}");
        size_t n = (size_t)(d - want);
        for (const char *const *name = rj_engine_names; *name; name++) {
            size_t len;
            char *out = write_catalog_mem(rjt_engine(*name), &cat, &len);
            if (len != n || memcmp(out, want, n) != 0) {
                size_t i = 0;
                while (i < len && i < n && out[i] == want[i])
                    i++;
                fprintf(stderr, "%s typed, title %zu: output differs at byte %zu (of %zu, expected %zu)\n",
                        *name, tl, i, len, n);
                return 1;
            }
            free(out);
            tests++;
        }
    }
    printf("%zu writes matched their expected bytes\n", tests);
    free(want);
    free(title);
    free(text);
    free(sample);
    rta_shutdown();
    return 0;
}
