#include "../common/driver.h"
BENCH_MAIN(eh, "Exceptions: throw at depth 1, 10, 64 and catch at the root, with and without\n"
               "a suspension between (ns_per_throw).\n"
               "Workload definitions: bench/peers/WORKLOADS.md section 6.\n")
