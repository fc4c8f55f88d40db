/*
 * A file read whose completion is already in io_uring's ring when the task
 * suspends costs the idle worker no spin (sched.h's parker ready(), worker.c
 * spin_for_work). A 4 KiB pread of a file in the page cache completes while
 * it is submitted; the worker that then finds no task used to look at its
 * queues IDLE_SPINS (256) times before parking in the poller, the only place
 * that picks the completion up: ~9 us of CPU per read against pread(2)'s
 * ~0.4 (docs/io.md "Files: ring against pool"). Now it goes to the poller
 * at once.
 *
 * One worker, 2,000 reads at rotating offsets, every byte checked; with
 * io_uring the idle spins the reads cost (rta_stats.idle_spins, read in the
 * task before and after) must stay under 8 a read (it was 256 a read before
 * the change). Whether this filesystem's reads complete inline is probed
 * first with a ring of the test's own (a filesystem without non-blocking
 * buffered reads hands every read to io_uring's worker threads, whose
 * completion comes later whatever the runtime does): exit 77 if not. With
 * epoll (io_file_ready_epoll) the reads go through the blocking pool: only
 * the data is checked.
 */
#include "iotest.h"

#include <fcntl.h>
#include <unistd.h>
#if RTA_TEST_HAVE_URING
#include <liburing.h>
#endif

enum { SIZE = 64 << 10, BLOCK = 4096 };

static char path[64];
static long reads;

static unsigned char byte_at(long off)
{
    return (unsigned char)(off * 131 + (off >> 8));
}

static int64_t reader(void *arg)
{
    uint64_t *spins = arg;
    int fd = rta_open(path, O_RDONLY, 0);
    CHECK(fd >= 0);
    unsigned char buf[BLOCK];
    CHECK_EQ(rta_pread(fd, buf, BLOCK, 0), BLOCK); /* the first one pays whatever is first */
    rta_stats before, after;
    rta_stats_get(&before);
    for (long i = 0; i < reads; i++) {
        long off = (i * BLOCK) % SIZE;
        CHECK_EQ(rta_pread(fd, buf, BLOCK, off), BLOCK);
        for (long j = 0; j < BLOCK; j++)
            if (buf[j] != byte_at(off + j)) {
                fprintf(stderr, "read %ld: byte %ld is %u, expected %u\n", i, off + j, buf[j],
                        byte_at(off + j));
                abort();
            }
    }
    rta_stats_get(&after);
    *spins = after.idle_spins - before.idle_spins;
    fprintf(stderr, "%ld reads: %llu idle spins, %llu parks\n", reads, (unsigned long long)*spins,
            (unsigned long long)(after.parks - before.parks));
    CHECK_OK(rta_close(fd));
    return 0;
}

/* Whether io_uring completes a read of the file while it is submitted. */
static bool reads_complete_inline(void)
{
#if RTA_TEST_HAVE_URING
    struct io_uring ring;
    if (io_uring_queue_init(4, &ring, 0) < 0)
        return false;
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    static unsigned char buf[BLOCK];
    int inline_done = 0;
    for (int i = 0; i < 8; i++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        io_uring_prep_read(sqe, fd, buf, BLOCK, (uint64_t)i * BLOCK);
        CHECK_EQ(io_uring_submit(&ring), 1);
        inline_done += io_uring_cq_ready(&ring) == 1;
        struct io_uring_cqe *cqe;
        CHECK_OK(io_uring_wait_cqe(&ring, &cqe));
        CHECK_EQ(cqe->res, BLOCK);
        io_uring_cqe_seen(&ring, cqe);
    }
    close(fd);
    io_uring_queue_exit(&ring);
    return inline_done == 8;
#else
    return false;
#endif
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/rta_ready_XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    static unsigned char data[SIZE];
    for (long i = 0; i < SIZE; i++)
        data[i] = byte_at(i);
    CHECK_EQ(write(fd, data, SIZE), SIZE); /* in the page cache from here on */
    close(fd);
    reads = iotest_scaled(2000, 100);

    iotest_init(1);
    bool uring = strcmp(rta_io_backend(), "io_uring") == 0;
    if (uring && !reads_complete_inline()) {
        fprintf(stderr, "io_uring does not complete reads of %s inline here: nothing to check\n", path);
        rta_shutdown();
        unlink(path);
        return 77;
    }
    uint64_t spins = 0;
    CHECK_EQ(iotest_join(rta_spawn(reader, &spins)), 0);
    if (uring)
        CHECK(spins < (uint64_t)reads * 8);
    rta_shutdown();
    unlink(path);
    return 0;
}
