/* The program the gdb test (gdb_check.py) runs under gdb: it suspends the
 * fixture's tasks on every engine (fixture.h), writes rta_dump_tasks to the
 * file named by argv[1] (what the gdb commands must agree with), and calls
 * gdb_fixture_ready, where gdb stops to look; then it finishes them all.
 * One worker with one region: fx_t_waiter's start evicts fx_t_root's
 * stack to the heap, so the walk over an evicted stack is tested too. */
#include "fixture.h"

/* The breakpoint: every task of the fixture is suspended here. */
TEST_NOINLINE void gdb_fixture_ready(void)
{
    __asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
    (void)fixture_line; /* the dump test's helper; gdb_check.py counts lines itself */
    CHECK(argc == 2);
    CHECK_OK(rta_init(&(rta_config){.workers = 1, .regions_per_worker = 1}));
    fixture_start();
    FILE *f = fopen(argv[1], "w");
    CHECK(f);
    rta_dump_tasks(f);
    CHECK_OK(fclose(f));
    gdb_fixture_ready();
    fixture_finish();
    rta_shutdown();
    return 0;
}
