/* The program the gdb test (gdb_check.py) runs under gdb: it suspends the
 * fixture's tasks on every engine (fixture.h), writes rta_dump_tasks to the
 * file named by argv[1] (what the gdb commands must agree with), and calls
 * gdb_fixture_ready, where gdb stops to look; then it finishes them all.
 * One worker with one region: fx_t_waiter's start evicts fx_t_root's
 * stack to the heap, so the walk over an evicted stack is tested too.
 * Besides the fixture's tasks, one tasklet sleeps (a timer wait), canceled
 * at the end. */
#include "fixture.h"

#include <rta/io.h>

/* Sleeps far longer than the test runs: canceled by main. */
static TEST_NOINLINE int64_t gf_sleeper(void *arg)
{
    (void)arg;
    rta_sleep_ms(600000); /* GF_LINE_SLEEP */
    KEEP_FRAME();
    return 0;
}

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
    rta_stats st;
    rta_stats_get(&st);
    rta_task *sleeper = rta_spawn(gf_sleeper, NULL);
    CHECK(sleeper);
    fixture_wait_suspensions(st.suspensions + 1);
    FILE *f = fopen(argv[1], "w");
    CHECK(f);
    rta_dump_tasks(f);
    CHECK_OK(fclose(f));
    gdb_fixture_ready();
    fixture_finish();
    CHECK(rta_task_cancel(sleeper));
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(sleeper, &err), 0);
    CHECK(err);
    rta_error_free(err);
    rta_task_release(sleeper);
    rta_shutdown();
    return 0;
}
