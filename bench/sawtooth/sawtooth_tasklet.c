/* sawtooth for the tasklet engine (WORKLOADS.md section 3): plain C recursion. */
#include "../common/tasklet_util.h"
#include "../common/workloads.h"

__attribute__((noinline)) static int64_t down(int d, bool first)
{
    if (first && d == 20)
        rta_yield(); /* the first suspension is at depth 20 */
    if (d == 30)
        return 1;
    int64_t v = down(d + 1, first);
    bench_sink(v);
    return v + 1;
}

__attribute__((noinline)) static int64_t saw(int d, int cycles)
{
    if (d < 10) {
        int64_t v = saw(d + 1, cycles);
        bench_sink(v);
        return v + 1;
    }
    int64_t s = 0;
    for (int c = 0; c < cycles; c++) {
        s += down(11, c == 0);
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
        if (rta_await(ts[i]) != (int64_t)r->cycles_each * 20 + 9)
            abort();
        rta_task_release(ts[i]);
    }
    r->ns = bench_now_ns() - t0;
    free(ts);
    return 0;
}

void bench_sawtooth_tasklet(const bench_opts *o)
{
    tasklet_bench_init();
    int cycles = wl_sawtooth_cycles(o->quick);
    static const int task_counts[] = {1, 100};
    for (size_t k = 0; k < 2; k++) {
        bench_sample s = {0};
        rta_stats a, b;
        rta_stats_get(&a);
        for (int run = 0; run < o->runs; run++) {
            saw_run r = {.tasks = task_counts[k], .cycles_each = cycles / task_counts[k]};
            tasklet_bench_run(saw_driver, &r);
            bench_sample_add(&s, (double)r.ns / (double)(r.tasks * r.cycles_each));
        }
        rta_stats_get(&b);
        char params[64];
        snprintf(params, sizeof params, "{\"cycles\":%d,\"tasks\":%d}", cycles, task_counts[k]);
        bench_emit(o, "sawtooth", "tasklet", params, "ns_per_cycle", &s, "ns");
        uint64_t res = b.resumes_resident - a.resumes_resident, rest = b.resumes_restored - a.resumes_restored;
        bench_emit1(o, "sawtooth", "tasklet", params, "resumes_no_copy_pct",
                    100.0 * (double)res / (double)(res + rest ? res + rest : 1), "%");
    }
    rta_shutdown();
}
