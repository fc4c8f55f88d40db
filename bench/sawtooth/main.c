#include "../common/driver.h"
BENCH_MAIN(sawtooth, "Sawtooth: suspend at depth 20, then down to 30 and back to 10 and suspend,\n"
                     "C cycles, with 1 task and 100 interleaved tasks (ns_per_cycle).\n"
                     "Workload definitions: bench/peers/WORKLOADS.md section 3.\n")
