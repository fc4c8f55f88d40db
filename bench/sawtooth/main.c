#include "../common/driver.h"
BENCH_MAIN(sawtooth, "Sawtooth: suspend midway, then down to the peak and back to the base and\n"
                     "suspend, C cycles, for base<->peak 10<->30, 5<->10 and 50<->100, with 1 task\n"
                     "and 100 interleaved tasks (ns_per_cycle).\n"
                     "Workload definitions: bench/peers/WORKLOADS.md section 3.\n")
