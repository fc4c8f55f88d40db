/* rta_shutdown while a thread outside the runtime is still inside it. A
 * foreign thread that resolves a promise resumes the awaiting tasklet by
 * pushing it onto its worker's inbox and then unparking that worker; in
 * between, the worker could run the task to completion, rta_task_wait
 * return, and rta_shutdown free the worker the foreign thread was about to
 * unpark (a use after free ThreadSanitizer reported, issue 20). Each round:
 * rta_init, a task awaiting a promise that a fresh pthread resolves,
 * rta_task_wait, rta_shutdown, then joining the pthread. Run under TSan and
 * ASan by scripts/test.sh; 300 rounds (30 under valgrind). */
#include <rta.h>

#include <pthread.h>

#include "check.h"
#include "testutil.h"

static int64_t awaiter(void *arg)
{
    return rta_await(arg) + 1;
}

static void *resolver(void *arg)
{
    CHECK(rta_promise_resolve(arg, 41));
    return NULL;
}

int main(void)
{
    int rounds = RUNNING_ON_VALGRIND ? 30 : 300;
    for (int i = 0; i < rounds; i++) {
        rta_config cfg = {.workers = 1 + (unsigned)(i % 2)};
        CHECK_OK(rta_init(&cfg));
        rta_task *p = rta_promise_new();
        CHECK(p);
        rta_task *t = rta_spawn(awaiter, p);
        CHECK(t);
        pthread_t th;
        CHECK_EQ(pthread_create(&th, NULL, resolver, p), 0);
        rta_error *e = NULL;
        CHECK_EQ(rta_task_wait(t, &e), 42);
        CHECK(e == NULL);
        rta_task_release(t);
        rta_shutdown(); /* may overlap the resolver's last steps */
        CHECK_EQ(pthread_join(th, NULL), 0);
        rta_task_release(p);
    }
    printf("%d rounds of shutdown racing a foreign resolver\n", rounds);
    return 0;
}
