/* The example, verbatim in spirit: direct calls suspend the whole
 * chain, pointers to locals survive awaits, spawn + await of a child. */
#include <rta.h>

#include "check.h"

static int64_t child(void *arg)
{
    rta_sleep_ms(1);
    return (int64_t)(intptr_t)arg * 2;
}

static int64_t parent(void *arg)
{
    (void)arg;
    int64_t local = 30;
    int64_t *p = &local;
    *p += child((void *)1);
    rta_task *t = rta_spawn(child, (void *)5);
    *p += rta_await(t) / 5;
    rta_task_release(t);
    return local;
}

int main(void)
{
    CHECK_OK(rta_init(NULL));
    rta_task *t = rta_spawn(parent, NULL);
    CHECK(t != NULL);
    rta_error *err = NULL;
    int64_t v = rta_task_wait(t, &err);
    CHECK(err == NULL);
    CHECK_EQ(rta_task_status(t), RTA_SUCCEEDED);
    rta_task_release(t);
    rta_shutdown();
    CHECK_EQ(v, 34);
    return 0;
}
