#include "../common/driver.h"
BENCH_MAIN(depth, "Suspend/resume round trip with d = 1, 10, 100, 1000 async frames live\n"
                  "(ns_per_roundtrip), and memory per task held at depth 10 (bytes_per_task).\n"
                  "Workload definitions: bench/peers/WORKLOADS.md section 2.\n")
