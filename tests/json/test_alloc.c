/* Allocations: the parser builds a document in an arena, so the count grows
 * with the size in bytes (blocks of 64 KiB to 1 MiB) and not with the number
 * of values; validating from memory allocates nothing; writing to memory
 * allocates only the sink's growth. cJSON, for comparison, allocates once or
 * twice per value (bench/json prints both).
 *
 * The async1 build (default task builder) allocates a task for every async
 * call that completes with a result outside the cached -1..8 (skip_ws and
 * get_byte return the byte they found), so from memory its count follows the
 * parser's async calls: with one skip_ws call per token it was 30,805 for
 * twitter.json (2.2 per value). The fast paths (parse.c) leave async calls
 * to containers, strings with escapes and the buffer's edges: a few per
 * hundred values. A bound, not a timing: a regression to an await per token
 * fails it. */
#include "alloc_hook.h"
#include "rj_test.h"

#define BENCH_DATA RJ_BENCH_DATA

int main(void)
{
    CHECK(alloc_counting() || RUNNING_ON_VALGRIND);
    bool have_async1;
    const rj_engine *async1 = rj_engine_find("async1", &have_async1);
    if (have_async1) {
        rta_config cfg = {.workers = 1, .stack_size = 1u << 20, .regions_per_worker = 4};
        CHECK_OK(rta_init(&cfg));
    }
    const char *files[] = {BENCH_DATA "twitter.json", BENCH_DATA "citm_catalog.json"};
    const rj_engine *sync = rjt_engine("sync");
    for (int f = 0; f < 2; f++) {
        size_t len;
        char *data = rjt_slurp(files[f], &len);
        CHECK(data);

        /* validating from memory: nothing at all */
        rj_stream in;
        rj_parser p;
        uint64_t before = allocs();
        CHECK_OK(rj_stream_mem_reader(&in, data, len));
        rj_parser_init(&p, &in, NULL);
        CHECK_OK(rj_parse(sync, &p));
        rj_parser_free(&p);
        CHECK_ALLOCS(allocs() - before, 0);

        /* a document: the arena's blocks and the value stack's doublings */
        before = allocs();
        rj_doc *doc = rj_doc_new();
        CHECK_OK(rj_stream_mem_reader(&in, data, len));
        rj_parser_init(&p, &in, doc);
        CHECK_OK(rj_parse(sync, &p));
        uint64_t parse_allocs = allocs() - before;
        rj_counts c = {0};
        rj_count(&p.root, &c);
        uint64_t values = c.nulls + c.bools + c.numbers + c.strings + c.arrays + c.objects;
        CHECK(values > 10000);
        if (alloc_counting())
            CHECK(parse_allocs <= rj_doc_blocks(doc) + 12); /* + doc, vs and sb growth */
        CHECK(rj_doc_blocks(doc) <= 2 + len / (512 * 1024) * 2);

        /* async1: no async call per token or value (see above) */
        if (have_async1) {
            rj_doc *doc1 = rj_doc_new();
            rj_parser p1;
            CHECK_OK(rj_stream_mem_reader(&in, data, len));
            rj_parser_init(&p1, &in, doc1);
            before = allocs();
            CHECK_OK(rj_parse(async1, &p1));
            uint64_t a1 = allocs() - before;
            printf("%s: async1 parse %llu allocations\n", files[f], (unsigned long long)a1);
            if (alloc_counting())
                CHECK(a1 <= parse_allocs + values / 8);
            rj_parser_free(&p1);
            rj_doc_free(doc1);
        }

        /* writing it to memory: the stream's buffer, the sink and its doublings */
        before = allocs();
        rj_stream out;
        CHECK_OK(rj_stream_mem_writer(&out));
        rj_writer w;
        rj_writer_init(&w, &out, RJ_W_VALUE);
        w.value = &p.root;
        CHECK_OK(rj_write(sync, &w));
        uint64_t write_allocs = allocs() - before;
        if (alloc_counting())
            CHECK(write_allocs <= 3 + 8);
        printf("%s: %llu values, parse %llu allocations (%llu arena blocks), write %llu\n", files[f],
               (unsigned long long)values, (unsigned long long)parse_allocs,
               (unsigned long long)rj_doc_blocks(doc), (unsigned long long)write_allocs);
        rj_stream_free(&out);
        rj_parser_free(&p);
        rj_doc_free(doc);
        free(data);
    }
    if (have_async1)
        rta_shutdown();
    return 0;
}
