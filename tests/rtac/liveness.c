/* liveness: values live across an await must survive it, for every await.
 * The cont lowering saves and restores, at each await, only the frame
 * fields live across that await (RTA__CONT_LIVE, docs/rtac.md); a field it
 * wrongly leaves out comes back as zero (or as another await's value), so
 * every value here is nonzero and every await really suspends (a yield in
 * id(), or rta_yield()). Covered: a loop reading, before its await, a value
 * set before the loop; a backward goto; values dead at one await and live at
 * the next; a value used on one branch only; arrays and structs in the
 * frame; address-taken locals; temporaries of several awaits in one
 * expression; a switch; and try/catch: a variable assigned by the await
 * that throws keeps its value from before the await in the handler, and one
 * written between awaits in the try body is seen by the handler (try_dst_only
 * printed garbage before rtac kept such a variable in the frame); a value
 * stored through a pointer or at an index read as the await resumes. */
#include <rta.h>
#include <stdio.h>

typedef struct pair {
    int64_t lo, hi;
} pair;

static RTA_ASYNC int64_t id(int64_t v)
{
    rta_yield();
    return v;
}

static RTA_ASYNC int64_t fail_later(int64_t code)
{
    rta_yield();
    if (code != 0)
        rta_throw((int)code, "failed later (%lld)", (long long)code);
    return 1;
}

/* A value set before a loop and read, each iteration, before the await:
 * live across the await only through the loop. */
static RTA_ASYNC int64_t loop_before(int64_t n)
{
    int64_t seed = n * 11, acc = 0;
    for (int64_t i = 1; i <= 4; i++) {
        acc += seed * i;
        rta_yield();
    }
    int64_t w = 3, k = 0;
    while (k < 3) {
        acc += w;
        k = id(k + 1);
    }
    int64_t d = 5;
    do {
        acc += d;
    } while (id(acc) < 200);
    return acc;
}

/* A backward goto: g is read before the await on every round. */
static RTA_ASYNC int64_t goto_loop(int64_t g)
{
    int64_t cnt = 0, rounds = 0;
again:
    cnt += g;
    rounds++;
    rta_yield();
    if (cnt < 30)
        goto again;
    return cnt * 100 + rounds;
}

/* x is live across the first await only, y across both, z across the
 * second only (written between them). */
static RTA_ASYNC int64_t dead_then_live(int64_t n)
{
    int64_t x = n + 1, y = n + 2, z = 0;
    int64_t a = id(n);
    int64_t r = x * 1000 + a;
    z = n + 3;
    int64_t b = id(n + 10);
    return r + y * 100 + z * 10 + b;
}

/* only is read on one branch after the await; other on the other. */
static RTA_ASYNC int64_t one_branch(int64_t n)
{
    int64_t only = n * 7, other = n * 13;
    rta_yield();
    if (n % 2)
        return only;
    int64_t m = id(other);
    return m + other;
}

/* An array and a struct living in the frame across awaits. */
static RTA_ASYNC int64_t aggregates(int64_t n)
{
    int64_t arr[3] = {n, n * 2, n * 3};
    pair p = {n + 100, n + 200};
    int64_t s = id(arr[1]);
    s += arr[0] + arr[2];
    rta_yield();
    return s + p.lo + p.hi;
}

static void bump(int64_t *p, int64_t by)
{
    *p += by;
}

/* Address-taken locals (a heap block) beside frame fields. */
static RTA_ASYNC int64_t addressed(int64_t n)
{
    int64_t v = n, plain = n * 5;
    int64_t *pv = &v;
    rta_yield();
    bump(pv, 2);
    int64_t got = id(v);
    bump(&v, plain);
    rta_yield();
    return v * 10 + got + plain;
}

/* Temporaries: several awaits in one expression, each value read after the
 * awaits that follow it. */
static RTA_ASYNC int64_t temps(int64_t n)
{
    int64_t keep = n + 9;
    int64_t t = id(n) * 100 + id(n + 1) * 10 + id(n + 2);
    return t + keep * 1000;
}

/* A switch with an await in a case that falls through. */
static RTA_ASYNC int64_t switched(int64_t n)
{
    int64_t base = n * 4, r = 0;
    switch (n % 3) {
    case 0:
        r = id(base);
        /* fall through */
    case 1:
        rta_yield();
        r += base;
        break;
    default:
        r = base - id(1);
    }
    return r;
}

/* The handler reads v as it was before the await that threw (the await
 * would have written v), and stage as written between awaits. */
static RTA_ASYNC int64_t try_dst(int64_t code)
{
    /* volatile: written after the try's setjmp (C's rules; gcc's -Wclobbered) */
    volatile int64_t v = 5, stage = 1;
    RTA_TRY {
        v = fail_later(code);
    }
    RTA_CATCH(e) {
        printf("try_dst(%lld): caught %d, v=%lld\n", (long long)code, rta_error_code(e), (long long)v);
        v = v * 2;
    }
    RTA_END_TRY;
    RTA_TRY {
        rta_yield();
        stage = 2;
        int64_t w = fail_later(code);
        stage = 3 + w;
    }
    RTA_CATCH(e) {
        printf("try_dst(%lld): stage %lld\n", (long long)code, (long long)stage);
    }
    RTA_END_TRY;
    return v * 10 + stage;
}

/* v is read only by the handler of the await that would write it: still
 * live across that await (a plain C local before, garbage in the handler). */
static RTA_ASYNC int64_t try_dst_only(int64_t code)
{
    volatile int64_t v = 5;
    RTA_TRY {
        v = fail_later(code);
    }
    RTA_CATCH(e) {
        printf("try_dst_only(%lld): caught %d, v=%lld\n", (long long)code, rta_error_code(e), (long long)v);
    }
    RTA_END_TRY;
    return 1;
}

/* The await's value is stored through a pointer (or at an index) that the
 * statement names before the await but reads only as the await resumes:
 * p, a and i live across it. (rtac's cont build counted only what comes
 * after the start of the statement, and p and a start it: they were left
 * out of the frame, and the store went through garbage.) */
static RTA_ASYNC int64_t store_through(pair *p, int64_t v)
{
    p->hi = id(v);
    return 1;
}

static RTA_ASYNC int64_t store_indexed(int64_t *a, int64_t i, int64_t v)
{
    a[i] = id(v);
    return 1;
}

static RTA_ASYNC int64_t run(void *arg)
{
    (void)arg;
    printf("loop_before: %lld\n", (long long)loop_before(2));
    printf("goto_loop: %lld\n", (long long)goto_loop(7));
    printf("dead_then_live: %lld\n", (long long)dead_then_live(4));
    printf("one_branch: %lld %lld\n", (long long)one_branch(3), (long long)one_branch(4));
    printf("aggregates: %lld\n", (long long)aggregates(6));
    printf("addressed: %lld\n", (long long)addressed(3));
    printf("temps: %lld\n", (long long)temps(1));
    for (int64_t i = 3; i < 6; i++)
        printf("switched(%lld): %lld\n", (long long)i, (long long)switched(i));
    int64_t a = try_dst(-22);
    int64_t b = try_dst(0);
    printf("try_dst: %lld %lld\n", (long long)a, (long long)b);
    try_dst_only(-3);
    pair q = {1, 2};
    int64_t arr[3] = {3, 4, 5};
    int64_t ok = store_through(&q, 40) + store_indexed(arr, 1, 41);
    printf("stored: %lld %lld %lld %lld\n", (long long)ok, (long long)q.lo, (long long)q.hi,
           (long long)arr[1]);
    return 0;
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
