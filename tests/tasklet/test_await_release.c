/* rta_await_release consumes the awaiting side's reference on every path:
 * value, thrown error, cancellation, a NULL handle, non-async caller. The
 * throwing path is the one `v = rta_await(t); rta_task_release(t);` leaks
 * on: under LeakSanitizer (ASan config) and memcheck (valgrind config) a
 * missed release is a reported leak; in plain builds the heap in use is
 * checked not to grow over many rounds. Also the cont form
 * (RTA_CONT_AWAIT_TASK_RELEASE) on both paths. */
#include <rta.h>

#include <errno.h>
#include <malloc.h>

#include "check.h"
#include "testutil.h"

#define ECODE (RTA_EUSER - 3)

static TEST_NOINLINE int64_t thrower(void *arg)
{
    rta_yield(); /* the awaiter suspends first */
    rta_throw(ECODE, "thrown by task %d", (int)(intptr_t)arg);
}

static int64_t value_fn(void *arg)
{
    rta_yield();
    return (intptr_t)arg;
}

static int64_t one_round(void *arg)
{
    intptr_t i = (intptr_t)arg;
    int64_t sum = rta_await_release(rta_spawn(value_fn, (void *)i));
    volatile int code = 0;
    RTA_TRY {
        sum += rta_await_release(rta_spawn(thrower, (void *)i));
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
    }
    RTA_END_TRY;
    CHECK_EQ(code, ECODE);
    /* Already faulted / canceled before the await: no suspension, same rule. */
    rta_task *p = rta_promise_new();
    CHECK(p);
    rta_promise_cancel(p);
    code = 0;
    RTA_TRY {
        rta_await_release(p);
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
    }
    RTA_END_TRY;
    CHECK_EQ(code, -ECANCELED);
    code = 0;
    RTA_TRY {
        rta_await_release(NULL);
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
        CHECK(strstr(rta_error_message(e), "rta_await_release") != NULL);
    }
    RTA_END_TRY;
    CHECK_EQ(code, -EINVAL);
    /* Inside a handler the await is refused, and the reference still goes. */
    code = 0;
    RTA_TRY {
        rta_throw(ECODE, "outer");
    }
    RTA_CATCH(e) {
        (void)e;
        RTA_TRY {
            rta_await_release(rta_task_from_value(1));
        }
        RTA_CATCH(e2) {
            code = rta_error_code(e2);
        }
        RTA_END_TRY;
    }
    RTA_END_TRY;
    CHECK_EQ(code, RTA_EINVALIDPROGRAM);
    return sum;
}

RTA_CONT_FN(cont_awaits, void *, arg)
{
    RTA_CONT_FRAME(cont_awaits, int64_t i; int64_t v; int64_t code;);
    F.i = (intptr_t)arg;
    RTA_CONT_AWAIT_TASK_RELEASE(F.v, rta_spawn(value_fn, (void *)(intptr_t)F.i));
    RTA_CONT_TRY {
        RTA_CONT_AWAIT_TASK_RELEASE(F.code, rta_spawn(thrower, NULL));
    }
    RTA_CONT_CATCH(e) {
        F.code = rta_error_code(e);
    }
    RTA_CONT_END_TRY;
    CHECK_EQ(F.code, ECODE);
    RTA_CONT_RETURN(F.v);
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks;
}

int main(void)
{
    /* Non-async caller: refused with RTA_ENOTASYNC, the reference consumed. */
    rta_task *p = rta_promise_new();
    volatile int code = 0;
    RTA_TRY {
        rta_await_release(p);
    }
    RTA_CATCH(e) {
        code = rta_error_code(e);
    }
    RTA_END_TRY;
    CHECK_EQ(code, RTA_ENOTASYNC);

    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    /* The heap in use grows until the free lists and caches fill (about
     * 2000 rounds here), then stays flat: measure over the second half. */
    long n = test_scaled(6000, 100);
    size_t before = 0;
    for (long i = 0; i < n; i++) {
        if (i == n / 2)
            before = heap_in_use();
        rta_task *t = rta_spawn(one_round, (void *)(intptr_t)i);
        CHECK_EQ(rta_task_wait(t, NULL), i);
        rta_task_release(t);
        t = rta_cont_spawn(cont_awaits, (void *)(intptr_t)i);
        CHECK_EQ(rta_task_wait(t, NULL), i);
        rta_task_release(t);
    }
    size_t after = heap_in_use();
    /* Leaking the thrower each round grows the heap by about 4.5 MB over
     * these 3000 rounds (about 1.5 KB a round, measured by swapping the
     * await for rta_await). Without a leak the growth is caches settling:
     * up to 65 KB was seen under qemu (aarch64 CI), so 64 KB was too tight.
     * 1 MB sits far from both. */
    if (n == 6000 && !RUNNING_ON_VALGRIND && !TEST_ASAN && after > before + 1024 * 1024) {
        fprintf(stderr, "heap grew from %zu to %zu bytes over %ld rounds\n", before, after, n);
        abort();
    }
    rta_shutdown();
    return 0;
}
