/*
 * Sizes read from the environment (RTA_WORKERS, RTA_STACK_SIZE, ...): one
 * parser for rta_init and for the engines that read their own settings
 * (src/sched/engine.h, the configure hook), so every variable accepts the
 * same forms and a bad one is refused with the same line.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>

/* Parses "123", "64K", "1M", "2G"; returns false on anything else. */
static bool parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    switch (toupper((unsigned char)*end)) {
    case 'K':
        v <<= 10;
        end++;
        break;
    case 'M':
        v <<= 20;
        end++;
        break;
    case 'G':
        v <<= 30;
        end++;
        break;
    default:
        break;
    }
    if (*end != '\0')
        return false;
    *out = (size_t)v;
    return true;
}

int rta__env_size(const char *name, size_t *out)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return 0;
    if (!parse_size(s, out)) {
        fprintf(stderr, "rtasync: %s=\"%s\" is not a size\n", name, s);
        return -EINVAL;
    }
    return 1;
}
