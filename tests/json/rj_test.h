/*
 * Helpers of the JSON scenario's tests: reading corpus files, and running one
 * document through parse + write on an engine over a chosen stream, so that
 * every engine and every way of cutting the input can be compared with the
 * sync build reading from memory (the reference).
 */
#ifndef RJ_TEST_H
#define RJ_TEST_H

#include <rj.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testutil.h"

static inline char *rjt_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *d = malloc(cap);
    CHECK(d);
    size_t k;
    while ((k = fread(d + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n == cap - 1) {
            cap *= 2;
            d = realloc(d, cap);
            CHECK(d);
        }
    }
    fclose(f);
    d[n] = 0; /* for sscanf and the like; len excludes it */
    *len = n;
    return d;
}

typedef enum rjt_input { RJT_MEM, RJT_TRICKLE, RJT_TRICKLE_WAIT } rjt_input;

typedef struct rjt_result {
    rj_error err; /* the parser's error (code 0: accepted) */
    char *out;    /* the compact round trip (malloc'd), when accepted */
    size_t outlen;
    uint64_t suspensions;
} rjt_result;

/* Parses data (with a document unless validate_only) and writes it back to
 * memory, both on engine e. chunk: bytes per read for the trickle inputs. */
static inline void rjt_run(const rj_engine *e, rjt_input how, size_t chunk, bool validate_only,
                           const void *data, size_t len, rjt_result *r)
{
    memset(r, 0, sizeof *r);
    rj_stream in;
    if (how == RJT_MEM)
        CHECK_OK(rj_stream_mem_reader(&in, data, len));
    else
        CHECK_OK(rj_stream_trickle_reader(&in, data, len, chunk, how == RJT_TRICKLE_WAIT));
    rj_doc *doc = validate_only ? NULL : rj_doc_new();
    rj_parser p;
    rj_parser_init(&p, &in, doc);
    int code = rj_parse(e, &p);
    CHECK_EQ(code, p.err.code);
    r->err = p.err;
    r->suspensions = in.suspensions;
    if (code == 0 && doc) {
        rj_stream out;
        CHECK_OK(rj_stream_mem_writer(&out));
        rj_writer w;
        rj_writer_init(&w, &out, RJ_W_VALUE);
        w.value = &p.root;
        CHECK_OK(rj_write(e, &w));
        size_t n;
        const uint8_t *d = rj_stream_mem_data(&out, &n);
        CHECK_EQ(n, rj_stream_pos(&out));
        r->out = malloc(n + 1);
        CHECK(r->out);
        memcpy(r->out, d, n);
        r->out[n] = 0;
        r->outlen = n;
        rj_stream_free(&out);
    }
    rj_parser_free(&p);
    rj_doc_free(doc);
    rj_stream_free(&in);
}

static inline const rj_engine *rjt_engine(const char *name)
{
    bool built;
    const rj_engine *e = rj_engine_find(name, &built);
    CHECK(e && built);
    return e;
}

/* The engines CMake built (RJ_TEST_ENGINES, "sync tasklet cont ...") are
 * exactly rj_engine_names: a test that loops over the names then cannot pass
 * by leaving out an engine the build was meant to have. */
static inline void rjt_check_engines(void)
{
    char want[128] = "", *w = want;
    for (const char *const *name = rj_engine_names; *name; name++)
        w += snprintf(w, sizeof want - (size_t)(w - want), "%s%s", w == want ? "" : " ", *name);
    if (strcmp(want, RJ_TEST_ENGINES) != 0) {
        fprintf(stderr, "engines built: '%s', expected '%s'\n", want, RJ_TEST_ENGINES);
        abort();
    }
}

/* Starts the runtime for the async engines: two workers (a pipe's ends may
 * run on different ones) and room for documents nested 512 deep; checks
 * that every engine the build was meant to have is there. */
static inline void rjt_init(void)
{
    rta_config cfg = {.workers = 2, .stack_size = 1u << 20, .regions_per_worker = 4};
    CHECK_OK(rta_init(&cfg));
    rjt_check_engines();
}

#endif
