/* sawtooth for the tasklet engine (WORKLOADS.md section 3): plain C recursion. */
#include "../common/tasklet_util.h"
#include "../common/workloads.h"

/* The amplitude being measured (wl_saw_amps): base depth <-> peak depth. */
static int saw_base = 10, saw_peak = 30;

__attribute__((noinline)) static int64_t down(int d, bool first)
{
    if (first && d == (saw_base + saw_peak) / 2)
        rta_yield(); /* the first suspension: midway */
    if (d == saw_peak)
        return 1;
    int64_t v = down(d + 1, first);
    bench_sink(v);
    return v + 1;
}

__attribute__((noinline)) static int64_t saw(int d, int cycles)
{
    if (d < saw_base) {
        int64_t v = saw(d + 1, cycles);
        bench_sink(v);
        return v + 1;
    }
    int64_t s = 0;
    for (int c = 0; c < cycles; c++) {
        s += down(saw_base + 1, c == 0);
        rta_yield(); /* suspend at depth 10 */
    }
    return s;
}

static int64_t saw_root(void *arg)
{
    return saw(1, (int)(intptr_t)arg);
}

typedef struct saw_run {
    int tasks, cycles_each;
    uint64_t ns;
} saw_run;

static int64_t saw_driver(void *arg)
{
    saw_run *r = arg;
    rta_task **ts = malloc(sizeof(rta_task *) * (size_t)r->tasks);
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < r->tasks; i++)
        ts[i] = rta_spawn(saw_root, (void *)(intptr_t)r->cycles_each);
    for (int i = 0; i < r->tasks; i++) {
        if (rta_await(ts[i]) != (int64_t)r->cycles_each * (saw_peak - saw_base) + saw_base - 1)
            abort();
        rta_task_release(ts[i]);
    }
    r->ns = bench_since(t0);
    free(ts);
    return 0;
}

void bench_sawtooth_tasklet(const bench_opts *o)
{
    tasklet_bench_init();
    int cycles = wl_sawtooth_cycles(o->quick);
    static const int task_counts[] = {1, 100};
    for (int amp = 0; amp < WL_SAW_AMPS; amp++)
        for (size_t k = 0; k < 2; k++) {
            saw_base = wl_saw_amps[amp][0];
            saw_peak = wl_saw_amps[amp][1];
            bench_sample s = {0};
            rta_stats a, b;
            rta_stats_get(&a);
            for (int run = 0; run < o->runs; run++)
                BENCH_REPEAT
                {
                    saw_run r = {.tasks = task_counts[k], .cycles_each = cycles / task_counts[k]};
                    tasklet_bench_run(saw_driver, &r);
                    bench_sample_add(&s, (double)r.ns / (double)(r.tasks * r.cycles_each));
                }
            rta_stats_get(&b);
            char params[96];
            wl_saw_params(params, sizeof params, cycles, task_counts[k], saw_base, saw_peak);
            bench_emit(o, "sawtooth", "tasklet", params, "ns_per_cycle", &s, "ns");
            uint64_t res = b.resumes_resident - a.resumes_resident,
                     rest = b.resumes_restored - a.resumes_restored;
            bench_emit1(o, "sawtooth", "tasklet", params, "resumes_no_copy_pct",
                        100.0 * (double)res / (double)(res + rest ? res + rest : 1), "%");
        }
    rta_shutdown();
}
