/*
 * What parse.c and write.c (the async2 sources) need to be compiled once per
 * engine. The build defines RJ_ENGINE_ID to the engine's name (sync, tasklet,
 * cont, async1) and RJ_SYNC=1 for the plain synchronous build; RJ_SYM(x)
 * gives each build's exported entries their own names (rj_sync_parse_run,
 * rj_tasklet_parse_spawn, ...), so every engine links into one program.
 *
 * Inside the sources, everything the engine builds differently is an async2
 * function marked RTA_ASYNC: a call to one is an await point, and the only
 * real suspension is rta_await_awaiter in the stream's fill/flush. Locals
 * never have their address taken across an await (cont keeps only values),
 * and pointers into the stream buffer are reloaded after every await.
 */
#ifndef RJ_ENGINE_H
#define RJ_ENGINE_H

#include "rj.h"

#include <errno.h>
#include <string.h>

/* rtac's marker (include/rta/async2.h); plain C until it exists. */
#if defined(__has_include)
#if __has_include(<rta/async2.h>)
#include <rta/async2.h>
#endif
#endif
#ifndef RTA_ASYNC
#define RTA_ASYNC
#endif

#ifndef RJ_SYNC
#define RJ_SYNC 0
#endif
/* 1 in the builds that define rj_write_async (rj.h; CMakeLists.txt). */
#ifndef RJ_EXPORT_ASYNC
#define RJ_EXPORT_ASYNC 0
#endif

/* The async1 builder of every RTA_ASYNC function but the jobs' entries: the
 * default task builder, or in the async1-pool build (RJ_POOLED) the pooling
 * value-task builder with 64 boxes per thread and method, as in the other
 * benchmarks' async1-pool rows (bench/fib). A method that completes without
 * suspending then allocates nothing (the task builder allocates its task);
 * one that suspends rents its box. The other engines ignore the marker. */
#if defined(RJ_POOLED) && RJ_POOLED
#define RJ_BUILDER RTA_BUILDER(pool, 64)
#else
#define RJ_BUILDER
#endif

#define RJ_CAT3_(a, b, c) a##b##c
#define RJ_CAT3(a, b, c) RJ_CAT3_(a, b, c)
#define RJ_SYM(x) RJ_CAT3(rj_, RJ_ENGINE_ID, _##x)

#if defined(__GNUC__)
#define RJ_LIKELY(x) __builtin_expect(!!(x), 1)
#define RJ_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RJ_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define RJ_LIKELY(x) (x)
#define RJ_UNLIKELY(x) (x)
#define RJ_ALWAYS_INLINE inline
#endif

/* Shared by every engine build (stream.c / doc.c): not async. */
void rj__set_error(rj_error *e, int code, const char *fmt, ...) RTA_PRINTF(3, 4);
int rj__parse_fail(rj_parser *p, int code, uint64_t at, const char *fmt, ...) RTA_PRINTF(4, 5);
int rj__sb_reserve(rj_parser *p, size_t more);
int rj__parser_restart(rj_parser *p); /* for repeat: rewind the input, clear the doc */
int rj__vs_reserve(rj_parser *p);
/* Checks a number lexeme; returns the index of the first bad byte, or len. */
size_t rj__number_check(const char *s, size_t len, const char **why);
extern const uint8_t rj__str_plain[256];  /* 1: copied as is inside a string */
extern const uint8_t rj__str_escape[256]; /* writer: 0 as is, else the escape letter or 'u' */

/* The per-engine entries (declared for engines.c). */
#define RJ_DECLARE_ENGINE(id)                                                                                \
    int64_t rj_##id##_parse_run(rj_parser *p);                                                               \
    int64_t rj_##id##_write_run(rj_writer *w);                                                               \
    rta_task *rj_##id##_parse_spawn(rj_parser *p);                                                           \
    rta_task *rj_##id##_write_spawn(rj_writer *w);

#endif
