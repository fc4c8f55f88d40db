/*
 * BENCH_MAIN(name, usage): the main() of bench/<name>/, which runs every
 * engine linked into the program. Each engine lives in its own file and
 * defines bench_<name>_<engine>(const bench_opts *); the ones that are not
 * linked in are weak NULLs and skipped.
 */
#ifndef RTA_BENCH_DRIVER_H
#define RTA_BENCH_DRIVER_H

#include "bench.h"

#define BENCH_ENGINE_HOOKS(name)                                                                             \
    void bench_##name##_tasklet(const bench_opts *o) __attribute__((weak));                                  \
    void bench_##name##_cont(const bench_opts *o) __attribute__((weak));                                     \
    void bench_##name##_async1(const bench_opts *o) __attribute__((weak));

#define BENCH_MAIN(name, usage)                                                                              \
    BENCH_ENGINE_HOOKS(name)                                                                                 \
    int main(int argc, char **argv)                                                                          \
    {                                                                                                        \
        bench_opts o;                                                                                        \
        bench_parse(argc, argv, &o, usage);                                                                  \
        if (bench_##name##_tasklet && bench_want(&o, "tasklet"))                                             \
            bench_##name##_tasklet(&o);                                                                      \
        if (bench_##name##_cont && bench_want(&o, "cont"))                                                   \
            bench_##name##_cont(&o);                                                                         \
        if (bench_##name##_async1 && bench_want(&o, "async1"))                                               \
            bench_##name##_async1(&o);                                                                       \
        return 0;                                                                                            \
    }

#endif
