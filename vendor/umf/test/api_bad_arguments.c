/*
 * UMF 1.1's answers to bad arguments, function by function across the core API (providers, pools,
 * tracking, memory properties, IPC) and the built-in pools and providers: NULL handles, NULL
 * out-parameters, zero sizes, bad alignments, out-of-range ids, handles of the wrong kind. Each
 * expectation is what UMF 1.1 returns (reference: umf-1.1-api.md section 2), so a program written
 * against UMF sees the same codes here.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <umf/experimental/memory_properties.h>
#include <umf/ipc.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_proxy.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_devdax_memory.h>
#include <umf/providers/provider_file_memory.h>
#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "test_common.h"

/* An OS provider with default params (NULL when it cannot be made: the callers' checks then fail). */
static umf_memory_provider_handle_t os_provider(void) {
    umf_os_memory_provider_params_handle_t prm = NULL;
    umf_memory_provider_handle_t h = NULL;
    if (umfOsMemoryProviderParamsCreate(&prm) == UMF_RESULT_SUCCESS) {
        CHECK_OK(umfMemoryProviderCreate(umfOsMemoryProviderOps(), prm, &h));
        umfOsMemoryProviderParamsDestroy(prm);
    }
    CHECK(h != NULL);
    return h;
}

static void test_provider_wrappers(void) {
    umf_memory_provider_handle_t out = NULL;
    CHECK_RESULT(umfMemoryProviderCreate(NULL, NULL, &out), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderCreate(umfOsMemoryProviderOps(), NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* the OS provider needs its params */
    CHECK_RESULT(umfMemoryProviderCreate(umfOsMemoryProviderOps(), NULL, &out), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* an ops struct of another major version */
    umf_memory_provider_ops_t ops = *umfOsMemoryProviderOps();
    ops.version = UMF_MAKE_VERSION(2, 0);
    CHECK_RESULT(umfMemoryProviderCreate(&ops, NULL, &out), UMF_RESULT_ERROR_NOT_SUPPORTED);
    /* a mandatory op missing */
    ops = *umfOsMemoryProviderOps();
    ops.alloc = NULL;
    CHECK_RESULT(umfMemoryProviderCreate(&ops, NULL, &out), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* split without merge */
    ops = *umfOsMemoryProviderOps();
    ops.ext_allocation_merge = NULL;
    CHECK_RESULT(umfMemoryProviderCreate(&ops, NULL, &out), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderDestroy(NULL));

    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *ptr = NULL;
    const char *name = NULL;
    CHECK_RESULT(umfMemoryProviderAlloc(NULL, page, 0, &ptr), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderFree(NULL, NULL, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetName(NULL, &name), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_memory_provider_handle_t h = os_provider();
    CHECK_RESULT(umfMemoryProviderAlloc(h, page, 0, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetName(h, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderPurgeLazy(h, NULL, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderPurgeForce(h, NULL, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderAlloc(h, 4 * page, 0, &ptr));
    char *p = ptr;
    /* split: 0 < firstSize < totalSize */
    CHECK_RESULT(umfMemoryProviderAllocationSplit(h, NULL, 4 * page, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationSplit(h, p, 4 * page, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationSplit(h, p, 4 * page, 4 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* merge: both pointers, totalSize != 0, low < high, high - low < totalSize */
    CHECK_RESULT(umfMemoryProviderAllocationMerge(h, NULL, p + page, 2 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationMerge(h, p, NULL, 2 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationMerge(h, p, p + page, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationMerge(h, p + page, p, 2 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderAllocationMerge(h, p, p + 2 * page, 2 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* IPC wrappers: the OS provider is private here, but the argument checks come first */
    char data[64];
    CHECK_RESULT(umfMemoryProviderGetIPCHandle(h, NULL, page, data), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetIPCHandle(h, p, 0, data), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetIPCHandle(h, p, page, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderPutIPCHandle(h, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    void *opened = NULL;
    CHECK_RESULT(umfMemoryProviderOpenIPCHandle(h, NULL, &opened), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderOpenIPCHandle(h, data, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderCloseIPCHandle(h, NULL, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderCloseIPCHandle(h, p, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* the wrapper wants both outs */
    const char *msg = NULL;
    int32_t code = 0;
    CHECK_RESULT(umfMemoryProviderGetLastNativeError(h, NULL, &code), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderGetLastNativeError(h, &msg, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderFree(h, p, 4 * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_pool_wrappers(void) {
    umf_memory_provider_handle_t prov = os_provider();
    umf_memory_pool_handle_t pool = NULL;
    CHECK_RESULT(umfPoolCreate(NULL, prov, NULL, 0, &pool), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolCreate(umfProxyPoolOps(), NULL, NULL, 0, &pool), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolCreate(umfProxyPoolOps(), prov, NULL, 0, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolCreate(umfProxyPoolOps(), prov, NULL, (umf_pool_create_flags_t)(1u << 7), &pool),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* a NULL pool: allocation functions return NULL, the others INVALID_ARGUMENT */
    CHECK(umfPoolMalloc(NULL, 8) == NULL);
    CHECK(umfPoolAlignedMalloc(NULL, 8, 8) == NULL);
    CHECK(umfPoolCalloc(NULL, 1, 8) == NULL);
    CHECK(umfPoolRealloc(NULL, NULL, 8) == NULL);
    int local = 0;
    size_t usable = 0;
    const char *name = NULL;
    void *tag = NULL;
    umf_memory_provider_handle_t got = NULL;
    CHECK_RESULT(umfPoolFree(NULL, &local), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolMallocUsableSize(NULL, &local, &usable), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetName(NULL, &name), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetMemoryProvider(NULL, &got), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetLastAllocationError(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolSetTag(NULL, &local, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetTag(NULL, &tag), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    CHECK_OK(umfPoolCreate(umfProxyPoolOps(), prov, NULL, 0, &pool));
    CHECK_RESULT(umfPoolGetName(pool, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetMemoryProvider(pool, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetTag(pool, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfPoolSetTag(pool, &local, NULL)); /* the old tag is optional */
    CHECK_OK(umfPoolGetTag(pool, &tag));
    CHECK(tag == &local);
    /* the proxy pool: no calloc, realloc or usable size */
    CHECK(umfPoolCalloc(pool, 1, 8) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_NOT_SUPPORTED);
    void *p = umfPoolMalloc(pool, 100);
    REQUIRE(p != NULL);
    usable = 1;
    CHECK_RESULT(umfPoolMallocUsableSize(pool, p, &usable), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(usable, 0);
    CHECK_OK(umfPoolFree(pool, p));
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

static void test_tracking_and_properties(void) {
    umf_memory_pool_handle_t found = (umf_memory_pool_handle_t)0x1;
    int local = 0;
    CHECK_RESULT(umfPoolByPtr(NULL, &found), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolByPtr(&local, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolByPtr(&local, &found), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(found == NULL); /* not found: the out is NULLed */
    CHECK_RESULT(umfFree(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfFree(&local), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_memory_properties_handle_t props = NULL;
    CHECK_RESULT(umfGetMemoryPropertiesHandle(&local, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryPropertiesHandle(&local, &props), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    size_t size = 0;
    CHECK_RESULT(umfGetMemoryPropertySize(NULL, UMF_MEMORY_PROPERTY_BASE_SIZE, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_memory_provider_handle_t prov = os_provider();
    umf_memory_pool_handle_t pool = NULL;
    REQUIRE(umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool) == UMF_RESULT_SUCCESS);
    char *p = umfPoolMalloc(pool, 100);
    REQUIRE(p != NULL);
    CHECK_OK(umfPoolByPtr(p + 50, &found)); /* interior pointers are found */
    CHECK(found == pool);
    CHECK_OK(umfGetMemoryPropertiesHandle(p, &props));
    CHECK_RESULT(umfGetMemoryPropertySize(props, UMF_MEMORY_PROPERTY_INVALID, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryPropertySize(props, UMF_MEMORY_PROPERTY_BASE_SIZE, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    const umf_memory_property_id_t eight[] = {UMF_MEMORY_PROPERTY_PROVIDER_HANDLE, UMF_MEMORY_PROPERTY_POOL_HANDLE,
                                              UMF_MEMORY_PROPERTY_BASE_ADDRESS, UMF_MEMORY_PROPERTY_BASE_SIZE,
                                              UMF_MEMORY_PROPERTY_BUFFER_ID};
    for (size_t i = 0; i < sizeof(eight) / sizeof(eight[0]); i++) {
        CHECK_OK(umfGetMemoryPropertySize(props, eight[i], &size));
        CHECK_EQ(size, 8);
    }
    CHECK_OK(umfGetMemoryPropertySize(props, UMF_MEMORY_PROPERTY_POINTER_TYPE, &size));
    CHECK_EQ(size, 4);
    uint64_t value = 0;
    CHECK_RESULT(umfGetMemoryProperty(NULL, UMF_MEMORY_PROPERTY_BASE_SIZE, &value, sizeof(value)),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_BASE_SIZE, NULL, sizeof(value)),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_BASE_SIZE, &value, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_BASE_SIZE, &value, 4), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* the OS provider has no context or device to tell */
    CHECK_RESULT(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_CONTEXT, &value, sizeof(value)),
                 UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_OK(umfFree(p));
    CHECK_RESULT(umfPoolByPtr(p, &found), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* freed: gone */
    CHECK_OK(umfPoolDestroy(pool));
}

static void test_ipc(void) {
    umf_memory_provider_handle_t prov = os_provider();
    umf_memory_pool_handle_t pool = NULL;
    REQUIRE(umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool) == UMF_RESULT_SUCCESS);
    size_t size = 0;
    CHECK_RESULT(umfPoolGetIPCHandleSize(NULL, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetIPCHandleSize(pool, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_ipc_handler_handle_t handler = NULL;
    CHECK_RESULT(umfPoolGetIPCHandler(NULL, &handler), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetIPCHandler(pool, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    int local = 0;
    umf_ipc_handle_t ipc = NULL;
    CHECK_RESULT(umfGetIPCHandle(NULL, &ipc, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetIPCHandle(&local, &ipc, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* not tracked */
    CHECK_RESULT(umfPutIPCHandle(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCloseIPCHandle(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCloseIPCHandle(&local), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* a pool handle passed where the handler belongs */
    char blob[256] = {0};
    void *opened = NULL;
    CHECK_RESULT(umfOpenIPCHandle((umf_ipc_handler_handle_t)pool, (umf_ipc_handle_t)blob, &opened),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfPoolGetIPCHandler(pool, &handler));
    CHECK_RESULT(umfOpenIPCHandle(handler, NULL, &opened), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfOpenIPCHandle(handler, (umf_ipc_handle_t)blob, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfPoolDestroy(pool));
}

static void test_builtin_params(void) {
    /* disjoint: the smallest bucket must be a power of 2 */
    umf_disjoint_pool_params_handle_t dj = NULL;
    REQUIRE(umfDisjointPoolParamsCreate(&dj) == UMF_RESULT_SUCCESS);
    CHECK_RESULT(umfDisjointPoolParamsSetMinBucketSize(dj, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfDisjointPoolParamsSetMinBucketSize(dj, 24), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfDisjointPoolParamsSetMinBucketSize(dj, 16));
    CHECK_RESULT(umfDisjointPoolParamsSetSlabMinSize(NULL, 4096), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfDisjointPoolParamsDestroy(dj));
    /* scalable: granularity 0 */
    umf_scalable_pool_params_handle_t sc = NULL;
    REQUIRE(umfScalablePoolParamsCreate(&sc) == UMF_RESULT_SUCCESS);
    CHECK_RESULT(umfScalablePoolParamsSetGranularity(sc, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfScalablePoolParamsDestroy(sc));
    /* OS: a list of nodes that is not there; shared memory with a NUMA mode */
    umf_os_memory_provider_params_handle_t os = NULL;
    REQUIRE(umfOsMemoryProviderParamsCreate(&os) == UMF_RESULT_SUCCESS);
    CHECK_RESULT(umfOsMemoryProviderParamsSetNumaList(os, NULL, 2), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfOsMemoryProviderParamsSetPartitions(os, NULL, 2), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfOsMemoryProviderParamsSetVisibility(os, UMF_MEM_MAP_SHARED));
    CHECK_OK(umfOsMemoryProviderParamsSetNumaMode(os, UMF_NUMA_MODE_PREFERRED));
    umf_memory_provider_handle_t h = NULL;
    CHECK_RESULT(umfMemoryProviderCreate(umfOsMemoryProviderOps(), os, &h), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_OK(umfOsMemoryProviderParamsDestroy(os));
    /* fixed: no memory, no size */
    umf_fixed_memory_provider_params_handle_t fx = NULL;
    char buf[64];
    CHECK_RESULT(umfFixedMemoryProviderParamsCreate(NULL, 4096, &fx), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfFixedMemoryProviderParamsCreate(buf, 0, &fx), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* file and DevDax: a path is required */
    umf_file_memory_provider_params_handle_t fp = NULL;
    CHECK_RESULT(umfFileMemoryProviderParamsCreate(NULL, &fp), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfFileMemoryProviderParamsCreate("", &fp), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_devdax_memory_provider_params_handle_t dp = NULL;
    CHECK_RESULT(umfDevDaxMemoryProviderParamsCreate(NULL, 4096, &dp), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfDevDaxMemoryProviderParamsCreate("", 4096, &dp), UMF_RESULT_ERROR_INVALID_ARGUMENT);
}

static void test_fixed_provider(void) {
    static char region[1 << 20] __attribute__((aligned(4096)));
    umf_fixed_memory_provider_params_handle_t prm = NULL;
    REQUIRE(umfFixedMemoryProviderParamsCreate(region, sizeof(region), &prm) == UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t h = NULL;
    REQUIRE(umfMemoryProviderCreate(umfFixedMemoryProviderOps(), prm, &h) == UMF_RESULT_SUCCESS);
    umfFixedMemoryProviderParamsDestroy(prm);
    void *p = NULL;
    CHECK_RESULT(umfMemoryProviderAlloc(h, 4096, 3 * 4096, &p), UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    CHECK_RESULT(umfMemoryProviderAlloc(h, sizeof(region) * 2, 0, &p), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK_OK(umfMemoryProviderAlloc(h, 4096, 0, &p));
    CHECK_RESULT(umfMemoryProviderPurgeLazy(h, p, 4096), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_OK(umfMemoryProviderFree(h, p, 4096));
    CHECK_RESULT(umfMemoryProviderFree(h, p, 4096), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* double free */
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_builtin_pools(void) {
    umf_memory_provider_handle_t prov = os_provider();
    umf_memory_pool_handle_t pool = NULL;
    REQUIRE(umfPoolCreate(umfDisjointPoolOps(), prov, NULL, 0, &pool) == UMF_RESULT_SUCCESS); /* NULL params: defaults */
    CHECK(umfPoolMalloc(pool, 0) == NULL);
    size_t usable = 1;
    CHECK_OK(umfPoolMallocUsableSize(pool, NULL, &usable));
    CHECK_EQ(usable, 0);
    CHECK_OK(umfPoolFree(pool, NULL));
    CHECK_OK(umfPoolDestroy(pool));
    if (umfJemallocPoolOps() != NULL) {
        umf_jemalloc_pool_params_handle_t jp = NULL;
        REQUIRE(umfJemallocPoolParamsCreate(&jp) == UMF_RESULT_SUCCESS);
        /* at most 4095 arenas: INVALID_ARGUMENT (ours already from the setter; the params keep their value) */
        CHECK_RESULT(umfJemallocPoolParamsSetNumArenas(jp, 4096), UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK_OK(umfJemallocPoolParamsSetNumArenas(jp, 2));
        CHECK_OK(umfPoolCreate(umfJemallocPoolOps(), prov, jp, 0, &pool));
        CHECK_OK(umfPoolDestroy(pool));
        CHECK_OK(umfJemallocPoolParamsDestroy(jp));
    }
    CHECK_OK(umfMemoryProviderDestroy(prov));

    /* the IPC handle of a pool: UMF's 40-byte header plus the provider's data */
    umf_os_memory_provider_params_handle_t os = NULL;
    REQUIRE(umfOsMemoryProviderParamsCreate(&os) == UMF_RESULT_SUCCESS);
    CHECK_OK(umfOsMemoryProviderParamsSetVisibility(os, UMF_MEM_MAP_SHARED));
    REQUIRE(umfMemoryProviderCreate(umfOsMemoryProviderOps(), os, &prov) == UMF_RESULT_SUCCESS);
    umfOsMemoryProviderParamsDestroy(os);
    size_t provider_size = 0, pool_size = 0;
    CHECK_OK(umfMemoryProviderGetIPCHandleSize(prov, &provider_size));
    REQUIRE(umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool) == UMF_RESULT_SUCCESS);
    CHECK_OK(umfPoolGetIPCHandleSize(pool, &pool_size));
    CHECK_EQ(pool_size, 40 + provider_size);
    CHECK_OK(umfPoolDestroy(pool));
}

int main(void) {
    RUN_TEST(test_provider_wrappers);
    RUN_TEST(test_pool_wrappers);
    RUN_TEST(test_tracking_and_properties);
    RUN_TEST(test_ipc);
    RUN_TEST(test_builtin_params);
    RUN_TEST(test_fixed_provider);
    RUN_TEST(test_builtin_pools);
    return TEST_SUMMARY();
}
