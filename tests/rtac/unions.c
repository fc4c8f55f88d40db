/* unions: a union, an enum, a typedef'd struct with a nested struct and a
 * pointer member, and a double, all live across awaits; bit-fields read
 * after an await. */
#include <rta.h>
#include <stdio.h>

typedef enum { RED, GREEN, BLUE } color;

typedef union {
    int64_t i;
    double d;
} num;

typedef struct {
    struct {
        int x, y;
    } at;
    const char *label;
    unsigned flag : 1;
    unsigned count : 5;
} item;

static RTA_ASYNC int64_t id(int64_t v)
{
    rta_yield();
    return v;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    color c = GREEN;
    num n;
    n.d = 2.5;
    item it = {{3, 4}, "item", 1, 17};
    double scale = 1.5;
    int64_t k = id(2);
    n.d *= (double)k * scale;
    c = (color)(c + id(1));
    it.count += (unsigned)id(3);
    it.at.x += (int)id(it.at.y);
    printf("c=%d n=%.2f it={%d,%d,%s,%u,%u}\n", (int)c, n.d, it.at.x, it.at.y, it.label, (unsigned)it.flag,
           (unsigned)it.count);
    n.i = id(40) + 2;
    return n.i + c;
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
