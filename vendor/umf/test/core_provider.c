/* The provider API: ops validation and versions, defaults for optional ops, argument checks,
 * last failed provider and native errors. */
#include <pthread.h>
#include <sys/mman.h>

#include "test_common.h"

static test_provider_counters_t counters;

static umf_memory_provider_handle_t make_counting(void) {
    memset(&counters, 0, sizeof(counters));
    umf_memory_provider_handle_t h = NULL;
    CHECK_OK(umfMemoryProviderCreate(test_counting_provider_ops(), &counters, &h));
    return h;
}

static void test_create_arguments(void) {
    umf_memory_provider_handle_t h = NULL;
    CHECK_RESULT(umfMemoryProviderCreate(NULL, &counters, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderCreate(test_counting_provider_ops(), &counters, NULL),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* the provider's own initialize refuses NULL params */
    CHECK_RESULT(umfMemoryProviderCreate(test_counting_provider_ops(), NULL, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(h == NULL);
    CHECK_OK(umfMemoryProviderDestroy(NULL));
}

static void test_ops_versions(void) {
    umf_memory_provider_ops_t ops = *test_counting_provider_ops();
    umf_memory_provider_handle_t h = NULL;

    ops.version = UMF_MAKE_VERSION(1, 0); /* a 1.0 table is upgraded */
    CHECK_OK(umfMemoryProviderCreate(&ops, &counters, &h));
    CHECK_OK(umfMemoryProviderDestroy(h));

    ops.version = UMF_MAKE_VERSION(1, 2);
    CHECK_RESULT(umfMemoryProviderCreate(&ops, &counters, &h), UMF_RESULT_ERROR_NOT_SUPPORTED);
    ops.version = UMF_MAKE_VERSION(2, 0);
    CHECK_RESULT(umfMemoryProviderCreate(&ops, &counters, &h), UMF_RESULT_ERROR_NOT_SUPPORTED);
    ops.version = UMF_MAKE_VERSION(0, 11);
    CHECK_RESULT(umfMemoryProviderCreate(&ops, &counters, &h), UMF_RESULT_ERROR_NOT_SUPPORTED);
}

static umf_result_t put_stub(void *provider, void *data) { return UMF_RESULT_SUCCESS; }

static void test_mandatory_ops(void) {
    umf_memory_provider_handle_t h = NULL;
    /* each mandatory op missing in turn */
    for (int i = 0; i < 8; i++) {
        umf_memory_provider_ops_t ops = *test_counting_provider_ops();
        switch (i) {
        case 0: ops.initialize = NULL; break;
        case 1: ops.finalize = NULL; break;
        case 2: ops.alloc = NULL; break;
        case 3: ops.free = NULL; break;
        case 4: ops.get_last_native_error = NULL; break;
        case 5: ops.get_recommended_page_size = NULL; break;
        case 6: ops.get_min_page_size = NULL; break;
        case 7: ops.get_name = NULL; break;
        }
        CHECK_RESULT(umfMemoryProviderCreate(&ops, &counters, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    }
    /* optional ops that belong together */
    umf_memory_provider_ops_t ops = *test_counting_provider_ops();
    ops.ext_allocation_merge = NULL;
    CHECK_RESULT(umfMemoryProviderCreate(&ops, &counters, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ops = *test_counting_provider_ops();
    ops.ext_put_ipc_handle = put_stub; /* 1 of the 5 IPC ops */
    CHECK_RESULT(umfMemoryProviderCreate(&ops, &counters, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
}

static void test_defaults_for_optional_ops(void) {
    umf_memory_provider_handle_t h = make_counting();
    REQUIRE(h != NULL);
    void *ptr = NULL;
    size_t size = 0;
    char data[64];
    int dummy;
    /* the counting provider has no purge, no IPC */
    CHECK_OK(umfMemoryProviderAlloc(h, 4096, 0, &ptr));
    REQUIRE(ptr != NULL);
    CHECK_RESULT(umfMemoryProviderPurgeLazy(h, ptr, 4096), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_RESULT(umfMemoryProviderPurgeForce(h, ptr, 4096), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_RESULT(umfMemoryProviderGetIPCHandleSize(h, &size), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_RESULT(umfMemoryProviderGetIPCHandle(h, ptr, 4096, data), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_RESULT(umfMemoryProviderPutIPCHandle(h, data), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_RESULT(umfMemoryProviderOpenIPCHandle(h, data, (void **)&dummy), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_RESULT(umfMemoryProviderCloseIPCHandle(h, ptr, 4096), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_OK(umfMemoryProviderFree(h, ptr, 4096));
    CHECK_OK(umfMemoryProviderDestroy(h));

    /* a provider without split/merge gets NOT_SUPPORTED defaults */
    umf_memory_provider_ops_t ops = *test_counting_provider_ops();
    ops.ext_allocation_split = NULL;
    ops.ext_allocation_merge = NULL;
    CHECK_OK(umfMemoryProviderCreate(&ops, &counters, &h));
    CHECK_OK(umfMemoryProviderAlloc(h, 8192, 0, &ptr));
    CHECK_RESULT(umfMemoryProviderAllocationSplit(h, ptr, 8192, 4096), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_RESULT(umfMemoryProviderAllocationMerge(h, ptr, (char *)ptr + 4096, 8192), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_OK(umfMemoryProviderFree(h, ptr, 8192));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_wrapper_argument_checks(void) {
    umf_memory_provider_handle_t h = make_counting();
    REQUIRE(h != NULL);
    void *ptr = NULL;
    size_t size = 0;
    const char *msg = NULL;
    int32_t err = 0;
    char data[8];
    const char *name = NULL;

    CHECK_RESULT(umfMemoryProviderAlloc(NULL, 64, 0, &ptr), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAlloc(h, 64, 0, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderFree(NULL, data, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetLastNativeError(NULL, &msg, &err), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetLastNativeError(h, NULL, &err), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetLastNativeError(h, &msg, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetRecommendedPageSize(NULL, 64, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetRecommendedPageSize(h, 64, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetMinPageSize(NULL, NULL, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetMinPageSize(h, NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderPurgeLazy(NULL, data, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderPurgeLazy(h, NULL, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderPurgeForce(NULL, data, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderPurgeForce(h, NULL, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetIPCHandleSize(NULL, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetIPCHandleSize(h, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetIPCHandle(NULL, data, 8, data), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetIPCHandle(h, NULL, 8, data), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetIPCHandle(h, data, 0, data), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetIPCHandle(h, data, 8, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderPutIPCHandle(NULL, data), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderPutIPCHandle(h, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderOpenIPCHandle(NULL, data, &ptr), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderOpenIPCHandle(h, NULL, &ptr), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderOpenIPCHandle(h, data, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderCloseIPCHandle(NULL, data, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderCloseIPCHandle(h, NULL, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderCloseIPCHandle(h, data, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetName(NULL, &name), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetName(h, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetLastFailedMemoryProvider(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* split: 0 < firstSize < totalSize */
    CHECK_RESULT(umfMemoryProviderAllocationSplit(NULL, data, 8, 4), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationSplit(h, NULL, 8, 4), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationSplit(h, data, 8, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationSplit(h, data, 8, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationSplit(h, data, 8, 9), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* merge: both pointers, low < high, high - low < totalSize */
    CHECK_RESULT(umfMemoryProviderAllocationMerge(NULL, data, data + 4, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationMerge(h, NULL, data + 4, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationMerge(h, data, NULL, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationMerge(h, data, data + 4, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationMerge(h, data + 4, data, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationMerge(h, data, data, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationMerge(h, data, data + 8, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(counters.split_count + counters.merge_count, 0); /* nothing reached the provider */
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_round_trip(void) {
    umf_memory_provider_handle_t h = make_counting();
    REQUIRE(h != NULL);
    const char *name = NULL;
    CHECK_OK(umfMemoryProviderGetName(h, &name));
    CHECK(name && strcmp(name, "test_counting") == 0);
    size_t page = 0;
    CHECK_OK(umfMemoryProviderGetRecommendedPageSize(h, 100, &page));
    CHECK_EQ(page, 4096);
    CHECK_OK(umfMemoryProviderGetMinPageSize(h, NULL, &page));
    CHECK_EQ(page, 4096);
    void *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 3 * 4096, 65536, &ptr));
    CHECK(ptr != NULL && ((uintptr_t)ptr % 65536) == 0);
    memset(ptr, 0xab, 3 * 4096);
    CHECK_OK(umfMemoryProviderAllocationSplit(h, ptr, 3 * 4096, 4096));
    CHECK_OK(umfMemoryProviderAllocationMerge(h, ptr, (char *)ptr + 4096, 3 * 4096));
    CHECK_EQ(counters.split_count, 1);
    CHECK_EQ(counters.merge_count, 1);
    CHECK_OK(umfMemoryProviderFree(h, ptr, 3 * 4096));
    CHECK_EQ(counters.alloc_count, 1);
    CHECK_EQ(counters.free_count, 1);
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void *other_thread_last_failed(void *arg) {
    umf_memory_provider_handle_t seen = (umf_memory_provider_handle_t)1;
    umfGetLastFailedMemoryProvider(&seen);
    return seen;
}

static void test_last_failed_provider(void) {
    umf_memory_provider_handle_t h = make_counting();
    REQUIRE(h != NULL);
    umf_memory_provider_handle_t failed = NULL;
    void *ptr = NULL;
    counters.fail_next_allocs = 1;
    CHECK_RESULT(umfMemoryProviderAlloc(h, 4096, 0, &ptr), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK_OK(umfGetLastFailedMemoryProvider(&failed));
    CHECK(failed == h);
    /* per thread: another thread has seen no failure */
    pthread_t t;
    void *seen = NULL;
    pthread_create(&t, NULL, other_thread_last_failed, NULL);
    pthread_join(t, &seen);
    CHECK(seen == NULL);
    /* a success does not clear it; destroying the provider does */
    CHECK_OK(umfMemoryProviderAlloc(h, 4096, 0, &ptr));
    CHECK_OK(umfGetLastFailedMemoryProvider(&failed));
    CHECK(failed == h);
    CHECK_OK(umfMemoryProviderFree(h, ptr, 4096));
    CHECK_OK(umfMemoryProviderDestroy(h));
    CHECK_OK(umfGetLastFailedMemoryProvider(&failed));
    CHECK(failed == NULL);
}

/* A provider whose post_initialize fails: creation must fail and finalize run. */
static int finalized;
static umf_result_t failing_ctl(void *p, umf_ctl_query_source_t source, const char *name, void *arg, size_t size,
                                umf_ctl_query_type_t type, va_list args) {
    if (strcmp(name, "post_initialize") == 0 && type == CTL_QUERY_RUNNABLE) {
        return UMF_RESULT_ERROR_OUT_OF_RESOURCES;
    }
    return UMF_RESULT_ERROR_INVALID_CTL_PATH;
}
static umf_result_t counting_finalize(void *p) {
    finalized++;
    return UMF_RESULT_SUCCESS;
}

static void test_post_initialize(void) {
    umf_memory_provider_ops_t ops = *test_counting_provider_ops();
    ops.ext_ctl = failing_ctl;
    ops.finalize = counting_finalize;
    umf_memory_provider_handle_t h = NULL;
    finalized = 0;
    CHECK_RESULT(umfMemoryProviderCreate(&ops, &counters, &h), UMF_RESULT_ERROR_OUT_OF_RESOURCES);
    CHECK(h == NULL);
    CHECK_EQ(finalized, 1);
    /* a 1.0 table has no post_initialize step */
    ops.version = UMF_MAKE_VERSION(1, 0);
    CHECK_OK(umfMemoryProviderCreate(&ops, &counters, &h));
    CHECK_OK(umfMemoryProviderDestroy(h));
    CHECK_EQ(finalized, 2);
}

int main(void) {
    RUN_TEST(test_create_arguments);
    RUN_TEST(test_ops_versions);
    RUN_TEST(test_mandatory_ops);
    RUN_TEST(test_defaults_for_optional_ops);
    RUN_TEST(test_wrapper_argument_checks);
    RUN_TEST(test_round_trip);
    RUN_TEST(test_last_failed_provider);
    RUN_TEST(test_post_initialize);
    return TEST_SUMMARY();
}
