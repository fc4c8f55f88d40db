/* tail: awaits followed by nothing but `return E;`. The cont lowering
 * finishes such a frame at its suspension when E is known there (locals and
 * literals: RTA__CONT_F_DONE, docs/rtac.md), and must not when E could
 * change while the frame is suspended: a global written by the awaited
 * code, a read through a pointer, an address-taken local (and, by rule, a
 * volatile one).
 * Every await here suspends; a frame finished too early returns the value
 * from before the await and the output differs. */
#include <rta.h>
#include <stdio.h>

static int64_t global = 1;

static RTA_ASYNC int64_t set_global_later(int64_t v)
{
    rta_yield();
    global = v;
    return v;
}

static void set_later_cb(int64_t *p, int64_t v)
{
    *p = v;
}

static RTA_ASYNC void set_ptr_later(int64_t *p, int64_t v)
{
    rta_yield();
    set_later_cb(p, v);
}

static RTA_ASYNC int64_t thrower(int64_t code)
{
    rta_yield();
    if (code)
        rta_throw((int)code, "thrown after a yield");
    return 0;
}

/* E of locals: finished at the yield, or resumed: the same value. */
static RTA_ASYNC int64_t leaf(int64_t n)
{
    int64_t k = n * 3;
    if (n > 1) {
        rta_yield();
    }
    return n * 2 + k + 1;
}

/* The yield on one branch only; x differs by branch. */
static RTA_ASYNC int64_t branchy(int64_t n)
{
    int64_t x = 10;
    if (n % 2)
        rta_yield();
    else
        x = 20;
    return x + n;
}

/* The awaited call's value is dropped; E is a parameter. */
static RTA_ASYNC int64_t dropped(int64_t n)
{
    set_global_later(n + 100);
    return n;
}

/* E reads a global the awaited code writes: must be read after it ran. */
static RTA_ASYNC int64_t reads_global(int64_t n)
{
    set_global_later(n);
    return global * 10 + n;
}

/* E reads through a pointer, and an address-taken local. */
static RTA_ASYNC int64_t reads_ptr(int64_t *p)
{
    set_ptr_later(p, 77);
    return *p + 1;
}

static RTA_ASYNC int64_t reads_addressed(int64_t n)
{
    int64_t v = n;
    set_ptr_later(&v, n + 5);
    return v;
}

static RTA_ASYNC int64_t reads_volatile(int64_t n)
{
    volatile int64_t v = n;
    rta_yield();
    return v;
}

static int64_t void_count;

static RTA_ASYNC void void_tail(int64_t n)
{
    void_count += n;
    rta_yield();
    return;
}

/* An error thrown by the callee passes a frame suspended at a tail await. */
static RTA_ASYNC int64_t through(int64_t code)
{
    thrower(code);
    return 5;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    int64_t sum = 0;
    for (int64_t i = 0; i < 4; i++)
        sum = sum * 100 + leaf(i);
    printf("leaf: %lld\n", (long long)sum);
    printf("branchy: %lld %lld\n", (long long)branchy(1), (long long)branchy(2));
    int64_t d = dropped(4);
    printf("dropped: %lld global %lld\n", (long long)d, (long long)global);
    printf("reads_global: %lld\n", (long long)reads_global(9));
    int64_t cell = 3;
    int64_t *pc = &cell;
    printf("reads_ptr: %lld\n", (long long)reads_ptr(pc));
    printf("reads_addressed: %lld\n", (long long)reads_addressed(6));
    printf("reads_volatile: %lld\n", (long long)reads_volatile(8));
    void_tail(2);
    void_tail(3);
    printf("void_tail: %lld\n", (long long)void_count);
    volatile int64_t r = 0; /* written after the try's setjmp */
    RTA_TRY {
        r = through(0);
        r += through(-5);
    }
    RTA_CATCH(e) {
        printf("through: caught %d after r=%lld\n", rta_error_code(e), (long long)r);
    }
    RTA_END_TRY;
    return sum;
}

int main(void)
{
    if (rta_init(NULL) != 0)
        return 1;
    rta_task *t = rta_spawn(run, NULL);
    int64_t r = rta_task_wait(t, NULL);
    rta_task_release(t);
    rta_shutdown();
    printf("result %lld\n", (long long)r);
    return 0;
}
