/* files: rta_open, rta_pwrite and rta_pread in async2 code (cont: rtac
 * lowers them to rta_cont_open..., src/io/cont.c; async1 to awaits of
 * rta_async1_open..., src/io/async1.c; both got -ENOTSUP on a worker
 * before). A task creates a file, writes 1 MiB in 64 KiB pieces at their
 * offsets (last piece first: the offsets matter), reads it back in 4 KiB
 * pieces to its end (0 there), and checks it byte for byte; then an open
 * of a missing file and a pread on a bad descriptor. Each engine must print
 * the same. */
#include <rta.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOTAL (1 << 20)
#define CHUNK 65536

static char path[64];
/* heap: a cont frame moves, its locals' addresses do not last */
static unsigned char *data, *back;

static RTA_ASYNC int64_t roundtrip(void *arg)
{
    (void)arg;
    int fd = rta_open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return fd;
    for (int64_t off = TOTAL - CHUNK; off >= 0; off -= CHUNK) {
        ssize_t w = rta_pwrite(fd, data + off, CHUNK, off);
        if (w != CHUNK)
            return w < 0 ? w : -EIO;
    }
    int64_t got = 0;
    for (;;) {
        ssize_t r = rta_pread(fd, back + got, 4096, got);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        got += r;
    }
    rta_close(fd);
    return got == TOTAL && memcmp(data, back, TOTAL) == 0 ? got : -EIO;
}

static RTA_ASYNC int64_t errors(void *arg)
{
    (void)arg;
    int fd = rta_open("/nonexistent-rtasync-dir/x", O_RDONLY, 0);
    ssize_t r = rta_pread(-1, back, 1, 0);
    return (fd == -ENOENT ? 1 : 0) + (r == -EBADF ? 2 : 0);
}

int main(void)
{
    rta_config cfg = {.workers = 2};
    if (rta_init(&cfg) != 0)
        return 1;
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/rtac_files_XXXXXX", dir && strlen(dir) < 40 ? dir : "/tmp");
    int tmp = mkstemp(path);
    data = malloc(TOTAL);
    /* One read's worth more: the read that finds the end of the file is
     * given back + TOTAL, and qemu-user checks the whole range before the
     * system call (EFAULT under the AArch64 CI step) where Linux returns 0. */
    back = malloc(TOTAL + 4096);
    if (tmp < 0 || !data || !back)
        return 1;
    close(tmp);
    srand(7);
    for (int i = 0; i < TOTAL; i++)
        data[i] = (unsigned char)rand();
    rta_task *t = rta_spawn(roundtrip, NULL);
    printf("wrote and read back %lld bytes\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
    t = rta_spawn(errors, NULL);
    printf("missing file and bad descriptor: %lld (3: both said)\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
    unlink(path);
    free(data);
    free(back);
    rta_shutdown();
    return 0;
}
