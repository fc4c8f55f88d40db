/* The smallest rtasync program: compile with
 *   cc $(pkg-config --cflags rtasync) hello.c $(pkg-config --libs rtasync)
 * A parent task awaits a child through a direct call that sleeps (the whole
 * chain suspends) and through a spawned task. */
#include <rta.h>
#include <stdio.h>

static int64_t child(void *arg)
{
    rta_sleep_ms(1);
    return (int64_t)(intptr_t)arg * 2;
}

/* RTA_NOINLINE: parent keeps its own frame, so it shows in async stack traces. */
static RTA_NOINLINE int64_t parent(void *arg)
{
    (void)arg;
    int64_t local = 30;
    int64_t *p = &local;    /* pointers to locals survive awaits */
    *p += child((void *)1); /* a direct call: the whole chain suspends */
    /* A spawned task, awaited with the form that releases it on both paths
     * (a NULL from a failed rta_spawn throws -EINVAL here, naming the call). */
    *p += rta_await_release(rta_spawn(child, (void *)5)) / 5;
    return local;
}

int main(void)
{
    int rc = rta_init(NULL);
    if (rc != 0) {
        fprintf(stderr, "rta_init: %s\n", rta_strerror(rc));
        return 1;
    }
    rta_task *t = rta_spawn(parent, NULL);
    if (!t) {
        perror("rta_spawn");
        rta_shutdown();
        return 1;
    }
    rta_error *err = NULL;
    int64_t v = rta_task_wait(t, &err);
    if (err) {
        fprintf(stderr, "parent failed: %s\n", rta_error_message(err));
        rta_error_free(err);
    }
    rta_task_release(t);
    rta_shutdown();
    printf("hello from rtasync: %lld\n", (long long)v);
    return v == 34 ? 0 : 1;
}
