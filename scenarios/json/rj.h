/*
 * rj: the JSON scenario (issue 14) — a streaming JSON parser and writer written
 * once as async2 C and built for every engine, over a small buffered stream.
 *
 * What is here (see README.md for the long form):
 *  - rj_stream: a buffered byte stream over a backend (memory, a file
 *    descriptor, an in-process pipe between two tasks, a "trickle" source that
 *    hands out a few bytes at a time and makes the reader wait between them).
 *    A backend that has nothing to give (or no room to take) answers -EAGAIN
 *    and names an awaiter; the engine code awaits it. That await is the only
 *    place where parsing or writing suspends, and it can happen at any byte.
 *  - rj_doc / rj_value: the document model the parser builds (an arena; no
 *    per-value allocation) and the writer reads.
 *  - rj_parser / rj_writer: one job each, run on an engine (rj_engine): "sync"
 *    (plain C, the floor), "tasklet", and "cont"/"async1" when built through
 *    rtac. rj_parse / rj_write run a job to completion from non-async code.
 *
 * Errors never abort: every failure is a code and a message with a position.
 * Threads: a stream, parser or writer is used by one task at a time; the two
 * ends of a pipe may be used from different workers.
 */
#ifndef RJ_H
#define RJ_H

#include <rta.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---------------------------------------------------------------- */

enum {
    RJ_OK = 0,
    RJ_ESYNTAX = -1, /* not a valid JSON text (RFC 8259) */
    RJ_EDEPTH = -2,  /* nesting deeper than the parser's limit */
    RJ_EIO = -3,     /* the stream's backend failed */
    RJ_ENOMEM = -4,  /* out of memory (or a value over 4 GiB) */
    RJ_EENGINE = -5, /* the engine could not run the job (task failed, not built) */
    RJ_EARG = -6,    /* bad input to the writer (e.g. a string that is not UTF-8) */
};

typedef struct rj_error {
    int code;        /* RJ_E*, 0 when none */
    uint64_t offset; /* byte offset of the problem in the input (parser) */
    uint32_t line;   /* 1-based */
    uint32_t col;    /* 1-based, in bytes */
    char msg[192];
} rj_error;

/* "line:col: message" or, without a position, "message", into buf. */
const char *rj_error_str(const rj_error *e, char *buf, size_t n);

/* ---- streams ---------------------------------------------------------------- */

typedef struct rj_stream rj_stream;

/* A backend. read/write never block on something that a task in this process
 * must do first: they answer -EAGAIN instead, after which wait() stores in
 * s->wait_ops / s->wait_obj the awaiter that completes when they may progress. */
typedef struct rj_stream_ops {
    ssize_t (*read)(void *self, void *buf, size_t n);        /* > 0, 0 = end, -EAGAIN, -errno */
    ssize_t (*write)(void *self, const void *buf, size_t n); /* > 0 taken (may be < n), -EAGAIN, -errno */
    void (*wait)(void *self, bool for_write, rj_stream *s);
    void (*close)(void *self);   /* may be NULL; the writer's end of input */
    void (*destroy)(void *self); /* may be NULL */
    const char *name;
} rj_stream_ops;

struct rj_stream {
    /* Read side: unread bytes are [cur, end). Write side: pending bytes are
     * [buf, cur), room is [cur, end). base: bytes consumed/flushed before buf. */
    uint8_t *buf, *cur, *end;
    size_t cap;
    uint64_t base;
    const rj_stream_ops *ops;
    void *self;
    const rta_awaiter_ops *wait_ops; /* set by ops->wait */
    void *wait_obj;
    int err; /* -errno of the first backend failure, 0 if none */
    bool eof;
    bool writing;
    bool owns_buf;
    /* statistics */
    uint64_t fills;       /* backend reads / writes */
    uint64_t suspensions; /* awaits of an awaiter that was not complete */
};

#define RJ_STREAM_BUF (16 * 1024)

/* Readers. Memory input is read in place (no copy); data must outlive s. */
int rj_stream_mem_reader(rj_stream *s, const void *data, size_t len);
/* Reads fd (blocking read(2)); the stream does not close fd. */
int rj_stream_fd_reader(rj_stream *s, int fd);
/* Hands out data `chunk` bytes per read; with wait_each, every other read
 * answers -EAGAIN first, with an awaiter that completes only after the task
 * has suspended (async engines: a real suspension between any two chunks). */
int rj_stream_trickle_reader(rj_stream *s, const void *data, size_t len, size_t chunk, bool wait_each);

/* Writers. The memory sink collects everything written (rj_stream_mem_data). */
int rj_stream_mem_writer(rj_stream *s);
const uint8_t *rj_stream_mem_data(const rj_stream *s, size_t *len);
int rj_stream_fd_writer(rj_stream *s, int fd);

/* The room a writer's buffer keeps after every flush: the writer puts a token
 * (up to this many bytes) into it without checking again. */
#define RJ_TOKEN_ROOM 40
/* A writer over cap bytes of the caller's memory, allocating nothing: what is
 * written stays there, from buf on, rj_stream_pos(s) bytes. A document of len
 * bytes fits when len + RJ_TOKEN_ROOM <= cap; a longer one fails the write
 * with RJ_EIO (ENOSPC). s must not move while in use (the backend is s
 * itself); rj_stream_rewind starts it over, empty. RJ_EARG when cap is below
 * RJ_TOKEN_ROOM. Nothing to free. */
int rj_stream_span_writer(rj_stream *s, void *buf, size_t cap);

/* An in-process pipe of `capacity` bytes: a writer stream and a reader stream,
 * used by two tasks (async engines only: the sync build cannot wait). */
int rj_stream_pipe(rj_stream *writer, rj_stream *reader, size_t capacity);

/* Starts a memory stream over: a reader from its first byte, a writer's sink
 * or span emptied (benchmarks repeat a job this way). -EINVAL for other
 * backends. */
int rj_stream_rewind(rj_stream *s);
/* Releases the stream's buffer and backend (a pipe end closes its side). */
void rj_stream_free(rj_stream *s);
/* Bytes read (consumed) or written (accepted) so far. */
static inline uint64_t rj_stream_pos(const rj_stream *s)
{
    return s->base + (uint64_t)(s->cur - s->buf);
}

/* ---- the document model ------------------------------------------------------ */

typedef enum rj_type { RJ_NULL, RJ_FALSE, RJ_TRUE, RJ_NUMBER, RJ_STRING, RJ_ARRAY, RJ_OBJECT } rj_type;

/* A value. Strings: UTF-8, len bytes (may contain NUL), NUL-terminated.
 * Numbers: the validated lexeme as written (so a round trip keeps the value
 * exactly). Arrays: len items. Objects: len members stored as 2*len items,
 * key (a string value) then value, in input order (duplicates kept). */
typedef struct rj_value {
    uint32_t type;
    uint32_t len;
    union {
        const char *str;
        struct rj_value *items;
    } u;
} rj_value;

typedef struct rj_doc rj_doc; /* owns every value and string parsed into it */

rj_doc *rj_doc_new(void);
void rj_doc_free(rj_doc *d);             /* NULL ignored */
void rj_doc_clear(rj_doc *d);            /* frees every value, keeps d */
void *rj_doc_alloc(rj_doc *d, size_t n); /* 8-aligned, freed with d; NULL when out of memory */
size_t rj_doc_bytes(const rj_doc *d);    /* bytes reserved by the arena */
uint64_t rj_doc_blocks(const rj_doc *d); /* allocations the arena made */

/* Lookups on a parsed value. */
const rj_value *rj_get(const rj_value *obj, const char *key); /* first match, NULL if none */
bool rj_number_i64(const rj_value *v, int64_t *out);          /* an integer lexeme that fits */
double rj_number_f64(const rj_value *v);
/* Counts of a tree (for checking that two parsers saw the same document). */
typedef struct rj_counts {
    uint64_t nulls, bools, numbers, strings, arrays, objects, string_bytes;
} rj_counts;
void rj_count(const rj_value *v, rj_counts *c);

/* ---- parser and writer jobs -------------------------------------------------- */

#define RJ_DEFAULT_MAX_DEPTH 512

typedef struct rj_parser {
    rj_stream *in;
    rj_doc *doc;        /* values go here; NULL validates only */
    unsigned max_depth; /* RJ_DEFAULT_MAX_DEPTH after rj_parser_init */
    bool close_at_end;  /* close the stream's backend when done (a pipe's reader) */
    unsigned repeat;    /* benchmarks: parse this many times, rewinding the (memory)
                           input and clearing doc in between; 0 = once */
    rj_value root;      /* the result (with doc) */
    rj_error err;
    /* private to the engines */
    uint32_t line;
    uint64_t line_start; /* stream position of the current line's first byte */
    rj_value *vs;        /* value stack: children of the open containers */
    size_t vs_len, vs_cap;
    char *sb; /* scratch for a string or number being read */
    size_t sb_len, sb_cap;
} rj_parser;

void rj_parser_init(rj_parser *p, rj_stream *in, rj_doc *doc);
void rj_parser_free(rj_parser *p); /* scratch only; not the stream or doc */

/* What a writer job writes. */
typedef enum rj_wkind {
    RJ_W_VALUE,   /* w->value, compactly */
    RJ_W_MESSAGE, /* the TechEmpower message: {"message":"Hello, World!"} */
    RJ_W_CATALOG, /* w->catalog (the typed path) */
} rj_wkind;

/* The typed path: a catalogue of records, serialised from C structs. */
typedef struct rj_record {
    int64_t id;
    const char *name; /* UTF-8 */
    int64_t price_cents;
    double rating; /* written with up to 17 significant digits */
    bool available;
    const char *const *tags; /* ntags strings */
    size_t ntags;
} rj_record;
typedef struct rj_catalog {
    const char *title;
    const rj_record *records;
    size_t n;
} rj_catalog;

typedef struct rj_writer {
    rj_stream *out;
    rj_wkind kind;
    const rj_value *value;
    const rj_catalog *catalog;
    bool close_at_end; /* close the stream's backend when done (pipe) */
    unsigned repeat;   /* benchmarks: write this many times, emptying the (memory)
                          sink in between; 0 = once */
    rj_error err;
} rj_writer;

void rj_writer_init(rj_writer *w, rj_stream *out, rj_wkind kind);

/* Reads a catalogue back from a parsed document (arrays allocated in doc). */
int rj_catalog_from(const rj_value *v, rj_doc *doc, rj_catalog *out, rj_error *err);

/* ---- engines ----------------------------------------------------------------- */

typedef struct rj_engine {
    const char *name;
    /* sync: runs the job here. Async engines: NULL, and spawn_* start the job
     * as a task of that engine (the runtime must be running). */
    int64_t (*parse_run)(rj_parser *p);
    int64_t (*write_run)(rj_writer *w);
    rta_task *(*parse_spawn)(rj_parser *p);
    rta_task *(*write_spawn)(rj_writer *w);
} rj_engine;

/* The engine of that name: NULL if there is no such engine; *built false for an
 * engine this build does not have (cont/async1 without rtac). */
const rj_engine *rj_engine_find(const char *name, bool *built);
/* Names of all engines this build has, NULL-terminated. */
extern const char *const rj_engine_names[];

/* Run a job to completion from non-async code (async engines: the runtime
 * must be running). Return 0 or the job's RJ_E* code (details in ->err). */
int rj_parse(const rj_engine *e, rj_parser *p);
int rj_write(const rj_engine *e, rj_writer *w);
/* Waits for a job task started by spawn_*; folds a task failure into err. */
int rj_job_wait(rta_task *t, rj_error *err);

/* The writer as an async2 function, for async2 code that writes JSON as a
 * step of its own task (rtahttpd's /json handler): writes w's document to
 * w->out and flushes it, suspending where the backend makes it wait; returns
 * 0 or w's RJ_E* code (repeat and close_at_end are not looked at). The
 * tasklet, cont and async1 builds define it (the engines rtahttpd has; under
 * rtac's per-engine names, so the caller's engine build calls its own): not
 * sync (plain C, no async2 caller) nor async1-pool, whose lowered name would
 * be async1's. */
RTA_ASYNC int64_t rj_write_async(rj_writer *w);

#ifdef __cplusplus
}
#endif

#endif /* RJ_H */
