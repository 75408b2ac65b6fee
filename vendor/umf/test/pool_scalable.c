/*
 * The scalable pool (tbbmalloc) through the public API: params, every allocation function,
 * aligned allocations, no trim, threads, umfFree/umfPoolByPtr, the counting test provider
 * and the OS provider, keep_all_memory and granularity, and the missing-library path
 * (UMF_TBBMALLOC_LIB_NAME in a child process).
 */
#include <umf/pools/pool_scalable.h>

#include "pool_alloc_checks.h"

static umf_memory_pool_handle_t sc_pool(umf_memory_provider_handle_t provider, umf_scalable_pool_params_handle_t prm,
                                        umf_result_t *rc) {
    return make_pool(umfScalablePoolOps(), provider, prm, rc);
}

static void test_ops_and_params(void) {
    const umf_memory_pool_ops_t *ops = umfScalablePoolOps();
    REQUIRE(ops != NULL);
    CHECK(ops == umfScalablePoolOps());
    CHECK_EQ(ops->version, UMF_POOL_OPS_VERSION_CURRENT);
    const char *name = NULL;
    CHECK_OK(ops->get_name(NULL, &name));
    CHECK(name != NULL && strcmp(name, "scalable") == 0);
    CHECK_EQ(ops->get_name(NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_scalable_pool_params_handle_t prm = NULL;
    CHECK_EQ(umfScalablePoolParamsCreate(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfScalablePoolParamsDestroy(NULL));
    CHECK_EQ(umfScalablePoolParamsSetGranularity(NULL, 4096), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfScalablePoolParamsSetKeepAllMemory(NULL, true), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfScalablePoolParamsSetName(NULL, "x"), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfScalablePoolParamsCreate(&prm));
    REQUIRE(prm != NULL);
    CHECK_EQ(umfScalablePoolParamsSetGranularity(prm, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfScalablePoolParamsSetGranularity(prm, 4096));
    CHECK_OK(umfScalablePoolParamsSetKeepAllMemory(prm, true));
    CHECK_OK(umfScalablePoolParamsSetKeepAllMemory(prm, false));
    CHECK_EQ(umfScalablePoolParamsSetName(prm, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfScalablePoolParamsSetName(prm, ""), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    char long_name[65];
    memset(long_name, 'n', 64);
    long_name[64] = '\0';
    CHECK_EQ(umfScalablePoolParamsSetName(prm, long_name), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    long_name[63] = '\0';
    CHECK_OK(umfScalablePoolParamsSetName(prm, long_name));
    CHECK_OK(umfScalablePoolParamsSetName(prm, "sc_custom"));

    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = counting_provider(&c);
    umf_result_t rc;
    umf_memory_pool_handle_t pool = sc_pool(prov, prm, &rc);
    CHECK_OK(rc);
    if (pool != NULL) {
        CHECK_OK(umfPoolGetName(pool, &name));
        CHECK(strcmp(name, "sc_custom") == 0);
        /* tbbmalloc cannot give a pool's cached memory back */
        CHECK_EQ(umfPoolTrimMemory(pool, 0), UMF_RESULT_ERROR_NOT_SUPPORTED);
        umfPoolDestroy(pool);
    }
    CHECK_OK(umfScalablePoolParamsDestroy(prm));
    pool = sc_pool(prov, NULL, &rc);
    CHECK_OK(rc);
    if (pool != NULL) {
        CHECK_OK(umfPoolGetName(pool, &name));
        CHECK(strcmp(name, "scalable") == 0);
        umfPoolDestroy(pool);
    }
    umfMemoryProviderDestroy(prov);
    CHECK_EQ(c.bytes_live, 0);
}

/* tbbmalloc hands bigger blocks than asked to its provider only through this pool's
 * pAlloc; "impossible" sizes are refused either by tbbmalloc or by the provider. */
static void check_impossible(umf_memory_pool_handle_t pool) {
    CHECK(umfPoolMalloc(pool, SIZE_MAX) == NULL);
    umf_result_t e = umfPoolGetLastAllocationError(pool);
    CHECK(e == UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY || e == UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
}

static void test_allocations_counting_provider(void) {
    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = counting_provider(&c);
    umf_result_t rc;
    umf_memory_pool_handle_t pool = sc_pool(prov, NULL, &rc);
    CHECK_OK(rc);
    REQUIRE(pool != NULL);
    check_malloc_sizes(pool);
    check_calloc(pool);
    check_realloc(pool);
    check_aligned(pool, (size_t)16 << 20);
    check_impossible(pool);
    CHECK(c.alloc_count > 0);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_EQ(c.bytes_live, 0);
    CHECK_EQ(c.alloc_count, c.free_count);
    umfMemoryProviderDestroy(prov);
}

static void test_allocations_os_provider(void) {
    umf_memory_provider_handle_t prov = os_provider();
    REQUIRE(prov != NULL);
    umf_result_t rc;
    umf_memory_pool_handle_t pool = sc_pool(prov, NULL, &rc);
    CHECK_OK(rc);
    if (pool != NULL) {
        check_malloc_sizes(pool);
        check_calloc(pool);
        check_realloc(pool);
        check_aligned(pool, (size_t)16 << 20);
        check_threads(pool);
        check_impossible(pool);
        umf_memory_provider_handle_t got = NULL;
        CHECK_OK(umfPoolGetMemoryProvider(pool, &got));
        CHECK(got == prov);
        CHECK_OK(umfPoolDestroy(pool));
    }
    umfMemoryProviderDestroy(prov);
}

static void test_threads(void) {
    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = counting_provider(&c);
    umf_result_t rc;
    umf_memory_pool_handle_t pool = sc_pool(prov, NULL, &rc);
    CHECK_OK(rc);
    if (pool != NULL) {
        check_threads(pool);
        CHECK_OK(umfPoolDestroy(pool));
    }
    CHECK_EQ(c.bytes_live, 0);
    umfMemoryProviderDestroy(prov);
}

static void test_granularity(void) {
    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = counting_provider(&c);
    umf_scalable_pool_params_handle_t prm = NULL;
    CHECK_OK(umfScalablePoolParamsCreate(&prm));
    CHECK_OK(umfScalablePoolParamsSetGranularity(prm, (size_t)16 << 20));
    umf_result_t rc;
    umf_memory_pool_handle_t pool = sc_pool(prov, prm, &rc);
    umfScalablePoolParamsDestroy(prm);
    CHECK_OK(rc);
    REQUIRE(pool != NULL);
    void *p = umfPoolMalloc(pool, 64);
    CHECK(p != NULL);
    /* the first block asked of the provider is at least the granularity */
    CHECK(c.bytes_live >= ((size_t)16 << 20));
    umfPoolFree(pool, p);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_EQ(c.bytes_live, 0);
    umfMemoryProviderDestroy(prov);
}

static void test_keep_all_memory(void) {
    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = counting_provider(&c);
    umf_scalable_pool_params_handle_t prm = NULL;
    CHECK_OK(umfScalablePoolParamsCreate(&prm));
    CHECK_OK(umfScalablePoolParamsSetKeepAllMemory(prm, true));
    umf_result_t rc;
    umf_memory_pool_handle_t pool = sc_pool(prov, prm, &rc);
    umfScalablePoolParamsDestroy(prm);
    CHECK_OK(rc);
    REQUIRE(pool != NULL);
    for (int round = 0; round < 4; round++) {
        void *big[8];
        for (int i = 0; i < 8; i++) {
            big[i] = umfPoolMalloc(pool, (size_t)(4 + i) << 20);
            CHECK(big[i] != NULL);
        }
        for (int i = 0; i < 8; i++) {
            umfPoolFree(pool, big[i]);
        }
    }
    /* nothing went back to the provider before the pool is destroyed */
    CHECK_EQ(c.free_count, 0);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_EQ(c.bytes_live, 0);
    umfMemoryProviderDestroy(prov);
}

static void test_provider_failures(void) {
    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = counting_provider(&c);
    umf_result_t rc;
    umf_memory_pool_handle_t pool = sc_pool(prov, NULL, &rc);
    CHECK_OK(rc);
    REQUIRE(pool != NULL);
    c.fail_next_allocs = 1000000;
    CHECK(umfPoolMalloc(pool, (size_t)64 << 20) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK(umfPoolAlignedMalloc(pool, (size_t)64 << 20, 4096) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK(umfPoolCalloc(pool, 1, (size_t)64 << 20) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    c.fail_next_allocs = 0;
    void *p = umfPoolMalloc(pool, (size_t)64 << 20);
    CHECK(p != NULL);
    umfPoolFree(pool, p);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_EQ(c.bytes_live, 0);
    umfMemoryProviderDestroy(prov);
}

/* In a child: create a pool and exit with the result. */
static int child_create(void) {
    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = NULL;
    if (umfMemoryProviderCreate(test_counting_provider_ops(), &c, &prov) != UMF_RESULT_SUCCESS) {
        return 100;
    }
    umf_memory_pool_handle_t pool = NULL;
    umf_result_t rc = umfPoolCreate(umfScalablePoolOps(), prov, NULL, 0, &pool);
    if (rc == UMF_RESULT_SUCCESS) {
        umfPoolDestroy(pool);
    }
    /* nothing of the provider's memory is left behind by a failed create */
    if (c.bytes_live != 0) {
        rc = 102;
    }
    umfMemoryProviderDestroy(prov);
    return (int)rc;
}

static void test_missing_library(void) {
    static const char *const quiet[] = {"UMF_TBBMALLOC_LIB_NAME=libtbbmalloc-missing-for-test.so.9", NULL};
    static const char *const unset[] = {"UMF_LOG", NULL};
    child_result_t r;
    run_child("child-create", quiet, unset, &r);
    CHECK(r.exited);
    CHECK_EQ(r.code, UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE);
    CHECK_EQ(strlen(r.err), 0); /* nothing printed unless UMF_LOG asks */
    static const char *const logged[] = {"UMF_TBBMALLOC_LIB_NAME=libtbbmalloc-missing-for-test.so.9",
                                         "UMF_LOG=level:error;output:stderr", NULL};
    run_child("child-create", logged, NULL, &r);
    CHECK(r.exited);
    CHECK_EQ(r.code, UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE);
    CHECK(strstr(r.err, "libtbbmalloc-missing-for-test.so.9") != NULL);
    CHECK(strstr(r.err, "libtbbmalloc2") != NULL);
    /* a library that exists but is not tbbmalloc */
    static const char *const wrong[] = {"UMF_TBBMALLOC_LIB_NAME=libm.so.6", NULL};
    run_child("child-create", wrong, unset, &r);
    CHECK(r.exited);
    CHECK_EQ(r.code, UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE);
    CHECK_EQ(strlen(r.err), 0);
    /* and the real one works from a fresh process too */
    run_child("child-create", NULL, unset, &r);
    CHECK(r.exited);
    CHECK_EQ(r.code, UMF_RESULT_SUCCESS);
}

static void test_two_pools(void) { check_two_pools(umfScalablePoolOps()); }

static void test_without_tracking(void) { check_without_tracking(umfScalablePoolOps()); }

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child-create") == 0) {
        return child_create();
    }
    RUN_TEST(test_ops_and_params);
    RUN_TEST(test_allocations_counting_provider);
    RUN_TEST(test_allocations_os_provider);
    RUN_TEST(test_threads);
    RUN_TEST(test_granularity);
    RUN_TEST(test_keep_all_memory);
    RUN_TEST(test_two_pools);
    RUN_TEST(test_provider_failures);
    RUN_TEST(test_without_tracking);
    RUN_TEST(test_missing_library);
    return TEST_SUMMARY();
}
