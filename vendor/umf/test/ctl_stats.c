/* CTL statistics and parameters of the built-in providers and pools: values, access, sizes, the
 * disjoint pool's pool_trace rules and buckets, and stats.alloc_count read while threads allocate. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include <umf/experimental/ctl.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_file_memory.h>
#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "test_common.h"

static umf_memory_provider_handle_t os_provider(umf_memory_visibility_t visibility) {
    umf_memory_provider_handle_t h = NULL;
    umf_os_memory_provider_params_handle_t params = NULL;
    CHECK_OK(umfOsMemoryProviderParamsCreate(&params));
    CHECK_OK(umfOsMemoryProviderParamsSetVisibility(params, visibility));
    CHECK_OK(umfMemoryProviderCreate(umfOsMemoryProviderOps(), params, &h));
    umfOsMemoryProviderParamsDestroy(params);
    return h;
}

static size_t provider_stat(umf_memory_provider_handle_t h, const char *node) {
    size_t v = (size_t)-1;
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.stats.{}", &v, sizeof(v), h, node));
    return v;
}

/* allocated_memory, peak_memory and peak_memory.reset of a provider that starts empty */
static void check_provider_stats(umf_memory_provider_handle_t h, size_t size) {
    CHECK_EQ(provider_stat(h, "allocated_memory"), 0);
    CHECK_EQ(provider_stat(h, "peak_memory"), 0);
    void *a = NULL, *b = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, size, 0, &a));
    CHECK_OK(umfMemoryProviderAlloc(h, size, 0, &b));
    CHECK_EQ(provider_stat(h, "allocated_memory"), 2 * size);
    size_t v = 0;
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.stats.peak_memory", &v, sizeof(v), h));
    CHECK_EQ(v, 2 * size);
    CHECK_OK(umfMemoryProviderFree(h, b, size));
    CHECK_EQ(provider_stat(h, "allocated_memory"), size);
    CHECK_EQ(provider_stat(h, "peak_memory"), 2 * size);
    CHECK_OK(umfCtlExec("umf.provider.by_handle.{}.stats.peak_memory.reset", NULL, 0, h));
    CHECK_EQ(provider_stat(h, "peak_memory"), size);
    CHECK_OK(umfMemoryProviderFree(h, a, size));
    CHECK_EQ(provider_stat(h, "allocated_memory"), 0);
    CHECK_EQ(provider_stat(h, "peak_memory"), size);
    /* provider queries always succeed (UMF 1.1 ignores the provider's answer): a wrong size or a
     * write leaves the buffer alone */
    int small = 77;
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.stats.allocated_memory", &small, sizeof(small), h));
    CHECK_EQ(small, 77);
    v = 5;
    CHECK_OK(umfCtlSet("umf.provider.by_handle.{}.stats.peak_memory", &v, sizeof(v), h));
    CHECK_EQ(provider_stat(h, "peak_memory"), size);
}

static void test_os_provider(void) {
    umf_memory_provider_handle_t h = os_provider(UMF_MEM_MAP_PRIVATE);
    check_provider_stats(h, 64 * 1024);
    int ipc = -1;
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.params.ipc_enabled", &ipc, sizeof(ipc), h));
    CHECK_EQ(ipc, 0);
    CHECK_OK(umfMemoryProviderDestroy(h));
    h = os_provider(UMF_MEM_MAP_SHARED);
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.params.ipc_enabled", &ipc, sizeof(ipc), h));
    CHECK_EQ(ipc, 1);
    int two = 2;
    CHECK_OK(umfCtlSet("umf.provider.by_handle.{}.params.ipc_enabled", &two, sizeof(two), h)); /* read-only */
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.params.ipc_enabled", &ipc, sizeof(ipc), h));
    CHECK_EQ(ipc, 1);
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_fixed_and_file_providers(void) {
    size_t region = 4 << 20;
    void *buf = NULL;
    REQUIRE(posix_memalign(&buf, 4096, region) == 0);
    umf_fixed_memory_provider_params_handle_t fp = NULL;
    CHECK_OK(umfFixedMemoryProviderParamsCreate(buf, region, &fp));
    umf_memory_provider_handle_t h = NULL;
    CHECK_OK(umfMemoryProviderCreate(umfFixedMemoryProviderOps(), fp, &h));
    check_provider_stats(h, 64 * 1024);
    CHECK_OK(umfMemoryProviderDestroy(h));
    umfFixedMemoryProviderParamsDestroy(fp);
    free(buf);

    char path[64];
    snprintf(path, sizeof(path), "/tmp/umf-ctl-file-%d", (int)getpid());
    umf_file_memory_provider_params_handle_t pp = NULL;
    CHECK_OK(umfFileMemoryProviderParamsCreate(path, &pp));
    CHECK_OK(umfMemoryProviderCreate(umfFileMemoryProviderOps(), pp, &h));
    check_provider_stats(h, 64 * 1024);
    CHECK_OK(umfMemoryProviderDestroy(h));
    umfFileMemoryProviderParamsDestroy(pp);
    unlink(path);
}

static size_t alloc_count(umf_memory_pool_handle_t pool) {
    size_t v = (size_t)-1;
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.alloc_count", &v, sizeof(v), pool));
    return v;
}

/* malloc, calloc, aligned_malloc and realloc(NULL) count; free and realloc(p, 0) uncount */
static void check_alloc_count(umf_memory_pool_handle_t pool, bool realloc_works) {
    CHECK_EQ(alloc_count(pool), 0);
    void *a = umfPoolMalloc(pool, 100);
    void *b = realloc_works ? umfPoolCalloc(pool, 4, 25) : umfPoolMalloc(pool, 100);
    void *c = umfPoolAlignedMalloc(pool, 64, 64);
    void *d = realloc_works ? umfPoolRealloc(pool, NULL, 3000) : umfPoolMalloc(pool, 3000);
    void *e = umfPoolMalloc(pool, 4 << 20); /* past the disjoint pool's buckets */
    REQUIRE(a && b && c && d && e);
    CHECK_EQ(alloc_count(pool), 5);
    CHECK(umfPoolMalloc(pool, 0) == NULL);
    CHECK_EQ(alloc_count(pool), 5);
    if (realloc_works) {
        d = umfPoolRealloc(pool, d, 6000); /* moves: still one */
        CHECK_EQ(alloc_count(pool), 5);
    } else {
        CHECK(umfPoolRealloc(pool, d, 6000) == NULL); /* the proxy pool has no realloc, as in UMF */
        CHECK_EQ(alloc_count(pool), 5);
    }
    CHECK_OK(umfPoolFree(pool, a));
    CHECK_OK(umfPoolFree(pool, NULL));
    CHECK_EQ(alloc_count(pool), 4);
    if (realloc_works) {
        CHECK(umfPoolRealloc(pool, d, 0) == NULL);
    } else {
        CHECK_OK(umfPoolFree(pool, d));
    }
    CHECK_EQ(alloc_count(pool), 3);
    CHECK_OK(umfFree(b));
    CHECK_OK(umfPoolFree(pool, c));
    CHECK_OK(umfPoolFree(pool, e));
    CHECK_EQ(alloc_count(pool), 0);
    size_t v = 1;
    int small = 0;
    CHECK_RESULT(umfCtlGet("umf.pool.by_handle.{}.stats.alloc_count", &small, sizeof(small), pool),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlSet("umf.pool.by_handle.{}.stats.alloc_count", &v, sizeof(v), pool),
                 UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_RESULT(umfCtlExec("umf.pool.by_handle.{}.stats.alloc_count", NULL, 0, pool), UMF_RESULT_ERROR_NOT_SUPPORTED);
}

static void test_pool_alloc_count(void) {
    umf_memory_provider_handle_t prov = os_provider(UMF_MEM_MAP_PRIVATE);
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(umfProxyPoolOps(), prov, NULL, 0, &pool));
    check_alloc_count(pool, false);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfPoolCreate(umfDisjointPoolOps(), prov, NULL, 0, &pool));
    check_alloc_count(pool, true);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

static void test_disjoint_params(void) {
    umf_memory_provider_handle_t prov = os_provider(UMF_MEM_MAP_PRIVATE);
    umf_disjoint_pool_params_handle_t params = NULL;
    CHECK_OK(umfDisjointPoolParamsCreate(&params));
    CHECK_OK(umfDisjointPoolParamsSetCapacity(params, 7));
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(umfDisjointPoolOps(), prov, params, 0, &pool));
    size_t v = 0;
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.params.slab_min_size", &v, sizeof(v), pool));
    CHECK_EQ(v, 64 * 1024);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.params.max_poolable_size", &v, sizeof(v), pool));
    CHECK_EQ(v, 2 * 1024 * 1024);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.params.{}", &v, sizeof(v), pool, "capacity"));
    CHECK_EQ(v, 7);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.params.min_bucket_size", &v, sizeof(v), pool));
    CHECK_EQ(v, 8);
    int trace = -1;
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.params.pool_trace", &trace, sizeof(trace), pool));
    CHECK_EQ(trace, 0);
    CHECK_RESULT(umfCtlGet("umf.pool.by_handle.{}.params.pool_trace", &v, sizeof(v), pool),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlGet("umf.pool.by_handle.{}.params.capacity", &trace, sizeof(trace), pool),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlGet("umf.pool.by_handle.{}.params.nothing", &v, sizeof(v), pool),
                 UMF_RESULT_ERROR_INVALID_CTL_PATH);
    /* a live pool's parameters are fixed */
    v = 3;
    CHECK_RESULT(umfCtlSet("umf.pool.by_handle.{}.params.capacity", &v, sizeof(v), pool), UMF_RESULT_ERROR_NOT_SUPPORTED);
    trace = 2;
    CHECK_RESULT(umfCtlSet("umf.pool.by_handle.{}.params.pool_trace", &trace, sizeof(trace), pool),
                 UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.params.capacity", &v, sizeof(v), pool));
    CHECK_EQ(v, 7);
    CHECK_OK(umfPoolDestroy(pool));

    /* through defaults they apply before post_initialize; a bad one is skipped */
    v = 128 * 1024;
    CHECK_OK(umfCtlSet("umf.pool.default.disjoint.params.slab_min_size", &v, sizeof(v)));
    v = 12;
    CHECK_OK(umfCtlSet("umf.pool.default.disjoint.params.min_bucket_size", &v, sizeof(v))); /* not a power of 2 */
    CHECK_OK(umfPoolCreate(umfDisjointPoolOps(), prov, params, 0, &pool));
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.params.slab_min_size", &v, sizeof(v), pool));
    CHECK_EQ(v, 128 * 1024);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.params.min_bucket_size", &v, sizeof(v), pool));
    CHECK_EQ(v, 8);
    CHECK_OK(umfPoolDestroy(pool));
    v = 64 * 1024;
    CHECK_OK(umfCtlSet("umf.pool.default.disjoint.params.slab_min_size", &v, sizeof(v)));
    v = 8;
    CHECK_OK(umfCtlSet("umf.pool.default.disjoint.params.min_bucket_size", &v, sizeof(v)));
    umfDisjointPoolParamsDestroy(params);
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

static const char *const TRACE1[] = {"curr_slabs_in_use", "curr_slabs_in_pool", "max_slabs_in_use", "max_slabs_in_pool"};
static const char *const TRACE2[] = {"alloc_num", "alloc_pool_num", "free_num"};

static umf_memory_pool_handle_t traced_pool(umf_memory_provider_handle_t prov, int trace) {
    umf_disjoint_pool_params_handle_t params = NULL;
    CHECK_OK(umfDisjointPoolParamsCreate(&params));
    CHECK_OK(umfDisjointPoolParamsSetTrace(params, trace));
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(umfDisjointPoolOps(), prov, params, 0, &pool));
    umfDisjointPoolParamsDestroy(params);
    return pool;
}

static void test_disjoint_trace_rules(void) {
    umf_memory_provider_handle_t prov = os_provider(UMF_MEM_MAP_PRIVATE);
    for (int trace = 0; trace <= 2; trace++) {
        umf_memory_pool_handle_t pool = traced_pool(prov, trace);
        void *p = umfPoolMalloc(pool, 4096);
        REQUIRE(p != NULL);
        size_t v = 0;
        CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.used_memory", &v, sizeof(v), pool));
        CHECK_EQ(v, 4096);
        CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.reserved_memory", &v, sizeof(v), pool));
        CHECK_EQ(v, 64 * 1024);
        for (size_t i = 0; i < 4; i++) {
            umf_result_t rc = umfCtlGet("umf.pool.by_handle.{}.stats.{}", &v, sizeof(v), pool, TRACE1[i]);
            CHECK_EQ(rc, trace >= 1 ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_NOT_SUPPORTED);
        }
        for (size_t i = 0; i < 3; i++) {
            umf_result_t rc = umfCtlGet("umf.pool.by_handle.{}.stats.{}", &v, sizeof(v), pool, TRACE2[i]);
            CHECK_EQ(rc, trace >= 2 ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_NOT_SUPPORTED);
        }
        if (trace >= 1) {
            CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.curr_slabs_in_use", &v, sizeof(v), pool));
            CHECK_EQ(v, 1);
        }
        if (trace == 2) {
            CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.alloc_num", &v, sizeof(v), pool));
            CHECK_EQ(v, 1);
        }
        CHECK_RESULT(umfCtlSet("umf.pool.by_handle.{}.stats.used_memory", &v, sizeof(v), pool),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
        CHECK_RESULT(umfCtlGet("umf.pool.by_handle.{}.stats.used_memory", &trace, sizeof(trace), pool),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK_RESULT(umfCtlGet("umf.pool.by_handle.{}.stats.nothing", &v, sizeof(v), pool),
                     UMF_RESULT_ERROR_INVALID_CTL_PATH);
        CHECK_OK(umfPoolFree(pool, p));
        CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.used_memory", &v, sizeof(v), pool));
        CHECK_EQ(v, 0);
        CHECK_OK(umfPoolDestroy(pool));
    }
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

static void test_disjoint_buckets(void) {
    umf_memory_provider_handle_t prov = os_provider(UMF_MEM_MAP_PRIVATE);
    umf_memory_pool_handle_t pool = traced_pool(prov, 2);
    void *p[3];
    for (int i = 0; i < 3; i++) {
        p[i] = umfPoolMalloc(pool, 4096);
    }
    umfPoolFree(pool, p[2]);
    size_t count = 0;
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.buckets.count", &count, sizeof(count), pool));
    CHECK(count > 10);
    size_t prev = 0, found = SIZE_MAX;
    for (size_t id = 0; id < count; id++) {
        size_t size = 0;
        CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.buckets.{}.size", &size, sizeof(size), pool, id));
        CHECK(size > prev); /* ascending */
        prev = size;
        if (size == 4096) {
            found = id;
        }
    }
    CHECK_EQ(prev >= 2 * 1024 * 1024, 1);
    REQUIRE(found != SIZE_MAX);
    size_t v = 0;
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.buckets.{}.stats.alloc_num", &v, sizeof(v), pool, found));
    CHECK_EQ(v, 3);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.buckets.{}.stats.{}", &v, sizeof(v), pool, found, "free_num"));
    CHECK_EQ(v, 1);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.buckets.{}.stats.curr_slabs_in_use", &v, sizeof(v), pool, found));
    CHECK_EQ(v, 1);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.buckets.0.stats.alloc_num", &v, sizeof(v), pool));
    CHECK_EQ(v, 0);
    CHECK_RESULT(umfCtlGet("umf.pool.by_handle.{}.buckets.{}.size", &v, sizeof(v), pool, count),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlGet("umf.pool.by_handle.{}.buckets.{}.stats.alloc_num", &v, sizeof(v), pool, count + 5),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlGet("umf.pool.by_handle.{}.buckets.{}.stats.used_memory", &v, sizeof(v), pool, found),
                 UMF_RESULT_ERROR_INVALID_CTL_PATH); /* pool-wide only */
    CHECK_RESULT(umfCtlGet("umf.pool.by_handle.{}.buckets.x.size", &v, sizeof(v), pool), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_RESULT(umfCtlSet("umf.pool.by_handle.{}.buckets.count", &v, sizeof(v), pool), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_RESULT(umfCtlGet("umf.pool.by_handle.{}.buckets.count", &v, 4, pool), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfPoolFree(pool, p[0]);
    umfPoolFree(pool, p[1]);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

/* stats.alloc_count while threads allocate: sane during, exact after */
#define THREADS 4
#define KEEP 100
#define ROUNDS 20000

static umf_memory_pool_handle_t g_pool;
static atomic_bool g_stop;

static void *worker(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    void *held[KEEP] = {0};
    for (int r = 0; r < ROUNDS; r++) {
        int i = (int)(rand_r(&seed) % KEEP);
        if (held[i]) {
            umfPoolFree(g_pool, held[i]);
        }
        held[i] = umfPoolMalloc(g_pool, 8 + rand_r(&seed) % 2000);
    }
    for (int i = 0; i < KEEP; i++) {
        if (held[i] == NULL) {
            held[i] = umfPoolMalloc(g_pool, 64);
        }
    }
    /* hand the allocations to the main thread, which frees them after the check */
    void **out = malloc(sizeof(held));
    memcpy(out, held, sizeof(held));
    return out;
}

static void *reader(void *arg) {
    size_t *max_seen = arg;
    while (!atomic_load(&g_stop)) {
        size_t v = 0;
        CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.alloc_count", &v, sizeof(v), g_pool));
        if (v > *max_seen) {
            *max_seen = v;
        }
    }
    return NULL;
}

static void run_threads(const umf_memory_pool_ops_t *ops) {
    umf_memory_provider_handle_t prov = os_provider(UMF_MEM_MAP_PRIVATE);
    CHECK_OK(umfPoolCreate(ops, prov, NULL, 0, &g_pool));
    atomic_store(&g_stop, false);
    size_t max_seen = 0;
    pthread_t t[THREADS], rd;
    pthread_create(&rd, NULL, reader, &max_seen);
    for (int i = 0; i < THREADS; i++) {
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
    }
    void **held[THREADS];
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], (void **)&held[i]);
    }
    atomic_store(&g_stop, true);
    pthread_join(rd, NULL);
    /* during: a read is not a snapshot. The disjoint pool's may count chunks moved between a thread
     * cache and a bucket while it reads, so the only sure bound is everything that could move */
    CHECK(max_seen <= THREADS * (KEEP + ROUNDS));
    CHECK_EQ(alloc_count(g_pool), THREADS * KEEP);
    for (int i = 0; i < THREADS; i++) {
        for (int k = 0; k < KEEP; k++) {
            CHECK_OK(umfPoolFree(g_pool, held[i][k]));
        }
        free(held[i]);
    }
    CHECK_EQ(alloc_count(g_pool), 0);
    CHECK_OK(umfPoolDestroy(g_pool));
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

static void test_threads_disjoint(void) { run_threads(umfDisjointPoolOps()); }
static void test_threads_proxy(void) { run_threads(umfProxyPoolOps()); }

int main(void) {
    RUN_TEST(test_os_provider);
    RUN_TEST(test_fixed_and_file_providers);
    RUN_TEST(test_pool_alloc_count);
    RUN_TEST(test_disjoint_params);
    RUN_TEST(test_disjoint_trace_rules);
    RUN_TEST(test_disjoint_buckets);
    RUN_TEST(test_threads_disjoint);
    RUN_TEST(test_threads_proxy);
    return TEST_SUMMARY();
}
