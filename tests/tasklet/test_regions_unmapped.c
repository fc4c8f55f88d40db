/* Stack regions given back at rta_shutdown leave no sanitizer state behind.
 * Under AddressSanitizer a tasklet's frames poison their redzones in the
 * shadow of the region's pages, and the frames a task is in when it
 * switches out for the last time never return to unpoison them. When the
 * region was unmapped with that shadow still poisoned, the next mapping at
 * those addresses (the symbolizer's mapping of the executable in a second
 * rta_init, in io_blocking) read as a stack-buffer overflow. Here: tasks
 * run nested frames with address-taken locals and suspend in them; after
 * rta_shutdown every page of the former regions around those frames that
 * nothing took meanwhile is mapped again and read byte by byte (an ASan
 * build reports a read of stale poison; other builds read zeros). */
#include <rta.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

enum { TASKS = 8 };
static uintptr_t frame_at[TASKS];

static __attribute__((noinline)) int64_t deep(long i, int depth)
{
    volatile char pad[40];
    memset((char *)pad, (int)i, sizeof pad);
    frame_at[i] = (uintptr_t)pad;
    if (depth > 0)
        return deep(i, depth - 1) + pad[3];
    rta_yield();
    rta_sleep_ms(1);
    return pad[0];
}

static int64_t task(void *arg)
{
    long i = (long)(intptr_t)arg;
    volatile char outer[24];
    outer[0] = 1;
    return deep(i, 3) + outer[0];
}

int main(void)
{
    CHECK_OK(rta_init(&(rta_config){.workers = 2}));
    rta_task *ts[TASKS];
    for (long i = 0; i < TASKS; i++)
        CHECK((ts[i] = rta_spawn(task, (void *)(intptr_t)i)) != NULL);
    for (long i = 0; i < TASKS; i++) {
        CHECK_EQ(rta_task_wait(ts[i], NULL), 4 * i + 1); /* deep: pad[0] + 3 * pad[3] */
        rta_task_release(ts[i]);
    }
    rta_shutdown();

    long page = sysconf(_SC_PAGESIZE), scanned = 0;
    for (int i = 0; i < TASKS; i++) {
        uintptr_t lo = (frame_at[i] & ~(uintptr_t)(page - 1)) - 16 * (uintptr_t)page;
        for (uintptr_t p = lo; p < lo + 32 * (uintptr_t)page; p += (uintptr_t)page) {
            void *m = mmap((void *)p, (size_t)page, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            /* Mapped again meanwhile (another region, the heap...): skipped. */
            if (m == MAP_FAILED)
                continue;
            /* A kernel without MAP_FIXED_NOREPLACE: not the page we asked. */
            if (m != (void *)p) {
                munmap(m, (size_t)page);
                continue;
            }
            const volatile char *b = m;
            long sum = 0;
            for (long k = 0; k < page; k++)
                sum += b[k];
            CHECK_EQ(sum, 0);
            munmap(m, (size_t)page);
            scanned++;
        }
    }
    if (scanned == 0) { /* no mapping could be placed at its address: nothing was checked */
        fprintf(stderr, "no former region page could be mapped again (MAP_FIXED_NOREPLACE)\n");
        return 77;
    }
    printf("ok (%ld pages of former regions read)\n", scanned);
    return 0;
}
