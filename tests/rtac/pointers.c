/* pointers: heap buffers and pointers into them live across awaits (a
 * cursor advanced after each await, pointer arithmetic and comparison), a
 * pointer parameter written through after the callee suspended, and a
 * function pointer (to an ordinary function) kept in the frame. */
#include <rta.h>
#include <stdio.h>
#include <stdlib.h>

static int64_t sq(int64_t v)
{
    return v * v;
}

static RTA_ASYNC int64_t fill(int64_t *out, int64_t n, int64_t (*f)(int64_t))
{
    for (int64_t i = 0; i < n; i++) {
        rta_yield();
        out[i] = f(i);
    }
    return n;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t *buf = malloc(16 * sizeof *buf);
    if (!buf)
        return -1;
    int64_t (*f)(int64_t) = sq;
    int64_t n = fill(buf, 16, f);
    int64_t sum = 0;
    for (int64_t *p = buf, *end = buf + n; p < end; p += 3) {
        rta_yield();
        sum += *p;
    }
    int64_t m = fill(buf + 8, 4, f);
    printf("n=%lld m=%lld sum=%lld buf[9]=%lld last=%lld\n", (long long)n, (long long)m, (long long)sum,
           (long long)buf[9], (long long)f(buf[3]));
    free(buf);
    return sum;
}

int main(void)
{
    if (rta_init(NULL) != 0)
        return 1;
    rta_task *t = rta_spawn(run, NULL);
    printf("result %lld\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
    rta_shutdown();
    return 0;
}
