/* The stall detector's first look at a worker: a worker still starting up
 * (no work picked yet, not yet idle) was compared with the watcher's zeroed
 * state and reported as running for the machine's whole uptime ("has run
 * one piece of work for 3832038 ms" 40 ms after start; seen under ASan
 * with RTA_STALL_MS=1). Here: many short runtimes with a 1 ms threshold,
 * stderr caught in a file; every report's duration must be at most the
 * time since the test started (reports themselves may come: the threshold
 * is tiny on purpose). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"
#include <rta.h>

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_OK(setenv("RTA_STALL_MS", "1", 1));
    fflush(stderr);
    int saved = dup(2);
    CHECK(saved >= 0);
    FILE *caught = tmpfile();
    CHECK(caught);
    CHECK(dup2(fileno(caught), 2) == 2);
    int rounds = (int)test_scaled(200, 5);
    for (int i = 0; i < rounds; i++) {
        CHECK_OK(rta_init(&(rta_config){.workers = 4}));
        test_sleep_ms(2);
        rta_shutdown();
    }
    fflush(stderr);
    CHECK(dup2(saved, 2) == 2);
    long elapsed = ms_since(&t0);
    rewind(caught);
    char line[512];
    int reports = 0;
    while (fgets(line, sizeof line, caught)) {
        fputs(line, stderr); /* shown in the test's log */
        const char *f = strstr(line, " for ");
        if (!strstr(line, "rtasync: stall:") || !f)
            continue;
        reports++;
        long ms = atol(f + 5);
        CHECK(ms <= elapsed);
    }
    fclose(caught);
    printf("%d runtimes, %d stall reports, none longer than the %ld ms the test ran\n", rounds, reports,
           elapsed);
    return 0;
}
