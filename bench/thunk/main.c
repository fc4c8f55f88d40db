#include "../common/driver.h"
BENCH_MAIN(thunk, "Thunk cost: an empty async function called through the task-returning\n"
                  "entry (from non-async and from async code), and a completed task awaited\n"
                  "from async code (ns_per_call, allocs_per_call).\n"
                  "Workload definitions: bench/peers/WORKLOADS.md section 4.\n")
