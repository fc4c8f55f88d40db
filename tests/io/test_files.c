/*
 * Files (issue 11): rta_open, rta_pwrite, rta_pread, rta_close.
 *  - 100 MiB (scaled under valgrind/sanitizers/qemu) written by 4 tasks in
 *    1 MiB chunks at their own offsets, read back by 4 other tasks and
 *    compared with the pattern (each 8-byte word is its own offset);
 *  - a buffer on the task's stack, with one region per worker and more
 *    tasks than regions, so that the others run while the job fills it;
 *  - end of file (0), errors: a missing path (-ENOENT), a bad descriptor
 *    (-EBADF), a negative offset (-EINVAL); the same calls from the main
 *    thread run right there;
 *  - the way they went: with io_uring every pread / pwrite is a ring
 *    operation (rta__fileops_submitted), with epoll none is (the pool).
 *    Run once per backend (io_files, io_files_epoll); with io_uring the
 *    stack buffer case is the kernel writing into a pinned tasklet's stack.
 */
#include "iotest.h"
#include "io/io.h"

#include <fcntl.h>
#include <unistd.h>

enum { CHUNK = 1 << 20, TASKS = 4 };

static char path[64];
static long total; /* bytes, a multiple of TASKS * CHUNK */

static void fill(uint64_t *w, int64_t off, size_t n)
{
    for (size_t i = 0; i < n / 8; i++)
        w[i] = (uint64_t)off + i * 8;
}

static int64_t writer(void *arg)
{
    long part = (long)(intptr_t)arg, each = total / TASKS;
    int fd = rta_open(path, O_WRONLY, 0);
    CHECK(fd >= 0);
    uint64_t *buf = malloc(CHUNK);
    CHECK(buf);
    for (long off = part * each; off < (part + 1) * each; off += CHUNK) {
        fill(buf, off, CHUNK);
        CHECK_EQ(rta_pwrite(fd, buf, CHUNK, off), CHUNK);
    }
    free(buf);
    CHECK_OK(rta_close(fd));
    return 0;
}

static int64_t reader(void *arg)
{
    long part = (long)(intptr_t)arg, each = total / TASKS;
    int fd = rta_open(path, O_RDONLY, 0);
    CHECK(fd >= 0);
    uint64_t *buf = malloc(CHUNK);
    CHECK(buf);
    for (long off = part * each; off < (part + 1) * each;) {
        ssize_t n = rta_pread(fd, buf, CHUNK, off);
        CHECK(n > 0 && n % 8 == 0);
        for (long i = 0; i < n / 8; i++)
            if (buf[i] != (uint64_t)(off + i * 8)) {
                fprintf(stderr, "word at %ld: %llu\n", off + i * 8, (unsigned long long)buf[i]);
                abort();
            }
        off += n;
    }
    free(buf);
    CHECK_OK(rta_close(fd));
    return 0;
}

/* A 4 KiB read into the task's own stack, while others churn the region. */
static TEST_NOINLINE int64_t stack_reader(void *arg)
{
    long k = (long)(intptr_t)arg;
    int fd = rta_open(path, O_RDONLY, 0);
    CHECK(fd >= 0);
    uint64_t buf[512];
    memset(buf, 0, sizeof buf);
    int64_t off = (k * 4096) % total;
    CHECK_EQ(rta_pread(fd, buf, sizeof buf, off), (ssize_t)sizeof buf);
    rta_yield();
    for (int i = 0; i < 512; i++)
        CHECK_EQ(buf[i], (uint64_t)off + (uint64_t)i * 8);
    CHECK_OK(rta_close(fd));
    return 1;
}

static int64_t errors(void *arg)
{
    (void)arg;
    CHECK_EQ(rta_open("/nonexistent/rtasync/file", O_RDONLY, 0), -ENOENT);
    char c = 0;
    CHECK_EQ(rta_pread(-1, &c, 1, 0), -EBADF);
    int fd = rta_open(path, O_RDONLY, 0);
    CHECK(fd >= 0);
    CHECK_EQ(rta_pread(fd, &c, 1, -1), -EINVAL);
    CHECK_EQ(rta_pread(fd, &c, 1, total), 0);   /* end of file */
    CHECK_EQ(rta_pwrite(fd, &c, 1, 0), -EBADF); /* opened read-only */
    CHECK_OK(rta_close(fd));
    return 3;
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/rta_files_XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    int fd0 = mkstemp(path);
    CHECK(fd0 >= 0);
    close(fd0);
    long mib = iotest_scaled(100, 4);
    total = mib / TASKS * TASKS * CHUNK;
    fprintf(stderr, "file of %ld MiB\n", total >> 20);

    iotest_init(2);
    rta_task *ts[TASKS];
    for (long i = 0; i < TASKS; i++)
        CHECK((ts[i] = rta_spawn(writer, (void *)(intptr_t)i)) != NULL);
    for (long i = 0; i < TASKS; i++)
        iotest_join(ts[i]);
    for (long i = 0; i < TASKS; i++)
        CHECK((ts[i] = rta_spawn(reader, (void *)(intptr_t)i)) != NULL);
    for (long i = 0; i < TASKS; i++)
        iotest_join(ts[i]);
    uint64_t ops = atomic_load(&rta__fileops_submitted);
    fprintf(stderr, "%s: %llu pread/pwrite operations through the ring\n", rta_io_backend(),
            (unsigned long long)ops);
    if (strcmp(rta_io_backend(), "io_uring") == 0)
        CHECK(ops >= (uint64_t)(2 * total / CHUNK)); /* one per pwrite chunk, at least one per pread */
    else
        CHECK_EQ(ops, 0);
    CHECK_EQ(iotest_join(rta_spawn(errors, NULL)), 3);
    rta_shutdown();

    CHECK_OK(rta_init(&(rta_config){.workers = 1, .regions_per_worker = 1}));
    enum { N = 16 };
    rta_task *s[N];
    for (long i = 0; i < N; i++)
        CHECK((s[i] = rta_spawn(stack_reader, (void *)(intptr_t)i)) != NULL);
    for (long i = 0; i < N; i++)
        CHECK_EQ(iotest_join(s[i]), 1);
    rta_shutdown();

    /* A plain thread: the calls run right there. */
    int fd = rta_open(path, O_RDONLY, 0);
    CHECK(fd >= 0);
    uint64_t w = 0;
    CHECK_EQ(rta_pread(fd, &w, 8, 4096), 8);
    CHECK_EQ(w, 4096);
    CHECK_OK(rta_close(fd));
    unlink(path);
    printf("ok\n");
    return 0;
}
