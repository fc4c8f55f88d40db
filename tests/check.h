/*
 * Test assertions: print both operands and the place, then abort. Independent
 * of NDEBUG (never <assert.h>: a release build would empty those).
 */
#ifndef RTA_TEST_CHECK_H
#define RTA_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);                         \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

#define CHECK_EQ(a, b)                                                                                       \
    do {                                                                                                     \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                                      \
        if (check_a_ != check_b_) {                                                                          \
            fprintf(stderr, "%s:%d: CHECK_EQ(%s, %s) failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b,    \
                    check_a_, check_b_);                                                                     \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

#define CHECK_STREQ(a, b)                                                                                    \
    do {                                                                                                     \
        const char *check_a_ = (a), *check_b_ = (b);                                                         \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                                     \
            fprintf(stderr, "%s:%d: CHECK_STREQ(%s, %s) failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, \
                    #b, check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");                     \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

#define CHECK_OK(expr) CHECK_EQ((expr), 0)

#endif
