/* Driver for the fib benchmark: sync C, then every engine linked in. */
#include <stdio.h>

#include "fib.h"

static const char usage[] = "Recursive fib(n) per engine: without suspension (ns_per_call), with a yield at\n"
                            "every leaf and at every 10th/100th leaf (ns_per_leaf, allocations, peak RSS),\n"
                            "and, for the tasklet engine, how many resumptions needed no copy.\n"
                            "Engines: sync, tasklet, async1-task, async1-vtask, async1-pool, cont.\n";

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(argc, argv, &o, usage);
    if (bench_want(&o, "sync"))
        bench_fib_sync(&o);
    if (bench_fib_tasklet && bench_want(&o, "tasklet"))
        bench_fib_tasklet(&o);
    if (bench_fib_async1 && bench_want(&o, "async1"))
        bench_fib_async1(&o);
    if (bench_fib_cont && bench_want(&o, "cont"))
        bench_fib_cont(&o);
    return 0;
}
