/* structs: structs and arrays by value as parameters and locals live across
 * awaits, a struct holding an array, assigning a whole struct after an await,
 * a 2-D array indexed by awaited values. */
#include <rta.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    int64_t v[4];
    char name[8];
} vec;

struct pair {
    vec a, b;
};

static RTA_ASYNC int64_t id(int64_t v)
{
    rta_yield();
    return v;
}

static RTA_ASYNC int64_t dot(vec a, vec b)
{
    int64_t s = 0;
    for (int i = 0; i < 4; i++)
        s += id(a.v[i]) * b.v[i];
    return s + (int64_t)strlen(a.name) + (int64_t)strlen(b.name);
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    vec x = {{1, 2, 3, 4}, "x"};
    vec y = {{5, 6, 7, 8}, "yy"};
    struct pair p = {x, y};
    int64_t d = dot(x, y);
    p.a.v[id(0)] = id(10);
    x = p.a;
    int64_t grid[3][3] = {{0}};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            grid[id(i)][id(j)] = i * 3 + j;
    int64_t d2 = dot(x, p.b);
    printf("d=%lld d2=%lld x.v[0]=%lld grid[2][1]=%lld name=%s\n", (long long)d, (long long)d2,
           (long long)x.v[0], (long long)grid[2][1], p.b.name);
    return d + d2;
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
