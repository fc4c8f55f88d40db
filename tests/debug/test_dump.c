/* rta_dump_tasks over suspended tasks of every engine (fixture.h): each is
 * listed once with its engine, state, what it awaits and its async stack,
 * innermost first, by name and (where the build reads DWARF) file:line;
 * "awaited by" links; a completed task still held shows as such; a task
 * that finished and was released is gone. Then RTA_DUMP_SIGNAL=SIGUSR1: a
 * raised signal makes the watcher write the same dump to stderr. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "fixture.h"

static char dump[65536];

static void take_dump(void)
{
    FILE *m = fmemopen(dump, sizeof dump - 1, "w");
    CHECK(m);
    rta_dump_tasks(m);
    fclose(m);
}

/* The block of lines of task id (its header up to the next header). */
static const char *block(uint64_t id, char *out, size_t cap)
{
    char head[64];
    snprintf(head, sizeof head, "\ntask %llu ", (unsigned long long)id);
    const char *b = strstr(dump, head);
    if (!b) {
        fprintf(stderr, "task %llu not in the dump:\n%s", (unsigned long long)id, dump);
        abort();
    }
    b++;
    const char *e = strstr(b + 1, "\ntask ");
    const char *end = strstr(b + 1, "\nrtasync: end");
    if (!e || (end && end < e))
        e = end;
    size_t n = e ? (size_t)(e - b) + 1 : strlen(b);
    CHECK(n < cap);
    memcpy(out, b, n);
    out[n] = '\0';
    return out;
}

#define EXPECT_IN(hay, needle)                                                                               \
    do {                                                                                                     \
        if (!strstr((hay), (needle))) {                                                                      \
            fprintf(stderr, "%s:%d: \"%s\" not found in:\n%s\n", __FILE__, __LINE__, (needle), (hay));       \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

/* Frame #i of the block is `name`, at this file's line of marker (or of
 * marker2, if not NULL) when the build has line information. */
static void expect_frame2(const char *blk, int i, const char *name, const char *marker, const char *marker2)
{
    char want[256];
    snprintf(want, sizeof want, "    #%d %s ", i, name);
    const char *f = strstr(blk, want);
    if (!f) {
        snprintf(want, sizeof want, "    #%d %s\n", i, name);
        f = strstr(blk, want);
    }
    if (!f) {
        fprintf(stderr, "frame #%d %s not in:\n%s\n", i, name, blk);
        abort();
    }
#ifdef RTA_TEST_HAVE_LIBDW
    char at[128];
    snprintf(at, sizeof at, "fixture.h:%d\n", fixture_line(RTA_TEST_FIXTURE, marker));
    const char *eol = strchr(f, '\n');
    if (marker2 && (!strstr(f, at) || strstr(f, at) > eol))
        snprintf(at, sizeof at, "fixture.h:%d\n", fixture_line(RTA_TEST_FIXTURE, marker2));
    if (!strstr(f, at) || strstr(f, at) > eol) {
        fprintf(stderr, "frame #%d %s: expected at ...%s in:\n%s\n", i, name, at, blk);
        abort();
    }
#else
    (void)marker2;
    /* No DWARF reader: async1 frames still name the await's line. */
    if (strstr(name, "move_next")) {
        char at[64];
        snprintf(at, sizeof at, " at line %d\n", fixture_line(RTA_TEST_FIXTURE, marker));
        EXPECT_IN(f, at);
    }
#endif
}

static void expect_frame(const char *blk, int i, const char *name, const char *marker)
{
    expect_frame2(blk, i, name, marker, NULL);
}

static void check_dump(void)
{
    char b[4096];
    char want[128];

    /* tasklet: the C frames of the chain, the root last. */
    block(rta_task_id(FX.tasklet), b, sizeof b);
    snprintf(want, sizeof want, "tasklet suspended in fx_t_root: awaiting promise %llu, waiting ",
             (unsigned long long)rta_task_id(FX.p_tasklet));
    EXPECT_IN(b, want);
    expect_frame(b, 0, "fx_t_leaf", "FIX_LINE_T_LEAF");
    expect_frame(b, 1, "fx_t_mid", "FIX_LINE_T_MID");
    expect_frame(b, 2, "fx_t_root", "FIX_LINE_T_ROOT");
    CHECK(!strstr(b, "#3"));
    snprintf(want, sizeof want, "awaited by task %llu\n", (unsigned long long)rta_task_id(FX.tasklet_waiter));
    EXPECT_IN(b, want);

    block(rta_task_id(FX.tasklet_waiter), b, sizeof b);
    snprintf(want, sizeof want, "tasklet suspended in fx_t_waiter: awaiting task %llu",
             (unsigned long long)rta_task_id(FX.tasklet));
    EXPECT_IN(b, want);
    expect_frame(b, 0, "fx_t_waiter", "FIX_LINE_T_WAITER");

    /* cont: the continuation chain. */
    block(rta_task_id(FX.cont), b, sizeof b);
    snprintf(want, sizeof want, "cont suspended in fx_c_root: awaiting promise %llu, waiting ",
             (unsigned long long)rta_task_id(FX.p_cont));
    EXPECT_IN(b, want);
    /* clang's line table puts an await's resume point on the line of the
     * frame's dispatch (RTA_CONT_FRAME); gcc's on the await. */
    expect_frame2(b, 0, "fx_c_leaf", "FIX_LINE_C_LEAF", "FIX_LINE_C_FRAME");
    expect_frame(b, 1, "fx_c_mid", "FIX_LINE_C_MID");
    expect_frame(b, 2, "fx_c_root", "FIX_LINE_C_ROOT");

    /* async1: each method is a task; the outer awaits the inner. */
    block(rta_task_id(FX.async1_outer), b, sizeof b);
    EXPECT_IN(b, "async1 suspended in fx_a_outer_move_next: awaiting task ");
    expect_frame(b, 0, "fx_a_outer_move_next", "FIX_LINE_A_OUTER");
    uint64_t inner = 0;
    const char *a = strstr(b, "awaiting task ");
    CHECK(a && sscanf(a, "awaiting task %llu", (unsigned long long *)&inner) == 1);
    block(inner, b, sizeof b);
    snprintf(want, sizeof want, "async1 suspended in fx_a_inner_move_next: awaiting promise %llu",
             (unsigned long long)rta_task_id(FX.p_async1));
    EXPECT_IN(b, want);
    expect_frame(b, 0, "fx_a_inner_move_next", "FIX_LINE_A_INNER");
    snprintf(want, sizeof want, "awaited by task %llu\n", (unsigned long long)rta_task_id(FX.async1_outer));
    EXPECT_IN(b, want);

    /* Finished, handle still held. */
    block(rta_task_id(FX.done), b, sizeof b);
    EXPECT_IN(b, "tasklet completed-but-held in fx_t_done: succeeded\n");

    /* Header and trailer; exactly the fixture's tasks. */
    CHECK(strncmp(dump, "rtasync: task dump: 6 tasks\n", 28) == 0);
    EXPECT_IN(dump, "\nrtasync: end of task dump\n");
}

static int pipe_fd[2];
static char sigdump[65536];

static void *reader(void *arg)
{
    (void)arg;
    size_t len = 0;
    ssize_t n;
    while ((n = read(pipe_fd[0], sigdump + len, sizeof sigdump - 1 - len)) > 0) {
        len += (size_t)n;
        sigdump[len] = '\0';
        if (strstr(sigdump, "rtasync: end of task dump\n"))
            break;
    }
    return NULL;
}

int main(void)
{
    CHECK_OK(setenv("RTA_DUMP_SIGNAL", "SIGUSR1", 1));
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    fixture_start();
    take_dump();
    check_dump();

    /* The signal-triggered dump goes to stderr: catch it in a pipe. */
    fflush(stderr);
    int saved = dup(2);
    CHECK(saved >= 0);
    CHECK_OK(pipe(pipe_fd));
    CHECK(dup2(pipe_fd[1], 2) == 2);
    pthread_t th;
    CHECK_OK(pthread_create(&th, NULL, reader, NULL));
    CHECK_OK(raise(SIGUSR1));
    CHECK_OK(pthread_join(th, NULL));
    CHECK(dup2(saved, 2) == 2);
    close(saved);
    close(pipe_fd[0]);
    close(pipe_fd[1]);
    memcpy(dump, sigdump, sizeof dump);
    check_dump();

    fixture_finish();
    /* Released: nothing is left once the runtime has dropped its own
     * references too (just after each completion, on the workers). */
    for (;;) {
        take_dump();
        if (strncmp(dump, "rtasync: task dump: 0 tasks\n", 28) == 0)
            break;
        test_sleep_ms(1);
    }
    rta_shutdown();
    /* A bad signal name is refused by rta_init. */
    CHECK_OK(setenv("RTA_DUMP_SIGNAL", "SIGNOPE", 1));
    CHECK_EQ(rta_init(NULL), -EINVAL);
    return 0;
}
