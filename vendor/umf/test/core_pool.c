/* The pool API over the proxy pool: flags, names, tags, trim, tracking, umfFree and umfPoolByPtr,
 * last allocation error, nested pools and bad input. */
#include <pthread.h>
#include <stdatomic.h>

#include <umf/experimental/memory_properties.h>
#include <umf/pools/pool_proxy.h>

#include "test_common.h"

static test_provider_counters_t counters;

static umf_memory_provider_handle_t make_counting(void) {
    memset(&counters, 0, sizeof(counters));
    umf_memory_provider_handle_t h = NULL;
    CHECK_OK(umfMemoryProviderCreate(test_counting_provider_ops(), &counters, &h));
    return h;
}

static void test_create_arguments(void) {
    umf_memory_provider_handle_t prov = make_counting();
    umf_memory_pool_handle_t pool = NULL;
    CHECK_RESULT(umfPoolCreate(NULL, prov, NULL, 0, &pool), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolCreate(umfProxyPoolOps(), NULL, NULL, 0, &pool), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolCreate(umfProxyPoolOps(), prov, NULL, 0, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolCreate(umfProxyPoolOps(), prov, NULL, 4, &pool), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolCreate(umfProxyPoolOps(), prov, NULL, 0x80000000u, &pool), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_memory_pool_ops_t ops = *umfProxyPoolOps();
    ops.version = UMF_MAKE_VERSION(1, 2);
    CHECK_RESULT(umfPoolCreate(&ops, prov, NULL, 0, &pool), UMF_RESULT_ERROR_NOT_SUPPORTED);
    ops.version = UMF_MAKE_VERSION(1, 0); /* upgraded */
    CHECK_OK(umfPoolCreate(&ops, prov, NULL, 0, &pool));
    CHECK_RESULT(umfPoolTrimMemory(pool, 0), UMF_RESULT_ERROR_NOT_SUPPORTED); /* default for the missing op */
    CHECK_OK(umfPoolDestroy(pool));
    ops = *umfProxyPoolOps();
    ops.malloc = NULL;
    CHECK_RESULT(umfPoolCreate(&ops, prov, NULL, 0, &pool), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

static void test_null_pool(void) {
    const char *name;
    void *tag;
    size_t size;
    umf_memory_provider_handle_t prov;
    CHECK(umfPoolMalloc(NULL, 8) == NULL);
    CHECK(umfPoolAlignedMalloc(NULL, 8, 8) == NULL);
    CHECK(umfPoolCalloc(NULL, 1, 8) == NULL);
    CHECK(umfPoolRealloc(NULL, NULL, 8) == NULL);
    CHECK_RESULT(umfPoolMallocUsableSize(NULL, &size, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolFree(NULL, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetLastAllocationError(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetMemoryProvider(NULL, &prov), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetName(NULL, &name), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolSetTag(NULL, NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetTag(NULL, &tag), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolTrimMemory(NULL, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolDestroy(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
}

static void test_proxy_round_trip(void) {
    umf_memory_provider_handle_t prov = make_counting();
    umf_memory_pool_handle_t pool = NULL;
    REQUIRE(umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool) ==
            UMF_RESULT_SUCCESS);
    const char *name = NULL;
    CHECK_OK(umfPoolGetName(pool, &name));
    CHECK(name && strcmp(name, "proxy") == 0);
    umf_memory_provider_handle_t got = NULL;
    CHECK_OK(umfPoolGetMemoryProvider(pool, &got));
    CHECK(got == prov); /* the user's provider, not the tracking wrapper */
    CHECK_RESULT(umfPoolGetName(pool, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetMemoryProvider(pool, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    char *p = umfPoolMalloc(pool, 10000);
    REQUIRE(p != NULL);
    memset(p, 7, 10000);
    CHECK_EQ(counters.alloc_count, 1);
    umf_memory_pool_handle_t found = NULL;
    CHECK_OK(umfPoolByPtr(p, &found));
    CHECK(found == pool);
    CHECK_OK(umfPoolByPtr(p + 9999, &found)); /* interior pointers too */
    CHECK(found == pool);
    CHECK_RESULT(umfPoolByPtr(p + 12288, &found), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* past the end */
    CHECK(found == NULL);
    CHECK_RESULT(umfPoolByPtr(NULL, &found), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolByPtr(p, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    void *a = umfPoolAlignedMalloc(pool, 100, 1 << 20);
    CHECK(a != NULL && ((uintptr_t)a & ((1 << 20) - 1)) == 0);
    size_t usable = 1;
    CHECK_RESULT(umfPoolMallocUsableSize(pool, a, &usable), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(usable, 0);
    CHECK_RESULT(umfPoolMallocUsableSize(pool, a, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    /* calloc and realloc are not supported by the proxy pool */
    CHECK(umfPoolCalloc(pool, 2, 8) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK(umfPoolRealloc(pool, p, 20000) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_NOT_SUPPORTED);

    /* a failing provider surfaces through the last allocation error and the last failed provider */
    counters.fail_next_allocs = 1;
    CHECK(umfPoolMalloc(pool, 64) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    umf_memory_provider_handle_t failed = NULL;
    CHECK_OK(umfGetLastFailedMemoryProvider(&failed));
    CHECK(failed == prov);

    /* umfFree finds the pool of an interior pointer, but the proxy pool frees only whole allocations */
    CHECK_RESULT(umfFree(p + 5), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(counters.free_count, 0);
    CHECK_OK(umfFree(p));
    CHECK_EQ(counters.free_count, 1);
    CHECK_RESULT(umfFree(p), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* no longer tracked */
    CHECK_RESULT(umfFree(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    int on_stack;
    CHECK_RESULT(umfFree(&on_stack), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfPoolFree(pool, a));
    CHECK_OK(umfPoolFree(pool, NULL));
    CHECK_OK(umfPoolDestroy(pool)); /* destroys the provider too (OWN_PROVIDER) */
    CHECK_EQ(counters.alloc_count, counters.free_count);
}

static void test_tags(void) {
    umf_memory_provider_handle_t prov = make_counting();
    umf_memory_pool_handle_t pool = NULL;
    REQUIRE(umfPoolCreate(umfProxyPoolOps(), prov, NULL, 0, &pool) == UMF_RESULT_SUCCESS);
    void *tag = (void *)1, *old = (void *)1;
    CHECK_OK(umfPoolGetTag(pool, &tag));
    CHECK(tag == NULL);
    CHECK_RESULT(umfPoolGetTag(pool, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfPoolSetTag(pool, &counters, &old));
    CHECK(old == NULL);
    CHECK_OK(umfPoolSetTag(pool, &tag, NULL)); /* oldTag is optional */
    CHECK_OK(umfPoolGetTag(pool, &tag));
    CHECK(tag == (void *)&tag);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfMemoryProviderDestroy(prov)); /* not owned: still ours to destroy */
}

static void test_disable_tracking(void) {
    umf_memory_provider_handle_t prov = make_counting();
    umf_memory_pool_handle_t pool = NULL;
    REQUIRE(umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_DISABLE_TRACKING, &pool) ==
            UMF_RESULT_SUCCESS);
    void *p = umfPoolMalloc(pool, 64);
    REQUIRE(p != NULL);
    umf_memory_pool_handle_t found = (umf_memory_pool_handle_t)1;
    CHECK_RESULT(umfPoolByPtr(p, &found), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(found == NULL);
    CHECK_RESULT(umfFree(p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* without the tracker the proxy pool does not know the size to free */
    CHECK_RESULT(umfPoolFree(pool, p), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_OK(umfMemoryProviderFree(prov, p, 64));
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

static void test_properties(void) {
    umf_memory_provider_handle_t prov = make_counting();
    umf_memory_pool_handle_t pool = NULL;
    REQUIRE(umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool) ==
            UMF_RESULT_SUCCESS);
    char *p = umfPoolMalloc(pool, 5000);
    char *q = umfPoolMalloc(pool, 100);
    REQUIRE(p && q);
    umf_memory_properties_handle_t props = NULL, props_q = NULL;
    CHECK_OK(umfGetMemoryPropertiesHandle(p + 4999, &props));
    CHECK_OK(umfGetMemoryPropertiesHandle(q, &props_q));
    REQUIRE(props && props_q);
    size_t size = 0;
    CHECK_OK(umfGetMemoryPropertySize(props, UMF_MEMORY_PROPERTY_BASE_SIZE, &size));
    CHECK_EQ(size, sizeof(size_t));
    CHECK_OK(umfGetMemoryPropertySize(props, UMF_MEMORY_PROPERTY_POINTER_TYPE, &size));
    CHECK_EQ(size, 4);
    CHECK_RESULT(umfGetMemoryPropertySize(props, UMF_MEMORY_PROPERTY_INVALID, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryPropertySize(props, UMF_MEMORY_PROPERTY_CONTEXT, &size), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_RESULT(umfGetMemoryPropertySize(NULL, UMF_MEMORY_PROPERTY_BASE_SIZE, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryPropertySize(props, UMF_MEMORY_PROPERTY_BASE_SIZE, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_memory_provider_handle_t got_prov = NULL;
    umf_memory_pool_handle_t got_pool = NULL;
    uintptr_t base = 0;
    uint64_t id = 0, id_q = 0;
    int type = -1;
    CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_PROVIDER_HANDLE, &got_prov, sizeof(got_prov)));
    CHECK(got_prov == prov);
    CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_POOL_HANDLE, &got_pool, sizeof(got_pool)));
    CHECK(got_pool == pool);
    CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_BASE_ADDRESS, &base, sizeof(base)));
    CHECK(base == (uintptr_t)p);
    CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_BASE_SIZE, &size, sizeof(size)));
    CHECK_EQ(size, 5000);
    CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_BUFFER_ID, &id, sizeof(id)));
    CHECK_OK(umfGetMemoryProperty(props_q, UMF_MEMORY_PROPERTY_BUFFER_ID, &id_q, sizeof(id_q)));
    CHECK(id != 0 && id_q != 0 && id != id_q);
    CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_POINTER_TYPE, &type, sizeof(type)));
    CHECK_EQ(type, 0); /* UMF_MEMORY_TYPE_UNKNOWN: host memory from a provider with no property ops */
    CHECK_RESULT(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_BASE_SIZE, &size, 4), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_BASE_SIZE, &size, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_BASE_SIZE, NULL, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryProperty(NULL, UMF_MEMORY_PROPERTY_BASE_SIZE, &size, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_INVALID, &size, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_DEVICE, &size, 8), UMF_RESULT_ERROR_NOT_SUPPORTED);

    umf_memory_properties_handle_t none = NULL;
    int on_stack;
    CHECK_RESULT(umfGetMemoryPropertiesHandle(&on_stack, &none), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryPropertiesHandle(NULL, &none), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetMemoryPropertiesHandle(p, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfFree(p));
    CHECK_OK(umfFree(q));
    CHECK_OK(umfPoolDestroy(pool));
}

/* A provider that allocates from another pool, making that pool the parent of a nested pool. */
static umf_result_t pool_backed_init(const void *params, void **provider) {
    *provider = (void *)params;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t pool_backed_alloc(void *provider, size_t size, size_t alignment, void **ptr) {
    *ptr = umfPoolAlignedMalloc((umf_memory_pool_handle_t)provider, size, alignment ? alignment : 8);
    return *ptr ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
}
static umf_result_t pool_backed_free(void *provider, void *ptr, size_t size) {
    return ptr ? umfPoolFree((umf_memory_pool_handle_t)provider, ptr) : UMF_RESULT_SUCCESS;
}
static umf_result_t pool_backed_name(void *provider, const char **name) {
    *name = "pool_backed";
    return UMF_RESULT_SUCCESS;
}

static void test_nested_pools(void) {
    umf_memory_provider_ops_t ops = *test_counting_provider_ops();
    ops.initialize = pool_backed_init;
    ops.alloc = pool_backed_alloc;
    ops.free = pool_backed_free;
    ops.get_name = pool_backed_name;
    ops.finalize = test_null_provider_ops()->finalize;
    ops.ext_allocation_split = NULL;
    ops.ext_allocation_merge = NULL;

    umf_memory_provider_handle_t base_prov = make_counting();
    umf_memory_pool_handle_t pools[9] = {0};
    umf_memory_provider_handle_t provs[9] = {0};
    REQUIRE(umfPoolCreate(umfProxyPoolOps(), base_prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pools[0]) ==
            UMF_RESULT_SUCCESS);
    for (int i = 1; i < 9; i++) {
        REQUIRE(umfMemoryProviderCreate(&ops, pools[i - 1], &provs[i]) == UMF_RESULT_SUCCESS);
        REQUIRE(umfPoolCreate(umfProxyPoolOps(), provs[i], NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pools[i]) ==
                UMF_RESULT_SUCCESS);
    }
    /* 8 levels nest; each allocation is found in the innermost pool */
    char *p = umfPoolMalloc(pools[7], 256);
    REQUIRE(p != NULL);
    umf_memory_pool_handle_t found = NULL;
    CHECK_OK(umfPoolByPtr(p + 100, &found));
    CHECK(found == pools[7]);
    /* a 9th level is more than the tracker keeps */
    CHECK(umfPoolMalloc(pools[8], 64) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pools[8]), UMF_RESULT_ERROR_OUT_OF_RESOURCES);
    /* an allocation of pool 1 is found in pool 1, outside pool 2's */
    char *q = umfPoolMalloc(pools[1], 64);
    REQUIRE(q != NULL);
    CHECK_OK(umfPoolByPtr(q, &found));
    CHECK(found == pools[1]);
    CHECK_OK(umfFree(q));
    CHECK_OK(umfFree(p));
    /* proxy pools free straight through every level: nothing of p is tracked any more */
    CHECK_RESULT(umfPoolByPtr(p, &found), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    for (int i = 8; i >= 0; i--) {
        CHECK_OK(umfPoolDestroy(pools[i]));
    }
    CHECK_EQ(counters.alloc_count, counters.free_count);
}

/* Many threads allocate and free through the tracker while others look pointers up. */
#define ALLOCATORS 4
#define LOOKERS 3
#define SLOTS 512
static umf_memory_pool_handle_t shared_pools[ALLOCATORS];
static void *_Atomic slots[ALLOCATORS][SLOTS];
static _Atomic int stop;
static _Atomic long lookups_ok, lookups_bad;

static void *allocator_thread(void *arg) {
    int id = (int)(intptr_t)arg;
    unsigned seed = (unsigned)id * 7919u + 1;
    for (int iter = 0; iter < 40000; iter++) {
        int s = (int)(rand_r(&seed) % SLOTS);
        void *old = atomic_exchange(&slots[id][s], NULL);
        if (old) {
            CHECK_OK(umfFree(old));
        } else {
            void *p = umfPoolMalloc(shared_pools[id], 64 + rand_r(&seed) % 8192);
            CHECK(p != NULL);
            atomic_store(&slots[id][s], p);
        }
    }
    atomic_fetch_add(&stop, 1);
    return NULL;
}

#define STABLE 64
static void *stable[ALLOCATORS][STABLE]; /* live for the whole run: every lookup must find their pool */

static void *looker_thread(void *arg) {
    unsigned seed = (unsigned)(intptr_t)arg;
    while (atomic_load(&stop) < ALLOCATORS) {
        int id = (int)(rand_r(&seed) % ALLOCATORS);
        umf_memory_pool_handle_t found = NULL;
        char *p = stable[id][rand_r(&seed) % STABLE];
        if (umfPoolByPtr(p + 32, &found) == UMF_RESULT_SUCCESS && found == shared_pools[id]) {
            atomic_fetch_add(&lookups_ok, 1);
        } else {
            atomic_fetch_add(&lookups_bad, 1);
        }
        /* a churning pointer may be freed (and its address reused by any pool) meanwhile: the
         * lookup must merely not crash and give some pool or none */
        void *churning = atomic_load(&slots[id][rand_r(&seed) % SLOTS]);
        if (churning != NULL) {
            (void)umfPoolByPtr(churning, &found);
        }
    }
    return NULL;
}

static void test_threads_allocate_while_others_look_up(void) {
    umf_memory_provider_handle_t provs[ALLOCATORS];
    static test_provider_counters_t cs[ALLOCATORS];
    for (int i = 0; i < ALLOCATORS; i++) {
        REQUIRE(umfMemoryProviderCreate(test_counting_provider_ops(), &cs[i], &provs[i]) == UMF_RESULT_SUCCESS);
        REQUIRE(umfPoolCreate(umfProxyPoolOps(), provs[i], NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER,
                              &shared_pools[i]) == UMF_RESULT_SUCCESS);
    }
    for (int i = 0; i < ALLOCATORS; i++) {
        for (int j = 0; j < STABLE; j++) {
            stable[i][j] = umfPoolMalloc(shared_pools[i], 128);
            REQUIRE(stable[i][j] != NULL);
        }
    }
    pthread_t threads[ALLOCATORS + LOOKERS];
    for (int i = 0; i < ALLOCATORS; i++) {
        pthread_create(&threads[i], NULL, allocator_thread, (void *)(intptr_t)i);
    }
    for (int i = 0; i < LOOKERS; i++) {
        pthread_create(&threads[ALLOCATORS + i], NULL, looker_thread, (void *)(intptr_t)(i + 100));
    }
    for (int i = 0; i < ALLOCATORS + LOOKERS; i++) {
        pthread_join(threads[i], NULL);
    }
    CHECK(atomic_load(&lookups_ok) > 0);
    CHECK_EQ(atomic_load(&lookups_bad), 0);
    for (int i = 0; i < ALLOCATORS; i++) {
        for (int s = 0; s < SLOTS; s++) {
            if (slots[i][s]) {
                CHECK_OK(umfFree(slots[i][s]));
            }
        }
        for (int j = 0; j < STABLE; j++) {
            CHECK_OK(umfFree(stable[i][j]));
        }
        CHECK_OK(umfPoolDestroy(shared_pools[i]));
        CHECK_EQ(cs[i].alloc_count, cs[i].free_count);
    }
}

static void test_destroy_with_live_allocations(void) {
    umf_memory_provider_handle_t prov = make_counting();
    umf_memory_pool_handle_t pool = NULL;
    REQUIRE(umfPoolCreate(umfProxyPoolOps(), prov, NULL, 0, &pool) == UMF_RESULT_SUCCESS);
    void *p = umfPoolMalloc(pool, 64);
    REQUIRE(p != NULL);
    CHECK_OK(umfPoolDestroy(pool));
    /* the destroyed pool is forgotten: no lookup returns it */
    umf_memory_pool_handle_t found = (umf_memory_pool_handle_t)1;
    CHECK_RESULT(umfPoolByPtr(p, &found), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(found == NULL);
    CHECK_OK(umfMemoryProviderFree(prov, p, 64));
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

int main(void) {
    RUN_TEST(test_create_arguments);
    RUN_TEST(test_null_pool);
    RUN_TEST(test_proxy_round_trip);
    RUN_TEST(test_tags);
    RUN_TEST(test_disable_tracking);
    RUN_TEST(test_properties);
    RUN_TEST(test_nested_pools);
    RUN_TEST(test_threads_allocate_while_others_look_up);
    RUN_TEST(test_destroy_with_live_allocations);
    return TEST_SUMMARY();
}
