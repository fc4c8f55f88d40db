/*
 * bench/echo: the rtasync echo server's connection loop, async2 C built once
 * per engine (conn.c through rtac: tasklet as written, cont and async1
 * lowered), as scenarios/http does. Each build exports echo_<engine>_spawn.
 */
#ifndef RTA_BENCH_ECHO_H
#define RTA_BENCH_ECHO_H

#include <rta.h>
#ifndef RTA_ASYNC
#define RTA_ASYNC
#endif

enum { ECHO_BUF = 16384 }; /* the buffer's default size (server.c --buf) */

/* One connection: its socket and its buffer (cap bytes), malloc'd by the
 * acceptor (the same memory on every engine: no engine keeps the buffer in
 * its frame). The task closes fd and frees the job at its end. */
typedef struct echo_job {
    int fd;
    size_t cap;
    char buf[];
} echo_job;

#define ECHO_CAT3_(a, b, c) a##b##c
#define ECHO_CAT3(a, b, c) ECHO_CAT3_(a, b, c)
#define ECHO_SYM(x) ECHO_CAT3(echo_, ECHO_ENGINE_ID, _##x)

rta_task *echo_tasklet_spawn(echo_job *j);
rta_task *echo_cont_spawn(echo_job *j);
rta_task *echo_async1_spawn(echo_job *j);

#endif
