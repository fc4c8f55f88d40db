/* blocks: nested blocks whose locals live across awaits at several depths,
 * a local declared after an await in an inner block and used after a later
 * one, variables declared in one statement with some live and some not,
 * and a block with no awaits between two that have them. */
#include <rta.h>
#include <stdio.h>

static RTA_ASYNC int64_t id(int64_t v)
{
    rta_yield();
    return v;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t out = 0;
    {
        int64_t a = 1, dead = 99, b = id(2);
        (void)dead;
        {
            int64_t c = id(a + b);
            {
                int64_t d = c * 2;
                int64_t e = id(d);
                out += a + b + c + d + e;
            }
            int64_t f = 3;
            out += f;
        }
        {
            int64_t g = 4, h = 5;
            out += g * h;
        }
        out += id(b);
    }
    printf("out=%lld\n", (long long)out);
    return out;
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
