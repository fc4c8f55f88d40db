/* addr_locals: locals whose address is taken while an await can suspend.
 * cont and async1 keep them in a heap block the frame owns (the frame itself
 * moves between the stack and the heap), so the pointers stay valid across
 * awaits: a callee writes through a pointer after it suspended, a pointer to
 * a local is kept in another local over a loop of yields, an array and a
 * struct member are written through pointers across awaits, a parameter's
 * address is taken, names are shadowed, each recursion level has its own
 * block, and the block is freed on return, on a throw before and after a
 * suspension and inside the function's own RTA_TRY (valgrind and ASan
 * builds check nothing leaks). */
#include <rta.h>
#include <stdio.h>
#include <string.h>

typedef struct pair {
    int64_t a, b;
} pair;

/* Writes through out after it suspended. */
static RTA_ASYNC void put_later(int64_t *out, int64_t v)
{
    rta_yield();
    *out = v;
}

static RTA_ASYNC int64_t scalars(int64_t seed)
{
    int64_t x = seed;
    int64_t *p = &x; /* kept across the awaits below */
    put_later(&x, x + 1);
    for (int i = 0; i < 3; i++) {
        rta_yield();
        *p += 10;
    }
    const int64_t k = 5; /* a const one too */
    const int64_t *pk = &k;
    rta_yield();
    return x + *pk;
}

static RTA_ASYNC int64_t arrays(void)
{
    char buf[32];
    int64_t nums[4] = {1, 2, 3, 4};
    pair pr = {7, 8};
    int64_t *pb = &pr.b;
    snprintf(buf, sizeof buf, "n%lld", (long long)nums[3]);
    put_later(&nums[1], 20);
    put_later(pb, 80);
    rta_yield();
    size_t len = strlen(buf);
    printf("arrays: buf=%s len=%zu nums=%lld,%lld,%lld,%lld pair=%lld,%lld\n", buf, len, (long long)nums[0],
           (long long)nums[1], (long long)nums[2], (long long)nums[3], (long long)pr.a, (long long)pr.b);
    return nums[1] + pr.b;
}

static RTA_ASYNC int64_t param_addr(int64_t v)
{
    put_later(&v, v * 3);
    return v;
}

static RTA_ASYNC int64_t shadowed(void)
{
    int64_t x = 1, sum = 0;
    put_later(&x, 2);
    sum += x;
    {
        int64_t x = 100;
        put_later(&x, 300);
        sum += x;
    }
    for (int i = 0; i < 2; i++) {
        int64_t x = i;
        put_later(&x, x + 1000);
        sum += x;
    }
    return sum + x;
}

/* Every level's block is its own: a deeper level's writes do not reach it. */
static RTA_ASYNC int64_t levels(int64_t n)
{
    int64_t mine = n * 10;
    if (n > 0) {
        int64_t below = levels(n - 1);
        put_later(&mine, mine + 1);
        return mine + below;
    }
    put_later(&mine, mine + 1);
    return mine;
}

static RTA_ASYNC int64_t fails(int64_t after_suspend)
{
    int64_t x = 3;
    int64_t *p = &x;
    if (!after_suspend)
        rta_throw(-7, "before any suspension (x=%lld)", (long long)*p);
    put_later(p, 4);
    rta_throw(-8, "after a suspension (x=%lld)", (long long)*p);
}

static RTA_ASYNC int64_t catches(int64_t after_suspend)
{
    volatile int64_t r = 0;
    int64_t mine = 11;
    int64_t *pm = &mine;
    put_later(pm, 12);
    RTA_TRY { /* mine is not written in here: setjmp's rule */
        r = fails(after_suspend);
    }
    RTA_CATCH(e) {
        printf("catches: %d '%s' mine=%lld\n", rta_error_code(e), rta_error_message(e), (long long)*pm);
        r = -1;
    }
    RTA_END_TRY;
    put_later(pm, *pm + 1);
    return r + mine;
}

static RTA_ASYNC void void_fn(int64_t *total)
{
    int64_t step = 0;
    put_later(&step, 5);
    *total += step;
}

static RTA_ASYNC int64_t faulting(void *arg)
{
    int64_t here = (int64_t)(intptr_t)arg;
    int64_t *ph = &here;
    rta_yield();
    return fails(*ph + 1);
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    printf("scalars: %lld\n", (long long)scalars(4));
    printf("arrays: %lld\n", (long long)arrays());
    printf("param_addr: %lld\n", (long long)param_addr(6));
    printf("shadowed: %lld\n", (long long)shadowed());
    printf("levels: %lld\n", (long long)levels(4));
    printf("catches(0): %lld\n", (long long)catches(0));
    printf("catches(1): %lld\n", (long long)catches(1));
    int64_t total = 1;
    void_fn(&total);
    printf("void_fn: %lld\n", (long long)total);
    return total;
}

int main(void)
{
    if (rta_init(NULL) != 0)
        return 1;
    rta_task *t = rta_spawn(run, NULL);
    printf("result %lld\n", (long long)rta_task_wait(t, NULL));
    rta_task_release(t);
    /* An uncaught throw after a suspension faults the task (the block freed). */
    rta_task *f = rta_spawn(faulting, NULL);
    rta_error *err = NULL;
    rta_task_wait(f, &err);
    printf("faulting: %d '%s'\n", err ? rta_error_code(err) : 0, err ? rta_error_message(err) : "-");
    rta_error_free(err);
    rta_task_release(f);
    rta_shutdown();
    return 0;
}
