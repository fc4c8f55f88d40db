#include "../common/driver.h"
BENCH_MAIN(yield, "Scheduler yield: T = 1, 2, 100, 1000, 10000 tasks each yielding in a loop,\n"
                  "one worker and all workers (ns_per_yield; instructions_per_yield under\n"
                  "callgrind). Workload definition: bench/yield/yield.h.\n")
