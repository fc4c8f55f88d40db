/* The program the gdb test (gdb_check.py) runs under gdb: it suspends the
 * fixture's tasks on every engine (fixture.h), writes rta_dump_tasks to the
 * file named by argv[1] (what the gdb commands must agree with), and calls
 * gdb_fixture_ready, where gdb stops to look; then it finishes them all.
 * One worker with one region: fx_t_waiter's start evicts fx_t_root's
 * stack to the heap, so the walk over an evicted stack is tested too.
 * Besides the fixture's tasks, one tasklet sleeps (a timer wait), canceled
 * at the end, one tasklet reads a socket pair with a deadline and one cont
 * task reads another (I/O waits: the gdb script words them from the
 * registry entry, as the dump does); main writes their bytes at the end. */
#include "fixture.h"

#include <rta/io.h>
#include <sys/socket.h>
#include <unistd.h>

static int gf_pair[2], gf_cpair[2];
static char gf_cbuf; /* not in a cont frame: frames move */

static TEST_NOINLINE int64_t gf_reader(void *arg)
{
    (void)arg;
    char c = 0;
    ssize_t n = rta_read(gf_pair[0], &c, 1, rta_after_ms(600000)); /* GF_LINE_READ */
    KEEP_FRAME();
    return n == 1 ? c : n;
}

RTA_CONT_FN(gf_cont_reader, void *, arg)
{
    RTA_CONT_FRAME(gf_cont_reader, int64_t r;); /* GF_LINE_C_FRAME */
    (void)arg;
    RTA_CONT_YIELD(); /* started by main: read on the worker */
    RTA_CONT_CALL(F.r, rta_cont_read, gf_cpair[0], &gf_cbuf, 1, RTA_FOREVER); /* GF_LINE_C_READ */
    RTA_CONT_RETURN(F.r == 1 ? gf_cbuf : F.r);
}

/* Sleeps far longer than the test runs: canceled by main. */
static TEST_NOINLINE int64_t gf_sleeper(void *arg)
{
    (void)arg;
    rta_sleep_ms(600000); /* GF_LINE_SLEEP */
    KEEP_FRAME();
    return 0;
}

/* Until rta_dump_tasks says `what` (bounded: a hang fails). */
static void gf_wait_dump(const char *what)
{
    static char buf[65536];
    for (int i = 0; i < 100000; i++) {
        FILE *m = fmemopen(buf, sizeof buf - 1, "w");
        CHECK(m);
        rta_dump_tasks(m);
        fclose(m);
        if (strstr(buf, what))
            return;
        test_sleep_ms(1);
    }
    fprintf(stderr, "gdb_fixture: the dump never said '%s':\n%s", what, buf);
    abort();
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
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, gf_pair));
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, gf_cpair));
    rta_task *reader = rta_spawn(gf_reader, NULL);
    CHECK(reader);
    rta_task *creader = rta_cont_call(gf_cont_reader, NULL);
    CHECK(creader);
    fixture_wait_suspensions(st.suspensions + 2);                           /* the sleep and the read */
    gf_wait_dump("cont suspended in gf_cont_reader: awaiting read on fd "); /* no counter for cont */
    FILE *f = fopen(argv[1], "w");
    CHECK(f);
    rta_dump_tasks(f);
    CHECK_OK(fclose(f));
    gdb_fixture_ready();
    fixture_finish();
    CHECK_EQ(write(gf_pair[1], "r", 1), 1);
    CHECK_EQ(write(gf_cpair[1], "c", 1), 1);
    CHECK_EQ(rta_task_wait(reader, NULL), 'r');
    CHECK_EQ(rta_task_wait(creader, NULL), 'c');
    rta_task_release(reader);
    rta_task_release(creader);
    for (int i = 0; i < 2; i++) {
        rta_close(gf_pair[i]);
        rta_close(gf_cpair[i]);
    }
    CHECK(rta_task_cancel(sleeper));
    rta_error *err = NULL;
    CHECK_EQ(rta_task_wait(sleeper, &err), 0);
    CHECK(err);
    rta_error_free(err);
    rta_task_release(sleeper);
    rta_shutdown();
    return 0;
}
