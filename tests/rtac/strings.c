/* strings: char arrays live across awaits (initialised from a string
 * literal and from a brace list, read and written by index after awaits,
 * copied by value into a struct parameter), and a struct holding an array
 * passed by value to an async function. Their addresses are only taken
 * after the last await (printf): before one they would be refused (the
 * frame moves; docs/rtac.md). */
#include <rta.h>
#include <stdio.h>

struct name {
    char text[24];
    int64_t len;
};

static RTA_ASYNC int64_t upper(int64_t c)
{
    rta_yield();
    return c >= 'a' && c <= 'z' ? c - 32 : c;
}

static RTA_ASYNC int64_t name_sum(struct name n)
{
    rta_yield();
    int64_t s = 0;
    for (int64_t i = 0; i < n.len; i++)
        s += n.text[i];
    return s;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    char greeting[32] = "hello, world";
    char digits[4] = {'1', '2', '3', 0};
    for (int i = 0; greeting[i]; i++)
        if (i % 2 == 0)
            greeting[i] = (char)upper(greeting[i]);
    digits[1] = (char)upper('x');
    struct name n = {"async", 5};
    int64_t s = name_sum(n);
    n.text[0] = (char)upper(n.text[0]);
    printf("%s %s %s %lld\n", greeting, digits, n.text, (long long)s);
    return s;
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
