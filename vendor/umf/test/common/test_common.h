/*
 * A tiny test harness for the C tests: each test program runs its cases with
 * RUN_TEST and ends with TEST_SUMMARY(), which prints the counts and returns
 * nonzero when any check failed.
 */
#ifndef UMF_TEST_COMMON_H
#define UMF_TEST_COMMON_H 1

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf.h>

extern int umf_test_failures;
extern int umf_test_checks;
extern const char *umf_test_current;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        __atomic_fetch_add(&umf_test_checks, 1, __ATOMIC_RELAXED);                                 \
        if (!(cond)) {                                                                             \
            __atomic_fetch_add(&umf_test_failures, 1, __ATOMIC_RELAXED);                           \
            fprintf(stderr, "FAIL %s:%d [%s]: %s\n", __FILE__, __LINE__, umf_test_current, #cond); \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                      \
        __atomic_fetch_add(&umf_test_checks, 1, __ATOMIC_RELAXED);                                 \
        if (va_ != vb_) {                                                                          \
            __atomic_fetch_add(&umf_test_failures, 1, __ATOMIC_RELAXED);                           \
            fprintf(stderr, "FAIL %s:%d [%s]: %s == %s (%lld != %lld)\n", __FILE__, __LINE__,      \
                    umf_test_current, #a, #b, va_, vb_);                                           \
        }                                                                                          \
    } while (0)

#define CHECK_RESULT(call, expected) CHECK_EQ((call), (expected))
#define CHECK_OK(call) CHECK_EQ((call), UMF_RESULT_SUCCESS)

/* Stops the current test when cond fails (for preconditions later checks rely on).
 * cond is evaluated once. */
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        __atomic_fetch_add(&umf_test_checks, 1, __ATOMIC_RELAXED);                                 \
        if (!(cond)) {                                                                             \
            __atomic_fetch_add(&umf_test_failures, 1, __ATOMIC_RELAXED);                           \
            fprintf(stderr, "FAIL %s:%d [%s]: %s\n", __FILE__, __LINE__, umf_test_current, #cond); \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define RUN_TEST(fn)                                                                               \
    do {                                                                                           \
        umf_test_current = #fn;                                                                    \
        int before_ = umf_test_failures;                                                           \
        fn();                                                                                      \
        fprintf(stderr, "%s %s\n", umf_test_failures == before_ ? "ok" : "not ok", #fn);           \
    } while (0)

#define TEST_SUMMARY()                                                                             \
    (fprintf(stderr, "%d checks, %d failed\n", umf_test_checks, umf_test_failures),                \
     umf_test_failures ? 1 : 0)

/* A provider that counts calls and serves memory from malloc; see test_providers.c. */
#include "test_providers.h"

#endif
