/*
 * libFuzzer target for the JSON scenario's parser and writer (issue 14), on
 * the sync build (plain C, the same source every engine compiles). On any
 * input it checks properties that a parser bug breaks, beyond "no crash, no
 * leak, no sanitizer report":
 *  - reading from memory in place and reading through a stream that hands
 *    out 1..16 bytes at a time (the buffer refilled at every boundary) give
 *    the same verdict, error code and error offset;
 *  - an error names a position inside the input (offset <= size);
 *  - validating without a document agrees with building one;
 *  - an accepted text writes back compactly, the output parses again to a
 *    document of the same shape (rj_count), and writing that document again
 *    gives the same bytes (the compact form is a fixed point);
 *  - a small depth limit either accepts or reports RJ_EDEPTH / the same
 *    syntax error, never a crash.
 */
#include <rj.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

RJ_DECLARE_ENGINE(sync)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(c)                                                                                          \
    do {                                                                                                     \
        if (!(c))                                                                                            \
            __builtin_trap();                                                                                \
    } while (0)

typedef struct outcome {
    int code;
    uint64_t offset;
    rj_counts counts;
    uint8_t *out; /* compact form when accepted with a document (malloc'd) */
    size_t outlen;
} outcome;

/* Parses data (chunk 0: from memory in place; else trickled chunk bytes at a
 * time) with depth limit depth, with a document unless validate_only. */
static void run(const uint8_t *data, size_t size, size_t chunk, unsigned depth, bool validate_only,
                outcome *o)
{
    memset(o, 0, sizeof *o);
    rj_stream in;
    FZ_CHECK((chunk ? rj_stream_trickle_reader(&in, data, size, chunk, false)
                    : rj_stream_mem_reader(&in, data, size)) == 0);
    rj_doc *doc = validate_only ? NULL : rj_doc_new();
    FZ_CHECK(validate_only || doc);
    rj_parser p;
    rj_parser_init(&p, &in, doc);
    p.max_depth = depth;
    int code = (int)rj_sync_parse_run(&p);
    FZ_CHECK(code == p.err.code);
    o->code = code;
    o->offset = p.err.offset;
    if (code != 0)
        FZ_CHECK(p.err.offset <= size && p.err.msg[0] && p.err.line >= 1 && p.err.col >= 1);
    if (code == 0 && doc) {
        rj_count(&p.root, &o->counts);
        rj_stream out;
        FZ_CHECK(rj_stream_mem_writer(&out) == 0);
        rj_writer w;
        rj_writer_init(&w, &out, RJ_W_VALUE);
        w.value = &p.root;
        FZ_CHECK(rj_sync_write_run(&w) == 0);
        size_t n;
        const uint8_t *d = rj_stream_mem_data(&out, &n);
        o->out = malloc(n ? n : 1);
        FZ_CHECK(o->out);
        memcpy(o->out, d, n);
        o->outlen = n;
        rj_stream_free(&out);
    }
    rj_parser_free(&p);
    rj_doc_free(doc);
    rj_stream_free(&in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    outcome ref, o;
    run(data, size, 0, RJ_DEFAULT_MAX_DEPTH, false, &ref);

    /* Another cut of the same bytes: the chunk size comes from the input so
     * the fuzzer explores boundaries inside tokens and escapes. */
    size_t chunk = 1 + (size ? data[size / 2] % 16 : 0);
    run(data, size, chunk, RJ_DEFAULT_MAX_DEPTH, false, &o);
    FZ_CHECK(o.code == ref.code && o.offset == ref.offset);
    FZ_CHECK(o.outlen == ref.outlen && (ref.outlen == 0 || memcmp(o.out, ref.out, ref.outlen) == 0));
    free(o.out);

    run(data, size, 0, RJ_DEFAULT_MAX_DEPTH, true, &o);
    FZ_CHECK(o.code == ref.code && o.offset == ref.offset);

    /* A low limit: accepted texts that nest deeper fail with RJ_EDEPTH; a
     * text that fails anyway may fail earlier on depth, never differently. */
    run(data, size, 0, 4, true, &o);
    FZ_CHECK(o.code == ref.code || o.code == RJ_EDEPTH);

    if (ref.code == 0) {
        outcome again;
        run(ref.out, ref.outlen, 0, RJ_DEFAULT_MAX_DEPTH, false, &again);
        FZ_CHECK(again.code == 0);
        FZ_CHECK(memcmp(&again.counts, &ref.counts, sizeof ref.counts) == 0);
        FZ_CHECK(again.outlen == ref.outlen && memcmp(again.out, ref.out, ref.outlen) == 0);
        free(again.out);
    }
    free(ref.out);
    return 0;
}
