/*
 * sawtooth for the cont engine (WORKLOADS.md section 3): saw and down are
 * cont functions; the first cycle suspends at depth 20, every cycle then
 * descends to 30 and yields back at depth 10. Only the frames that run are
 * resumed: a yield at depth 10 suspends the bottom frame and the 9 above stay
 * linked continuations. The driver is a cont root on the (single) worker: it
 * queues the tasks with rta_cont_spawn (as the tasklet driver uses rta_spawn)
 * and awaits each; they interleave through the worker's FIFO run queue.
 */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/bench.h"
#include "../common/workloads.h"

/* The amplitude being measured (wl_saw_amps): base depth <-> peak depth. */
static int saw_base = 10, saw_peak = 30;

RTA_CONT_FN(down, int64_t, d, int64_t, first)
{
    RTA_CONT_FRAME(down, int64_t d; int64_t first;);
    F.d = d;
    F.first = first;
    if (F.first && F.d == (saw_base + saw_peak) / 2)
        RTA_CONT_YIELD(); /* the first suspension: midway */
    if (F.d == saw_peak)
        RTA_CONT_RETURN(1);
    int64_t v;
    RTA_CONT_CALL(v, down, F.d + 1, F.first);
    RTA_CONT_RETURN(v + 1);
}

RTA_CONT_FN(saw, int64_t, d, int64_t, cycles)
{
    RTA_CONT_FRAME(saw, int64_t cycles; int64_t c; int64_t s;);
    F.cycles = cycles;
    if (d < saw_base) {
        int64_t v;
        RTA_CONT_CALL(v, saw, d + 1, F.cycles);
        RTA_CONT_RETURN(v + 1);
    }
    for (F.c = 0; F.c < F.cycles; F.c++) {
        int64_t v;
        RTA_CONT_CALL(v, down, saw_base + 1, F.c == 0); /* down to depth 30 and back to 10 */
        F.s += v;
        RTA_CONT_YIELD(); /* suspend at depth 10 */
    }
    RTA_CONT_RETURN(F.s);
}

RTA_CONT_FN(saw_root, void *, arg)
{
    RTA_CONT_FRAME(saw_root, char none;);
    int64_t v;
    RTA_CONT_CALL(v, saw, 1, (int64_t)(intptr_t)arg);
    RTA_CONT_RETURN(v);
}

typedef struct saw_run {
    int tasks, cycles_each;
    rta_task **ts;
    uint64_t ns, allocs;
    int bad;
} saw_run;

RTA_CONT_FN(saw_driver, void *, arg)
{
    RTA_CONT_FRAME(saw_driver, saw_run * r; int64_t i; uint64_t t0;);
    F.r = arg;
    F.r->allocs = bench_allocs();
    F.t0 = bench_now_ns();
    for (F.i = 0; F.i < F.r->tasks; F.i++)
        F.r->ts[F.i] = rta_cont_spawn(saw_root, (void *)(intptr_t)F.r->cycles_each);
    for (F.i = 0; F.i < F.r->tasks; F.i++) {
        int64_t v;
        RTA_CONT_AWAIT_TASK(v, F.r->ts[F.i]);
        if (v != (int64_t)F.r->cycles_each * (saw_peak - saw_base) + saw_base - 1)
            F.r->bad++;
        rta_task_release(F.r->ts[F.i]);
    }
    F.r->ns = bench_since(F.t0);
    F.r->allocs = bench_allocs() - F.r->allocs;
    RTA_CONT_RETURN(0);
}

void bench_sawtooth_cont(const bench_opts *o)
{
    if (rta_init(&(rta_config){.workers = 1}) != 0) {
        fprintf(stderr, "sawtooth_cont: rta_init failed\n");
        exit(1);
    }
    int cycles = wl_sawtooth_cycles(o->quick);
    static const int task_counts[] = {1, 100};
    for (int amp = 0; amp < WL_SAW_AMPS; amp++)
        for (size_t k = 0; k < 2; k++) {
            saw_base = wl_saw_amps[amp][0];
            saw_peak = wl_saw_amps[amp][1];
            bench_sample s = {0}, al = {0};
            for (int run = 0; run < o->runs; run++)
                BENCH_REPEAT
                {
                    saw_run r = {.tasks = task_counts[k], .cycles_each = cycles / task_counts[k]};
                    r.ts = malloc(sizeof(rta_task *) * (size_t)r.tasks);
                    rta_task *t = rta_cont_spawn(saw_driver, &r);
                    rta_error *e = NULL;
                    rta_task_wait(t, &e);
                    if (e || r.bad) {
                        fprintf(stderr, "sawtooth_cont: %s\n", e ? rta_error_message(e) : "wrong result");
                        exit(1);
                    }
                    rta_task_release(t);
                    free(r.ts);
                    bench_sample_add(&s, (double)r.ns / (double)(r.tasks * r.cycles_each));
                    bench_sample_add(&al, (double)r.allocs / (double)(r.tasks * r.cycles_each));
                }
            char params[96];
            wl_saw_params(params, sizeof params, cycles, task_counts[k], saw_base, saw_peak);
            bench_emit(o, "sawtooth", "cont", params, "ns_per_cycle", &s, "ns");
            bench_emit(o, "sawtooth", "cont", params, "allocs_per_cycle", &al, "allocs");
        }
    rta_shutdown();
}
