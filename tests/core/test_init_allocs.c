/* rta_init returns with every worker set up: an idle runtime allocates
 * nothing after it returned. Before, each worker allocated its signal stack
 * whenever its thread got going, which could be after rta_init returned and
 * inside a window a test counts (async1_suspend's "1 != 0", 3 of 300 runs).
 * Each round takes the count right after rta_init, lets the workers idle,
 * and counts again. */
#include <rta.h>

#include <time.h>

#include "alloc_hook.h"
#include "check.h"

int main(void)
{
    if (!alloc_counting())
        return 77; /* valgrind owns malloc: nothing to count here */
    for (int round = 0; round < 20; round++) {
        rta_config cfg = {.workers = 4};
        CHECK_OK(rta_init(&cfg));
        uint64_t a0 = allocs();
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL); /* the workers reach their idle loop */
        CHECK_ALLOCS(allocs() - a0, 0);
        rta_shutdown();
    }
    return 0;
}
