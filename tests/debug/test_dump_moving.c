/* A tasklet's async stack in rta_dump_tasks is read when the dump asks, not
 * recorded at each suspension (docs/debugging.md): from its region while it
 * is resident, from what its eviction recorded once another task took the
 * region. Checked here on one worker with one region, so that every task
 * that suspends evicts the one before:
 *  1. A suspends (root -> leaf, awaiting promise pa), B starts and evicts
 *     it: A's frames come from its eviction, B's from the region.
 *  2. pa resolves: A is copied back (evicting B) and awaits pa2 at another
 *     line: A's new stack from the region, B's from its eviction; neither
 *     shows the other's frames.
 *  3. Dumps taken while tasklets yield on two workers at depth 3, evicting
 *     one another, never show a torn stack: each task shows either no frames
 *     (it was running, or kept moving) or exactly its own three.
 *  4. A task compacted by the idle check (its copy of just the live bytes,
 *     its pages given back) shows its frames, read from that copy: the
 *     registry entry records none (issue 21). */
#include <rta.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testutil.h"

static rta_task *pa, *pa2, *pb;

static TEST_NOINLINE int64_t mv_a_leaf(int64_t x)
{
    int64_t v = rta_await(pa); /* LINE_A_LEAF */
    KEEP_FRAME();
    v += rta_await(pa2); /* LINE_A_LEAF2 */
    KEEP_FRAME();
    return v + x;
}
static TEST_NOINLINE int64_t mv_a_root(void *arg)
{
    int64_t v = mv_a_leaf((int64_t)(intptr_t)arg); /* LINE_A_ROOT */
    KEEP_FRAME();
    return v;
}
static TEST_NOINLINE int64_t mv_b_leaf(int64_t x)
{
    int64_t v = rta_await(pb); /* LINE_B_LEAF */
    KEEP_FRAME();
    return v + x;
}
static TEST_NOINLINE int64_t mv_b_root(void *arg)
{
    int64_t v = mv_b_leaf((int64_t)(intptr_t)arg); /* LINE_B_ROOT */
    KEEP_FRAME();
    return v;
}

/* ---- part 3: yielding tasks ---- */
static _Atomic int stop;
static _Atomic long yields;

static TEST_NOINLINE void mv_y_leaf(void)
{
    rta_yield();
    KEEP_FRAME();
}
static TEST_NOINLINE void mv_y_mid(void)
{
    mv_y_leaf();
    KEEP_FRAME();
}
static TEST_NOINLINE int64_t mv_y_root(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        mv_y_mid();
        atomic_fetch_add_explicit(&yields, 1, memory_order_relaxed);
        KEEP_FRAME();
    }
    return 0;
}

static char dump[1 << 16];

static void take_dump(void)
{
    FILE *m = fmemopen(dump, sizeof dump - 1, "w");
    CHECK(m);
    rta_dump_tasks(m);
    fclose(m);
}

/* Line of this file that holds marker (not this call's line). */
static __attribute__((unused)) int line_of(const char *marker)
{
    FILE *f = fopen(__FILE__, "r");
    CHECK(f);
    char buf[512];
    int n = 0, found = -1;
    while (fgets(buf, sizeof buf, f)) {
        n++;
        if (strstr(buf, marker) && !strstr(buf, "line_of")) {
            found = n;
            break;
        }
    }
    fclose(f);
    CHECK(found > 0);
    return found;
}

/* The lines of task id's block (its header up to the next header). */
static void block(rta_task *t, char *out, size_t cap)
{
    char head[64];
    snprintf(head, sizeof head, "\ntask %llu ", (unsigned long long)rta_task_id(t));
    const char *b = strstr(dump, head);
    if (!b) {
        fprintf(stderr, "task %llu not in the dump:\n%s", (unsigned long long)rta_task_id(t), dump);
        abort();
    }
    b++;
    const char *e = strstr(b, "\ntask ");
    const char *end = strstr(b, "\nrtasync: end");
    if (!e || (end && end < e))
        e = end;
    size_t n = e ? (size_t)(e - b) + 1 : strlen(b);
    CHECK(n < cap);
    memcpy(out, b, n);
    out[n] = '\0';
}

/* Frame #i of blk is `name`, at this file's line of marker when the build
 * reads DWARF. */
static void expect_frame(const char *blk, int i, const char *name, const char *marker)
{
    char want[256];
    snprintf(want, sizeof want, "    #%d %s", i, name);
    const char *f = strstr(blk, want);
    if (!f || (f[strlen(want)] != ' ' && f[strlen(want)] != '\n')) {
        fprintf(stderr, "frame #%d %s not in:\n%s\n", i, name, blk);
        abort();
    }
#ifdef RTA_TEST_HAVE_LIBDW
    char at[128];
    snprintf(at, sizeof at, "test_dump_moving.c:%d\n", line_of(marker));
    const char *eol = strchr(f, '\n');
    if (!strstr(f, at) || strstr(f, at) > eol) {
        fprintf(stderr, "frame #%d %s: expected at ...%s in:\n%s\n", i, name, at, blk);
        abort();
    }
#else
    (void)marker;
#endif
}

static uint64_t evictions(void)
{
    rta_stats s;
    rta_stats_get(&s);
    return s.evictions;
}

static uint64_t suspensions(void)
{
    rta_stats s;
    rta_stats_get(&s);
    return s.suspensions;
}

static void wait_suspensions(uint64_t n)
{
    while (suspensions() < n)
        test_sleep_ms(1);
}

static void evicted_and_resident(void)
{
    /* Counts evictions: no idle compaction emptying the region first. */
    CHECK_OK(rta_init(
        &(rta_config){.workers = 1, .regions_per_worker = 1, .idle_compact_ms = RTA_IDLE_COMPACT_OFF}));
    pa = rta_promise_new();
    pa2 = rta_promise_new();
    pb = rta_promise_new();
    CHECK(pa && pa2 && pb);
    char b[4096];

    rta_task *a = rta_spawn(mv_a_root, (void *)1);
    CHECK(a);
    wait_suspensions(1);
    CHECK_EQ(evictions(), 0);
    rta_task *bt = rta_spawn(mv_b_root, (void *)2);
    CHECK(bt);
    wait_suspensions(2);
    CHECK_EQ(evictions(), 1); /* B's start evicted A */

    take_dump();
    block(a, b, sizeof b);
    expect_frame(b, 0, "mv_a_leaf", "LINE_A_LEAF ");
    expect_frame(b, 1, "mv_a_root", "LINE_A_ROOT");
    CHECK(!strstr(b, "#2") && !strstr(b, "mv_b_"));
    block(bt, b, sizeof b);
    expect_frame(b, 0, "mv_b_leaf", "LINE_B_LEAF");
    expect_frame(b, 1, "mv_b_root", "LINE_B_ROOT");
    CHECK(!strstr(b, "#2") && !strstr(b, "mv_a_"));

    /* A comes back (B is evicted) and suspends at its second await. */
    CHECK(rta_promise_resolve(pa, 10));
    wait_suspensions(3);
    CHECK_EQ(evictions(), 2);
    take_dump();
    block(a, b, sizeof b);
    expect_frame(b, 0, "mv_a_leaf", "LINE_A_LEAF2");
    expect_frame(b, 1, "mv_a_root", "LINE_A_ROOT");
    CHECK(!strstr(b, "#2") && !strstr(b, "mv_b_"));
    block(bt, b, sizeof b);
    expect_frame(b, 0, "mv_b_leaf", "LINE_B_LEAF");
    expect_frame(b, 1, "mv_b_root", "LINE_B_ROOT");
    CHECK(!strstr(b, "#2") && !strstr(b, "mv_a_"));

    CHECK(rta_promise_resolve(pa2, 20));
    CHECK(rta_promise_resolve(pb, 30));
    CHECK_EQ(rta_task_wait(a, NULL), 31);
    CHECK_EQ(rta_task_wait(bt, NULL), 32);
    rta_task_release(a);
    rta_task_release(bt);
    rta_task_release(pa);
    rta_task_release(pa2);
    rta_task_release(pb);
    rta_shutdown();
}

/* Every frame line of every yielding task's block names one of its three
 * functions, innermost first; returns how many blocks showed all three. */
static int check_yielders(rta_task **ts, int n)
{
    static const char *names[] = {"mv_y_leaf", "mv_y_mid", "mv_y_root"};
    char b[4096];
    int full = 0;
    for (int i = 0; i < n; i++) {
        block(ts[i], b, sizeof b);
        int frames = 0;
        for (const char *p = strstr(b, "    #"); p; p = strstr(p + 1, "    #")) {
            char want[64];
            snprintf(want, sizeof want, "    #%d ", frames);
            if (frames >= 3 || strncmp(p, want, strlen(want)) != 0 ||
                strncmp(p + strlen(want), names[frames], strlen(names[frames])) != 0) {
                fprintf(stderr, "torn stack (frame %d) in:\n%s\n", frames, b);
                abort();
            }
            frames++;
        }
        CHECK(frames == 0 || frames == 3);
        full += frames == 3;
    }
    return full;
}

static void while_moving(void)
{
    enum { N = 6 };
    CHECK_OK(rta_init(&(rta_config){.workers = 2, .regions_per_worker = 2}));
    rta_task *ts[N];
    for (int i = 0; i < N; i++)
        CHECK(ts[i] = rta_spawn(mv_y_root, NULL));
    /* A task is listed from its first suspension on. */
    char head[64];
    snprintf(head, sizeof head, "rtasync: task dump: %d tasks\n", N);
    for (take_dump(); strncmp(dump, head, strlen(head)) != 0; take_dump())
        test_sleep_ms(1);
    long rounds = test_scaled(200, 5), full = 0;
    for (long r = 0; r < rounds; r++) {
        take_dump();
        full += check_yielders(ts, N);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(rta_task_wait(ts[i], NULL), 0);
        rta_task_release(ts[i]);
    }
    CHECK(full > 0); /* the lazy walk does read runnable tasks' stacks */
    printf("dumps while yielding: %ld rounds, %ld of %ld stacks complete, %ld yields, %llu evictions\n",
           rounds, full, rounds * (long)N, atomic_load(&yields), (unsigned long long)evictions());
    rta_shutdown();
}

static void compacted(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 1, .idle_compact_ms = 5}));
    pa = rta_promise_new();
    pa2 = rta_promise_new();
    CHECK(pa && pa2);
    rta_task *a = rta_spawn(mv_a_root, (void *)1);
    CHECK(a);
    for (;;) {
        rta_stats s;
        rta_stats_get(&s);
        if (s.compactions >= 1)
            break;
        test_sleep_ms(1);
    }
    char b[4096];
    take_dump();
    block(a, b, sizeof b);
    expect_frame(b, 0, "mv_a_leaf", "LINE_A_LEAF ");
    expect_frame(b, 1, "mv_a_root", "LINE_A_ROOT");
    CHECK(!strstr(b, "#2"));
    CHECK(rta_promise_resolve(pa, 10));
    CHECK(rta_promise_resolve(pa2, 20));
    CHECK_EQ(rta_task_wait(a, NULL), 31);
    rta_task_release(a);
    rta_task_release(pa);
    rta_task_release(pa2);
    rta_shutdown();
}

int main(void)
{
    evicted_and_resident();
    while_moving();
    compacted();
    return 0;
}
