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

static int64_t parent(void *arg)
{
    (void)arg;
    int64_t local = 30;
    int64_t *p = &local;             /* pointers to locals survive awaits */
    *p += child((void *)1);          /* a direct call: the whole chain suspends */
    rta_task *t = rta_spawn(child, (void *)5);
    *p += rta_await(t) / 5;
    rta_task_release(t);
    return local;
}

int main(void)
{
    if (rta_init(NULL) != 0)
        return 1;
    rta_task *t = rta_spawn(parent, NULL);
    rta_error *err = NULL;
    int64_t v = rta_task_wait(t, &err);
    rta_task_release(t);
    rta_shutdown();
    printf("hello from rtasync: %lld\n", (long long)v);
    return v == 34 ? 0 : 1;
}
