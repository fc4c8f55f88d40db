/*
 * rtajson: the JSON scenario's command-line tool.
 *
 *   rtajson check     [--engine E] [--max-depth N] FILE|-
 *   rtajson roundtrip [--engine E] [--max-depth N] FILE|-
 *
 * check parses FILE (- = standard input) through the stream of engine E and
 * exits 0 if it is exactly one valid JSON text (RFC 8259), 1 if not (one line
 * on stderr: FILE:LINE:COL: error: reason), 2 on an I/O or usage error.
 * roundtrip also writes the document back compactly to standard output (no
 * whitespace outside strings, no trailing newline), through the same engine.
 * E is tasklet (default), sync, cont or async1 (the last two when built
 * through rtac).
 */
#include <rj.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(const char *why)
{
    if (why)
        fprintf(stderr, "rtajson: %s\n", why);
    fprintf(stderr, "usage: rtajson check|roundtrip [--engine sync|tasklet|cont|async1|async1-pool] "
                    "[--max-depth N] FILE|-\n");
    return 2;
}

static int report(const char *file, const rj_error *e)
{
    if (e->line)
        fprintf(stderr, "rtajson: %s:%u:%u: error: %s\n", file, e->line, e->col, e->msg);
    else
        fprintf(stderr, "rtajson: %s: error: %s\n", file, e->msg);
    return e->code == RJ_ESYNTAX || e->code == RJ_EDEPTH ? 1 : 2;
}

/* The runtime's notices (e.g. io_uring unavailable in a container, epoll
 * used) are not rtajson's business: its stderr is one line, the error, when
 * there is one (issue 14's contract). */
static void quiet_notice(const char *msg, void *data)
{
    (void)msg, (void)data;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(NULL);
    const char *cmd = argv[1], *engine = "tasklet", *file = NULL;
    bool roundtrip;
    if (strcmp(cmd, "check") == 0)
        roundtrip = false;
    else if (strcmp(cmd, "roundtrip") == 0)
        roundtrip = true;
    else if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(NULL);
        return 0;
    } else
        return usage("unknown command (expected check or roundtrip)");
    unsigned long max_depth = RJ_DEFAULT_MAX_DEPTH;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--engine") == 0 || strcmp(argv[i], "--max-depth") == 0) {
            if (i + 1 >= argc)
                return usage("an option lacks its value");
            if (argv[i][2] == 'e') {
                engine = argv[++i];
            } else {
                char *end;
                errno = 0;
                max_depth = strtoul(argv[++i], &end, 10);
                if (errno || *end || max_depth == 0 || max_depth > 100000)
                    return usage("--max-depth takes a number from 1 to 100000");
            }
        } else if (strncmp(argv[i], "--engine=", 9) == 0) {
            engine = argv[i] + 9;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "rtajson: unknown option %s\n", argv[i]);
            return usage(NULL);
        } else if (file) {
            return usage("one input file only");
        } else {
            file = argv[i];
        }
    }
    if (!file)
        return usage("no input file (use - for standard input)");
    bool built;
    const rj_engine *e = rj_engine_find(engine, &built);
    if (!e) {
        fprintf(stderr, "rtajson: unknown engine '%s' (sync, tasklet, cont, async1, async1-pool)\n", engine);
        return 2;
    }
    if (!built) {
        fprintf(stderr, "rtajson: engine %s is not built: it needs rtac (this build has:", engine);
        for (const char *const *n = rj_engine_names; *n; n++)
            fprintf(stderr, " %s", *n);
        fprintf(stderr, ")\n");
        return 2;
    }

    int fd = strcmp(file, "-") == 0 ? 0 : open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "rtajson: cannot open %s: %s\n", file, strerror(errno));
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is a write error (exit 2), not a kill */
    bool async = e->parse_run == NULL;
    if (async) {
        /* one job at a time; deep documents recurse, so give the task room */
        rta_config cfg = {
            .workers = 1, .stack_size = 2u << 20, .regions_per_worker = 2, .notice = quiet_notice};
        int r = rta_init(&cfg);
        if (r < 0) {
            fprintf(stderr, "rtajson: cannot start the runtime: %s\n", rta_strerror(r));
            return 2;
        }
    }

    int status = 0;
    rj_stream in, out;
    rj_doc *doc = roundtrip ? rj_doc_new() : NULL;
    rj_parser p;
    if (rj_stream_fd_reader(&in, fd) < 0 || (roundtrip && !doc)) {
        fprintf(stderr, "rtajson: out of memory\n");
        status = 2;
        goto done_nostream;
    }
    rj_parser_init(&p, &in, doc);
    p.max_depth = (unsigned)max_depth;
    if (rj_parse(e, &p) != 0) {
        status = report(strcmp(file, "-") == 0 ? "<stdin>" : file, &p.err);
    } else if (roundtrip) {
        rj_writer w;
        if (rj_stream_fd_writer(&out, 1) < 0) {
            fprintf(stderr, "rtajson: out of memory\n");
            status = 2;
        } else {
            rj_writer_init(&w, &out, RJ_W_VALUE);
            w.value = &p.root;
            if (rj_write(e, &w) != 0)
                status = report("<stdout>", &w.err);
            rj_stream_free(&out);
        }
    }
    rj_parser_free(&p);
    rj_stream_free(&in);
done_nostream:
    rj_doc_free(doc);
    if (fd > 0)
        close(fd);
    if (async)
        rta_shutdown();
    return status;
}
