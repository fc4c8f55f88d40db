/* io: rta_read and rta_write in async2 code (cont: rtac lowers them to
 * rta_cont_read / rta_cont_write, src/io/cont.c). A writer task pushes 1 MiB
 * through a socketpair whose buffer holds far less, so it suspends in
 * rta_write; a reader task on the other worker suspends in rta_read whenever
 * the socket is empty; both carry deadlines (their timers are armed on one
 * worker and the wait may end on the other). Then a read that times out, and
 * a read ended by rta_close from the main thread (not a worker). */
#include <rta.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define TOTAL (1 << 20)
#define CHUNK 65536

static int sv[2];
static uint64_t got_sum;

/* FNV-1a: order-sensitive, so a reordered or repeated piece shows. */
static uint64_t fnv(uint64_t h, unsigned char b)
{
    return (h ^ b) * 1099511628211u;
}

static RTA_ASYNC int64_t writer(void *arg)
{
    unsigned char *data = arg;
    int64_t done = 0;
    while (done < TOTAL) {
        ssize_t r = rta_write(sv[0], data + done, CHUNK, rta_after_ms(60000));
        if (r != CHUNK)
            return r < 0 ? r : -EIO;
        done += r;
    }
    rta_close(sv[0]);
    return done;
}

static RTA_ASYNC int64_t reader(void *arg)
{
    unsigned char *buf = arg; /* heap: a cont frame moves, its locals' addresses do not last */
    int64_t got = 0;
    uint64_t sum = 14695981039346656037u;
    for (;;) {
        ssize_t r = rta_read(sv[1], buf, 4096, rta_after_ms(60000));
        if (r < 0)
            return r;
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            sum = fnv(sum, buf[i]);
        got += r;
    }
    got_sum = sum;
    return got;
}

static RTA_ASYNC int64_t read_timeout(void *arg)
{
    ssize_t r = rta_read(sv[1], arg, 16, rta_after_ms(20));
    printf("read from a silent peer with a 20 ms deadline: %s\n", r == -ETIMEDOUT ? "ETIMEDOUT" : "other");
    return r;
}

static RTA_ASYNC int64_t read_closed(void *arg)
{
    ssize_t r = rta_read(sv[1], arg, 16, rta_after_ms(60000));
    /* ECANCELED when the close ended the wait; EBADF had it come first */
    printf("read ended by rta_close: %s\n", r == -ECANCELED || r == -EBADF ? "yes" : "no");
    return r;
}

int main(void)
{
    rta_config cfg = {.workers = 2};
    if (rta_init(&cfg) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return 1;
    int small = 16384;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    unsigned char *data = malloc(TOTAL), *buf = malloc(4096);
    uint64_t sum = 14695981039346656037u;
    for (int i = 0; i < TOTAL; i++) {
        data[i] = (unsigned char)(i * 7 + i / 4096);
        sum = fnv(sum, data[i]);
    }
    printf("sent checksum %016llx\n", (unsigned long long)sum);
    rta_task *r = rta_spawn(reader, buf);
    rta_task *w = rta_spawn(writer, data);
    printf("writer wrote %lld bytes\n", (long long)rta_task_wait(w, NULL));
    long long got = (long long)rta_task_wait(r, NULL);
    printf("reader got %lld bytes, checksum %016llx\n", got, (unsigned long long)got_sum);
    rta_task_release(w);
    rta_task_release(r);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    rta_task *t = rta_spawn(read_timeout, buf);
    rta_task_wait(t, NULL);
    rta_task_release(t);
    t = rta_spawn(read_closed, buf);
    struct timespec ms50 = {0, 50 * 1000000};
    nanosleep(&ms50, NULL);
    rta_close(sv[1]);
    rta_task_wait(t, NULL);
    rta_task_release(t);
    rta_close(sv[0]);
    free(data);
    free(buf);
    rta_shutdown();
    return 0;
}
