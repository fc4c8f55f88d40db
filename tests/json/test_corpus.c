/* The corpus (tests/json/corpus, see gen_corpus.py): every y_ file is accepted
 * and round-trips to its .expect twin (where there is one) and to a fixed
 * point; every n_ file is rejected at the line:col listed in positions.txt.
 * The verdict, the error (code, offset, position, message) and the output are
 * the same on every engine, validating only or building a document, and
 * however the input is cut: from memory, in chunks of 1, 3 and 7 bytes, and
 * (async engines) with a real suspension between any two chunks. */
#include <dirent.h>

#include "rj_test.h"

static char *path_of(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", RJ_CORPUS_DIR, name);
    return buf;
}

static void same(const rjt_result *ref, const rjt_result *r, const char *file, const char *how)
{
    if (ref->err.code != r->err.code || ref->err.offset != r->err.offset || ref->err.line != r->err.line ||
        ref->err.col != r->err.col || strcmp(ref->err.msg, r->err.msg) != 0) {
        fprintf(stderr, "%s (%s): error differs: %d %u:%u %s / ref %d %u:%u %s\n", file, how, r->err.code,
                r->err.line, r->err.col, r->err.msg, ref->err.code, ref->err.line, ref->err.col,
                ref->err.msg);
        abort();
    }
    if (r->out && (ref->outlen != r->outlen || memcmp(ref->out, r->out, r->outlen) != 0)) {
        fprintf(stderr, "%s (%s): output differs\n", file, how);
        abort();
    }
}

static const char *expected_pos(const char *positions, const char *name)
{
    static char pos[32];
    const char *at = strstr(positions, name);
    CHECK(at);
    CHECK_EQ(sscanf(at + strlen(name), " %31s", pos), 1);
    return pos;
}

int main(void)
{
    rjt_init();
    size_t plen;
    char *positions = rjt_slurp(path_of("positions.txt"), &plen);
    CHECK(positions);
    DIR *dir = opendir(RJ_CORPUS_DIR);
    CHECK(dir);
    const size_t chunks[] = {1, 3, 7};
    struct dirent *de;
    int nvalid = 0, ninvalid = 0;
    uint64_t suspensions = 0;
    while ((de = readdir(dir))) {
        const char *name = de->d_name;
        size_t nl = strlen(name);
        if (nl < 6 || strcmp(name + nl - 5, ".json") != 0)
            continue;
        bool valid = name[0] == 'y';
        CHECK(valid || name[0] == 'n');
        char file[1024];
        snprintf(file, sizeof file, "%s", name);
        size_t len;
        char *data = rjt_slurp(path_of(file), &len);
        CHECK(data);

        rjt_result ref, r;
        rjt_run(rjt_engine("sync"), RJT_MEM, 0, false, data, len, &ref);
        if (valid) {
            if (ref.err.code) {
                fprintf(stderr, "%s: rejected: %u:%u %s\n", file, ref.err.line, ref.err.col, ref.err.msg);
                abort();
            }
            char expect_name[1024];
            snprintf(expect_name, sizeof expect_name, "%.*s.expect", (int)(nl - 5), name);
            size_t elen;
            char *expect = rjt_slurp(path_of(expect_name), &elen);
            if (expect) {
                if (elen != ref.outlen || memcmp(expect, ref.out, elen) != 0) {
                    fprintf(stderr, "%s: round trip gave %s\n", file, ref.out);
                    abort();
                }
                free(expect);
            }
            /* the output is itself valid and a fixed point */
            rjt_run(rjt_engine("sync"), RJT_MEM, 0, false, ref.out, ref.outlen, &r);
            CHECK_EQ(r.err.code, 0);
            CHECK_EQ(r.outlen, ref.outlen);
            CHECK(memcmp(r.out, ref.out, r.outlen) == 0);
            free(r.out);
            nvalid++;
        } else {
            CHECK(ref.err.code == RJ_ESYNTAX || ref.err.code == RJ_EDEPTH);
            char pos[32];
            snprintf(pos, sizeof pos, "%u:%u", ref.err.line, ref.err.col);
            if (strcmp(pos, expected_pos(positions, name)) != 0) {
                fprintf(stderr, "%s: error at %s, expected %s (%s)\n", file, pos,
                        expected_pos(positions, name), ref.err.msg);
                abort();
            }
            ninvalid++;
        }
        /* big inputs are cut finely only where it stays quick (valgrind) */
        size_t nchunks = len > 20000 ? 1 : sizeof chunks / sizeof chunks[0];
        size_t big = len > 20000 ? (size_t)test_scaled(4096, 61) : 0;
        for (const char *const *name = rj_engine_names; *name; name++) {
            const rj_engine *e = rjt_engine(*name);
            rjt_run(e, RJT_MEM, 0, false, data, len, &r);
            same(&ref, &r, file, "memory");
            free(r.out);
            rjt_run(e, RJT_MEM, 0, true, data, len, &r);
            same(&ref, &r, file, "validate only");
            for (size_t ci = 0; ci < nchunks; ci++) {
                size_t chunk = big ? big : chunks[ci];
                rjt_run(e, RJT_TRICKLE, chunk, false, data, len, &r);
                same(&ref, &r, file, "trickle");
                free(r.out);
                if (e->parse_run)
                    continue; /* the sync build cannot wait */
                rjt_run(e, RJT_TRICKLE_WAIT, chunk, ci == 0, data, len, &r);
                same(&ref, &r, file, "trickle with suspensions");
                CHECK(len == 0 || r.suspensions > 0);
                suspensions += r.suspensions;
                free(r.out);
            }
        }
        free(ref.out);
        free(data);
    }
    closedir(dir);
    free(positions);
    CHECK(nvalid >= 30);
    CHECK(ninvalid >= 60);
    printf("corpus: %d valid, %d invalid, %llu suspensions\n", nvalid, ninvalid,
           (unsigned long long)suspensions);
    rta_shutdown();
    return 0;
}
