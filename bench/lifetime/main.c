#include "../common/driver.h"
BENCH_MAIN(lifetime, "Long- vs short-lived suspended state: N tasks parked at depth 10, held,\n"
                     "then resumed one by one (bytes_per_task, resume_p50_ns, resume_p99_ns).\n"
                     "Workload definitions: bench/peers/WORKLOADS.md section 5.\n")
