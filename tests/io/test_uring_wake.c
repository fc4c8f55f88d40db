/*
 * The io_uring parker's ready() hint (src/io/uring.c, uring_ready) is not
 * raised by the completion of the wake descriptor's own poll. A spinning
 * worker stops at the hint and goes to reap in the ring; counting a wake-up
 * made every spawn from a plain thread cost one: the spawn's wake-up posted
 * such a completion, the spinning worker left its spin to reap it, so the
 * next spawn found nobody spinning and wrote the wake descriptor again
 * (bench_thunk's tasklet spawn + wait from main: docs/io.md, "The parker
 * says ready", and bench/results/wake_ready.jsonl).
 *
 * Drives the backend directly, without a runtime, so that nobody reaps: a
 * ring set up by this thread, a wake-up, then this thread's kernel entries
 * run the poll's task work (COOP_TASKRUN) until the ring's own count
 * (/proc/self/fdinfo: CqTail - CqHead) shows the completion waiting; the
 * hint must then be false. Before the fix the hint was true there. With the epoll backend
 * (io_uring_wake_epoll) there is no hint at all, which is what is checked then. Exit 77 where io_uring cannot
 * be set up (valgrind, seccomp, a build without liburing): nothing to test.
 */
#include "check.h"
#include "io/io.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The io_uring descriptor of this process (its only ring), or -1. */
static int ring_fd(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int found = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[300], target[128];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n > 0) {
            target[n] = 0;
            if (strcmp(target, "anon_inode:[io_uring]") == 0)
                found = atoi(e->d_name);
        }
    }
    closedir(d);
    return found;
}

/* Completions waiting in the ring (CqTail - CqHead from fdinfo), -1 if unknown. */
static long pending(int fd)
{
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long head = -1, tail = -1;
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "CqHead: %ld", &head);
        sscanf(line, "CqTail: %ld", &tail);
    }
    fclose(f);
    return head < 0 || tail < 0 ? -1 : tail - head;
}

int main(void)
{
    const char *want = getenv("RTA_IO");
    const rta__io_backend *be = NULL;
    if (want && strcmp(want, "epoll") == 0) {
        CHECK_EQ(rta__epoll_init(&be), 0);
        CHECK(be->ready == NULL); /* epoll cannot tell: the idle spin runs its course */
        be->fini();
        printf("epoll: no ready hint\n");
        return 0;
    }
    if (rta__uring_init(&be) < 0) {
        printf("io_uring cannot be set up here: nothing to test\n");
        return 77;
    }
    CHECK(be->ready != NULL);
    int fd = ring_fd();
    CHECK(fd >= 0);
    if (pending(fd) < 0) {
        printf("no CqHead/CqTail in fdinfo (kernel too old): cannot see the completion\n");
        be->fini();
        return 77;
    }
    CHECK(!be->ready());
    be->wake();
    /* The poll's completion is this thread's task work: it runs at our
     * kernel entries (own_work enters when the ring says some is pending). */
    for (int i = 0; i < 2000 && pending(fd) == 0; i++) {
        if (be->own_work)
            be->own_work();
        usleep(500);
    }
    CHECK(pending(fd) >= 1); /* the wake-up's (a multishot poll may post more than one) */
    /* A wake-up's completions alone: the hint stays false. */
    CHECK(!be->ready());
    be->round(0); /* reaps them (and reads the wake descriptor) */
    CHECK(!be->ready());
    be->fini();
    printf("io_uring: a waiting wake-up completion leaves the hint false\n");
    return 0;
}
