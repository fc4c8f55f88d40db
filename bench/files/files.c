/* bench/files: rta_pread / rta_pwrite (issue 11: files through io_uring
 * where the backend has it, the blocking pool otherwise). Not part of
 * bench/run: built with the benchmarks (RTA_BUILD_BENCH).
 *
 *   files_io [MIB [LABEL]]
 * MiB/s (one JSON line): a file of MIB MiB (default 100) in $TMPDIR or /tmp is written in
 * 1 MiB chunks, then read back, by one tasklet and by 4 at once (each its
 * quarter); the best of 5 rounds of each.
 *
 *   files_io 4k CALLS ROUNDS [LABEL]
 * The cost of one 4 KiB pread: one tasklet on one worker reads CALLS times
 * 4 KiB from a 1 MiB file, once through rta_pread (a ring operation with
 * io_uring, a pool job with epoll), once through rta_run_blocking of a
 * pread (the blocking pool, which rta_pread used on both backends before),
 * and once by pread(2) on the worker itself (which blocks the worker: the
 * floor, not a way to use), in turn, ROUNDS times; one JSON line per measurement: wall ns, CPU ns
 * of the whole process (every thread: worker, pool, io_uring's) and context
 * switches per call, with the load average (bench/results/files.jsonl).
 *
 * The file stays in the page cache: this measures the runtime's cost per
 * call (submission, completion, wake-up), not a disk.
 *   RTA_IO=io_uring files_io ...; RTA_IO=epoll files_io ... */
#include <rta.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { CHUNK = 1 << 20, ROUNDS = 5 };

static char path[96];
static long total;
static int ntasks;
static int writing;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int64_t worker(void *arg)
{
    long part = (long)(intptr_t)arg, each = total / ntasks;
    int fd = rta_open(path, writing ? O_WRONLY : O_RDONLY, 0);
    if (fd < 0)
        return fd;
    char *buf = malloc(CHUNK);
    memset(buf, (int)part + 1, CHUNK);
    int64_t rc = 0;
    for (long off = part * each; off < (part + 1) * each && rc >= 0;) {
        ssize_t n = writing ? rta_pwrite(fd, buf, CHUNK, off) : rta_pread(fd, buf, CHUNK, off);
        if (n <= 0)
            rc = n < 0 ? n : -1;
        off += n;
    }
    free(buf);
    rta_close(fd);
    return rc;
}

/* Best MiB/s of ROUNDS runs of tasks tasklets writing or reading. */
static double measure(int tasks, int write)
{
    double best = 0;
    ntasks = tasks;
    writing = write;
    for (int r = 0; r < ROUNDS; r++) {
        rta_task *ts[4];
        double t0 = now_s();
        for (long i = 0; i < tasks; i++)
            ts[i] = rta_spawn(worker, (void *)(intptr_t)i);
        for (int i = 0; i < tasks; i++) {
            if (rta_task_wait(ts[i], NULL) < 0) {
                fprintf(stderr, "files_io: a %s failed\n", write ? "pwrite" : "pread");
                exit(1);
            }
            rta_task_release(ts[i]);
        }
        double mbs = (double)total / (1 << 20) / (now_s() - t0);
        if (mbs > best)
            best = mbs;
    }
    return best;
}

/* ---- 4k: ns per 4 KiB pread, rta_pread against the pool ---------------- */

enum { SMALL = 4096, SPAN = 1 << 20 };
static long small_calls;
static int warmup = 1; /* the first pair of rounds, marked and not to be quoted */
static int small_fd;

typedef struct pread_arg {
    void *buf;
    int64_t off;
} pread_arg;

static int64_t pread_job(void *arg)
{
    pread_arg *a = arg;
    return pread(small_fd, a->buf, SMALL, a->off);
}

enum { VIA_RTA, VIA_POOL, VIA_INLINE };

static int64_t small_reader(void *arg)
{
    int via = (int)(intptr_t)arg;
    char buf[SMALL];
    for (long i = 0; i < small_calls; i++) {
        int64_t off = (int64_t)(i * SMALL % SPAN);
        pread_arg a = {buf, off};
        int64_t n = via == VIA_POOL     ? rta_run_blocking(pread_job, &a)
                    : via == VIA_INLINE ? pread_job(&a) /* blocks the worker: the floor, not a way to use */
                                        : rta_pread(small_fd, buf, SMALL, off);
        if (n != SMALL)
            return n < 0 ? n : -1;
    }
    return 0;
}

static double cpu_ns(struct rusage *u)
{
    return ((double)u->ru_utime.tv_sec + (double)u->ru_stime.tv_sec) * 1e9 +
           ((double)u->ru_utime.tv_usec + (double)u->ru_stime.tv_usec) * 1e3;
}

static void small_round(int via, const char *label)
{
    struct rusage u0, u1;
    getrusage(RUSAGE_SELF, &u0);
    double t0 = now_s();
    rta_task *t = rta_spawn(small_reader, (void *)(intptr_t)via);
    if (rta_task_wait(t, NULL) != 0) {
        fprintf(stderr, "files_io: a pread failed\n");
        exit(1);
    }
    rta_task_release(t);
    double wall = now_s() - t0;
    getrusage(RUSAGE_SELF, &u1);
    double load = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &load) != 1)
            load = 0;
        fclose(f);
    }
    long csw = (u1.ru_nvcsw + u1.ru_nivcsw) - (u0.ru_nvcsw + u0.ru_nivcsw);
    const char *path = via == VIA_POOL ? "run_blocking" : via == VIA_INLINE ? "pread(2)" : "rta_pread";
    const char *how = via == VIA_INLINE                                              ? "inline"
                      : via == VIA_POOL || strcmp(rta_io_backend(), "io_uring") != 0 ? "pool"
                                                                                     : "ring";
    printf("{\"bench\": \"files_4k\", \"label\": \"%s\", \"backend\": \"%s\", \"call\": \"%s\", "
           "\"via\": \"%s\", \"calls\": %ld, \"ns_per_call\": %.1f, \"cpu_ns_per_call\": %.1f, "
           "\"csw_per_call\": %.3f, \"load1\": %.2f, \"warmup\": %s}\n",
           label, rta_io_backend(), path, how, small_calls, wall * 1e9 / (double)small_calls,
           (cpu_ns(&u1) - cpu_ns(&u0)) / (double)small_calls, (double)csw / (double)small_calls, load,
           warmup ? "true" : "false");
    fflush(stdout);
}

static int small_main(long calls, int rounds, const char *label)
{
    small_calls = calls;
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/rta_bench_files_XXXXXX", tmp && strlen(tmp) < 60 ? tmp : "/tmp");
    small_fd = mkstemp(path);
    if (small_fd < 0)
        return 1;
    unlink(path);
    char *b = calloc(1, SPAN);
    if (!b || pwrite(small_fd, b, SPAN, 0) != SPAN)
        return 1;
    free(b);
    if (rta_init(&(rta_config){.workers = 1}) != 0)
        return 1;
    for (int v = 0; v < 3; v++) /* warm-up: the page cache, the pool's thread, the ring */
        small_round(v, label);
    warmup = 0;
    for (int r = 0; r < rounds; r++) /* each way first in turn */
        for (int v = 0; v < 3; v++)
            small_round((v + r) % 3, label);
    rta_shutdown();
    close(small_fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 3 && strcmp(argv[1], "4k") == 0)
        return small_main(atol(argv[2]), atoi(argv[3]), argc > 4 ? argv[4] : "");
    long mib = argc > 1 ? atol(argv[1]) : 100;
    total = (mib < 4 ? 4 : mib) / 4 * 4 * (long)CHUNK;
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/rta_bench_files_XXXXXX", tmp && strlen(tmp) < 60 ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, total) != 0)
        return 1;
    close(fd);
    rta_config cfg = {.workers = 2};
    if (rta_init(&cfg) != 0)
        return 1;
    double w1 = measure(1, 1), r1 = measure(1, 0), w4 = measure(4, 1), r4 = measure(4, 0);
    printf(
        "{\"bench\": \"files_mib\", \"label\": \"%s\", \"backend\": \"%s\", \"mib\": %ld, \"best_of\": %d, "
        "\"pwrite_mibs_1\": %.0f, \"pread_mibs_1\": %.0f, \"pwrite_mibs_4\": %.0f, \"pread_mibs_4\": %.0f}\n",
        argc > 2 ? argv[2] : "", rta_io_backend(), total >> 20, ROUNDS, w1, r1, w4, r4);
    rta_shutdown();
    unlink(path);
    return 0;
}
