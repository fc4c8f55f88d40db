/* RTA_VALUETASK_POOLING=1 (the process-wide switch, read once) makes every
 * method with the plain value-task builder pool its boxes. The test forks two
 * children before anything reads the switch, one with and one without the
 * variable, and compares. (fork, not re-exec: under valgrind or qemu the
 * executable is the tool, not the test.) */
#include <rta.h>

#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

typedef struct y_sm {
    rta_async1_sm hdr;
} y_sm;
RTA_ASYNC1_METHOD(yielder, rta_vtask); /* no override: the plain value-task builder */
static void yielder_move_next(rta_async1_sm *m)
{
    RTA_ASYNC1_BEGIN(yielder, y_sm, sm, m);
    (void)sm;
    RTA_AWAIT1_YIELD();
    RTA_ASYNC1_RETURN(7);
    RTA_ASYNC1_END();
}
static rta_vtask yielder(void)
{
    y_sm sm;
    RTA_ASYNC1_START(yielder, &sm, yielder_move_next);
    return RTA_ASYNC1_TASK(yielder, &sm);
}

static int64_t root(void *arg)
{
    (void)arg;
    int64_t s = 0;
    for (int i = 0; i < 5; i++) {
        rta_vtask v = yielder();
        CHECK_EQ(rta_vtask_is_source(v), rta_async1_pooling_switch());
        s += rta_vtask_await(v);
    }
    return s;
}

static int child(bool on)
{
    CHECK_EQ(rta_async1_pooling_switch(), on);
    rta_config cfg = {.workers = 1};
    CHECK_OK(rta_init(&cfg));
    rta_task *t = rta_spawn(root, NULL);
    CHECK_EQ(rta_task_wait(t, NULL), 35);
    rta_task_release(t);
    rta_shutdown();
    rta_async1_stats st;
    RTA_ASYNC1_STATS(yielder, &st);
    CHECK_EQ(st.heap_moves, 5);
    if (on) {
        CHECK_EQ(st.pool_misses, 1);
        CHECK_EQ(st.pool_hits, 4);
    } else {
        CHECK_EQ(st.pool_misses + st.pool_hits, 0);
    }
    return 0;
}

static void run_child(bool on)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (on)
            setenv("RTA_VALUETASK_POOLING", "1", 1);
        else
            unsetenv("RTA_VALUETASK_POOLING");
        _exit(child(on));
    }
    int st = 0;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
}

int main(void)
{
    run_child(true);
    run_child(false);
    return 0;
}
