/* spawn_cancel: a spawned task never takes its spawner's cancellation, on
 * every engine (issue 15; docs/io.md, "Cancellation"). The same program runs
 * as tasklet, cont and async1 code and must print the same lines.
 *
 * A parent spawns two children, each of which reads a socket nobody has
 * written to yet: one of the default builder (a task) and one of
 * RTA_BUILDER(vtask) (under async1 a value-task method: rta_spawn makes a
 * task of its value task). The parent is cancelled (its own read of a quiet
 * socket says -ECANCELED) either before it spawns, or after, while the
 * children's reads wait: under async1 those reads began inside rta_spawn, in
 * the children's synchronous start, which runs on the parent's thread and
 * stack. Then main writes a byte to each child: each child's read must
 * return it.
 * Parents: an async2 function (the engine's task) and a plain C function
 * (a tasklet on every engine, as rtahttpd's acceptor, which starts each
 * connection's task with rta_spawn and which its drain cancels).
 *
 * Under async1 before the fix, the vtask child's read said -ECANCELED in
 * three rounds (an async2 parent cancelled before or after it spawned, a
 * tasklet parent cancelled before): a value-task method started by
 * rta_spawn ran under its spawner's cancel scope, or, spawned by a tasklet,
 * asked the tasklet's flag (src/engine/async1/machine.c,
 * rta__async1_spawn_v). The cont build crashed in async_parent: rtac left
 * r out of the frame at `r->read = rta_read(...)` (tests/rtac/liveness.c).
 * Main waits for a parent only to know that it spawned; the output does not
 * depend on how far a child got before the cancel. */
#include <rta.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { ROUNDS = 4 };

typedef struct trial {
    const char *name;
    bool before; /* cancelled before it spawns (else after) */
    int first;   /* its children's sockets: kid[first], kid[first + 1] */
    rta_task *kids[2];
    int64_t read; /* the parent's own read */
    atomic_int spawned;
} trial;

static int quiet[2];           /* the parents' socket: nobody writes to it */
static int kid[2 * ROUNDS][2]; /* one pair per child */
static char pbuf[1];           /* not in a frame: cont frames move */
static char kbuf[2 * ROUNDS][1];

static void pause_ms(long ms)
{
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}

static const char *what(int64_t r)
{
    return r == -ECANCELED        ? "ECANCELED"
           : r >= 'a' && r <= 'z' ? "its byte"
           : r >= 0               ? "a result"
                                  : "an error";
}

static RTA_ASYNC int64_t child(void *arg)
{
    int i = (int)(intptr_t)arg;
    ssize_t r = rta_read(kid[i][1], kbuf[i], 1, RTA_FOREVER);
    return r == 1 ? kbuf[i][0] : r;
}

RTA_BUILDER(vtask) static RTA_ASYNC int64_t vchild(void *arg)
{
    int i = (int)(intptr_t)arg;
    ssize_t r = rta_read(kid[i][1], kbuf[i], 1, RTA_FOREVER);
    return r == 1 ? kbuf[i][0] : r;
}

/* The engine's task as the parent. In the "after" trial it yields first:
 * under async1, main's rta_spawn runs it up to there on main's thread, and
 * the children are to start on a worker, as rtahttpd's do. */
static RTA_ASYNC int64_t async_parent(void *arg)
{
    trial *r = arg;
    if (r->before)
        r->read = rta_read(quiet[1], pbuf, 1, RTA_FOREVER);
    else
        rta_yield();
    r->kids[0] = rta_spawn(child, (void *)(intptr_t)r->first);
    r->kids[1] = rta_spawn(vchild, (void *)(intptr_t)(r->first + 1));
    atomic_store(&r->spawned, 1);
    if (!r->before)
        r->read = rta_read(quiet[1], pbuf, 1, RTA_FOREVER);
    return 0;
}

/* A tasklet as the parent (a plain function: not lowered; its rta_read is
 * the tasklet's, its rta_spawn of the children the engine's). */
static int64_t tasklet_parent(void *arg)
{
    trial *r = arg;
    if (r->before)
        r->read = rta_read(quiet[1], pbuf, 1, RTA_FOREVER);
    r->kids[0] = rta_spawn(child, (void *)(intptr_t)r->first);
    r->kids[1] = rta_spawn(vchild, (void *)(intptr_t)(r->first + 1));
    atomic_store(&r->spawned, 1);
    if (!r->before)
        r->read = rta_read(quiet[1], pbuf, 1, RTA_FOREVER);
    return 0;
}

static void run_trial(trial *r, bool tasklet)
{
    rta_task *p = tasklet ? rta_spawn(tasklet_parent, r) : rta_spawn(async_parent, r);
    if (!p) {
        printf("%s: no parent\n", r->name);
        return;
    }
    if (!r->before)
        while (!atomic_load(&r->spawned))
            pause_ms(1);
    bool taken = rta_task_cancel(p);
    rta_task_wait(p, NULL);
    rta_task_release(p);
    printf("%s: cancel taken %s, the parent's read %s\n", r->name, taken ? "yes" : "no", what(r->read));
    for (int k = 0; k < 2; k++) {
        int i = r->first + k;
        char c = (char)('a' + i);
        if (write(kid[i][0], &c, 1) != 1)
            printf("%s: write failed\n", r->name);
        rta_task *t = r->kids[k];
        int64_t v = t ? rta_task_wait(t, NULL) : -1;
        printf("%s: %s child's read %s%s\n", r->name, k ? "vtask" : "task", what(v),
               v == c ? "" : " (not the byte written)");
        if (t)
            rta_task_release(t);
    }
}

int main(void)
{
    rta_config cfg = {.workers = 2};
    if (rta_init(&cfg) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, quiet) != 0)
        return 1;
    for (int i = 0; i < 2 * ROUNDS; i++)
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, kid[i]) != 0)
            return 1;
    trial trials[ROUNDS] = {
        {.name = "async parent, cancelled before it spawns", .before = true, .first = 0},
        {.name = "async parent, cancelled after", .before = false, .first = 2},
        {.name = "tasklet parent, cancelled before it spawns", .before = true, .first = 4},
        {.name = "tasklet parent, cancelled after", .before = false, .first = 6},
    };
    for (int i = 0; i < ROUNDS; i++)
        run_trial(&trials[i], i >= 2);
    for (int i = 0; i < 2 * ROUNDS; i++) {
        rta_close(kid[i][0]);
        rta_close(kid[i][1]);
    }
    rta_close(quiet[0]);
    rta_close(quiet[1]);
    rta_shutdown();
    return 0;
}
