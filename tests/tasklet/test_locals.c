/* Pointers to locals and multi-KiB stack arrays stay valid across awaits,
 * also when the task's stack was evicted from its region by other tasks and
 * copied back: many tasks interleave on one worker with 1 or 2 regions, the
 * statistics prove evictions and restores happened, and every task checks its
 * patterns and that its locals kept their addresses. */
#include <rta.h>

#include <stdatomic.h>

#include "check.h"
#include "testutil.h"

#define BUF_BYTES 8192
#define ROUNDS 12

typedef struct ctx {
    int index;
    rta_task *gate; /* a shared promise some rounds await */
} ctx;

static unsigned char pattern(int task, int level, size_t i)
{
    return (unsigned char)((unsigned)task * 131u + (unsigned)level * 17u + (unsigned)i * 7u + 1u);
}

static void fill(unsigned char *buf, size_t n, int task, int level)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = pattern(task, level, i);
}

static void verify(const unsigned char *buf, size_t n, int task, int level)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != pattern(task, level, i)) {
            fprintf(stderr, "task %d level %d: byte %zu is %u, expected %u\n", task, level, i, buf[i],
                    pattern(task, level, i));
            abort();
        }
    }
}

/* Suspends in one of several ways (all of them let the other tasks run and
 * take the region). */
static void suspend_somehow(ctx *c, int round)
{
    switch ((round + c->index) % 3) {
    case 0:
        rta_yield();
        break;
    case 1:
        rta_sleep_ms(1);
        break;
    default:
        CHECK_EQ(rta_await(c->gate), 7);
        break;
    }
}

/* Writes through pointers into its callers' frames after each suspension. */
static TEST_NOINLINE int64_t inner(ctx *c, unsigned char *outer_buf, int64_t *outer_counter,
                                   unsigned char **addr_slot)
{
    unsigned char buf[BUF_BYTES / 2];
    unsigned char *volatile self = buf; /* the address this frame had before any await */
    fill(buf, sizeof buf, c->index, 2);
    *addr_slot = buf;
    for (int r = 0; r < ROUNDS; r++) {
        suspend_somehow(c, r);
        CHECK(self == buf);
        verify(buf, sizeof buf, c->index, 2);
        verify(outer_buf, BUF_BYTES, c->index, 1);
        (*outer_counter)++;
        /* rewrite part of the caller's buffer through the pointer, then restore it */
        outer_buf[r] ^= 0xff;
        rta_yield();
        outer_buf[r] ^= 0xff;
    }
    KEEP_FRAME();
    return (int64_t)buf[100];
}

static int64_t task_fn(void *arg)
{
    ctx *c = arg;
    unsigned char buf[BUF_BYTES];
    int64_t counter = 0;
    int64_t *pc = &counter;
    unsigned char *inner_addr = NULL;
    unsigned char *volatile self = buf;
    fill(buf, sizeof buf, c->index, 1);
    int64_t v = inner(c, buf, pc, &inner_addr);
    CHECK(self == buf);
    CHECK(pc == &counter);
    CHECK_EQ(counter, ROUNDS);
    CHECK_EQ(v, pattern(c->index, 2, 100));
    verify(buf, sizeof buf, c->index, 1);
    /* The inner frame sat below ours. */
    CHECK(inner_addr < buf);
    rta_sleep_ms(1);
    verify(buf, sizeof buf, c->index, 1);
    return c->index * 1000 + counter;
}

static void run(unsigned regions, int ntasks)
{
    /* Counts evictions: no idle compaction moving stacks meanwhile. */
    rta_config cfg = {.workers = 1, .regions_per_worker = regions, .idle_compact_ms = RTA_IDLE_COMPACT_OFF};
    CHECK_OK(rta_init(&cfg));
    rta_stats before;
    rta_stats_get(&before);
    CHECK_EQ(before.evictions, 0);

    ctx *cs = calloc((size_t)ntasks, sizeof *cs);
    rta_task **ts = calloc((size_t)ntasks, sizeof *ts);
    rta_task *gate = rta_promise_new();
    CHECK(cs && ts && gate);
    for (int i = 0; i < ntasks; i++) {
        cs[i] = (ctx){.index = i, .gate = gate};
        ts[i] = rta_spawn(task_fn, &cs[i]);
        CHECK(ts[i] != NULL);
    }
    /* Let the tasks pile up on the gate (and on each other's regions). */
    test_sleep_ms(20);
    CHECK(rta_promise_resolve(gate, 7));
    for (int i = 0; i < ntasks; i++) {
        rta_error *err = NULL;
        int64_t v = rta_task_wait(ts[i], &err);
        if (err)
            fprintf(stderr, "task %d: %s\n", i, rta_error_message(err));
        CHECK(err == NULL);
        CHECK_EQ(v, i * 1000 + ROUNDS);
        rta_task_release(ts[i]);
    }
    rta_stats after;
    rta_stats_get(&after);
    printf("regions=%u tasks=%d: suspensions=%llu evictions=%llu restored=%llu resident=%llu "
           "bytes_copied=%llu\n",
           regions, ntasks, (unsigned long long)after.suspensions, (unsigned long long)after.evictions,
           (unsigned long long)after.resumes_restored, (unsigned long long)after.resumes_resident,
           (unsigned long long)after.bytes_copied);
    fflush(stdout);
    CHECK(after.evictions > 0);
    CHECK(after.resumes_restored > 0);
    /* Every eviction copied at least the two buffers out. */
    CHECK(after.bytes_copied >= after.evictions * (BUF_BYTES + BUF_BYTES / 2));
    CHECK(after.suspensions >= (uint64_t)ntasks * ROUNDS); /* a yield per round at least */
    rta_task_release(gate);
    rta_shutdown();
    free(cs);
    free(ts);
}

int main(void)
{
    int n = (int)test_scaled(32, 6);
    run(1, n);
    run(2, n);
    return 0;
}
