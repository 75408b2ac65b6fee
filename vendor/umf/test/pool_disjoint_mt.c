/*
 * The disjoint pool under many threads: allocations freed by other threads,
 * statistics and trim running alongside, per-thread allocation errors.
 */
#include <pthread.h>
#include <stdarg.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <umf/memory_pool.h>
#include <umf/pools/pool_disjoint.h>

#include "test_common.h"

/* REQUIRE evaluates its condition twice: calls with side effects go through MUST */
#define MUST(cond)                                                                                 \
    do {                                                                                           \
        int must_ok_ = (cond) ? 1 : 0;                                                             \
        REQUIRE(must_ok_);                                                                         \
    } while (0)

static umf_result_t ctl_call(const umf_memory_pool_ops_t *ops, void *priv, const char *path, void *arg, size_t size,
                             umf_ctl_query_type_t type, ...) {
    va_list args;
    va_start(args, type);
    umf_result_t rc = ops->ext_ctl(priv, CTL_QUERY_PROGRAMMATIC, path, arg, size, type, args);
    va_end(args);
    return rc;
}

static umf_result_t ctl_read(const umf_memory_pool_ops_t *ops, void *priv, const char *path, size_t *out) {
    return ctl_call(ops, priv, path, out, sizeof(*out), CTL_QUERY_READ);
}

#define NTHREADS 6
#define ROUNDS 150
#define PER_ROUND 64

typedef struct slot_t {
    _Atomic(unsigned char *) ptr;
    size_t size;
    unsigned char tag;
} slot_t;

/* Thread t fills ring[t] each round; thread t+1 frees what thread t left there. */
static slot_t g_ring[NTHREADS][PER_ROUND];
static umf_memory_pool_handle_t g_pool;
static pthread_barrier_t g_barrier;
static atomic_int g_bad;
static atomic_bool g_stop;

static size_t pick_size(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t r = *s >> 33;
    switch (r % 8) {
    case 0:
        return 1 + r % 16;
    case 1:
    case 2:
    case 3:
        return 1 + r % 512;
    case 4:
    case 5:
        return 1 + r % 8192;
    case 6:
        return 1 + r % (200 * 1024);
    default:
        return (r % 64 == 0) ? 2 * 1024 * 1024 + r % 100000 : 1 + r % 70000;
    }
}

static int check_fill(const unsigned char *p, size_t n, unsigned char v) {
    /* checking the ends and a few points keeps the test quick */
    if (p[0] != v || p[n - 1] != v || p[n / 2] != v) {
        return 0;
    }
    return 1;
}

static void *worker(void *arg) {
    int t = (int)(intptr_t)arg;
    int prev = (t + NTHREADS - 1) % NTHREADS;
    uint64_t seed = 1000 + (uint64_t)t;
    for (int round = 0; round < ROUNDS; round++) {
        /* fill my ring */
        for (int i = 0; i < PER_ROUND; i++) {
            size_t size = pick_size(&seed);
            unsigned char *p;
            if (i % 7 == 0) {
                p = umfPoolAlignedMalloc(g_pool, size, (size_t)1 << (i % 13));
            } else if (i % 11 == 0) {
                p = umfPoolCalloc(g_pool, 1, size);
                if (p && !check_fill(p, size, 0)) {
                    atomic_fetch_add(&g_bad, 1);
                }
            } else {
                p = umfPoolMalloc(g_pool, size);
            }
            if (p == NULL) {
                atomic_fetch_add(&g_bad, 1);
                continue;
            }
            unsigned char tag = (unsigned char)(t * 37 + round + i);
            memset(p, tag, size);
            g_ring[t][i].size = size;
            g_ring[t][i].tag = tag;
            atomic_store(&g_ring[t][i].ptr, p);
        }
        pthread_barrier_wait(&g_barrier);
        /* free what my neighbour allocated, after checking nobody wrote over it */
        for (int i = 0; i < PER_ROUND; i++) {
            slot_t *s = &g_ring[prev][i];
            unsigned char *p = atomic_exchange(&s->ptr, NULL);
            if (p == NULL) {
                continue;
            }
            if (!check_fill(p, s->size, s->tag)) {
                atomic_fetch_add(&g_bad, 1);
            }
            umf_result_t rc = (i % 3 == 0) ? umfFree(p) : umfPoolFree(g_pool, p);
            if (rc != UMF_RESULT_SUCCESS) {
                atomic_fetch_add(&g_bad, 1);
            }
        }
        pthread_barrier_wait(&g_barrier);
    }
    return NULL;
}

/* Reads the statistics and trims while the workers run. */
static void *observer(void *arg) {
    umf_memory_pool_handle_t pool = arg;
    while (!atomic_load(&g_stop)) {
        CHECK_OK(umfPoolTrimMemory(pool, 1024 * 1024));
        sched_yield();
    }
    return NULL;
}

static void test_cross_thread_free(void) {
    test_provider_counters_t counters;
    memset(&counters, 0, sizeof(counters));
    umf_memory_provider_handle_t prov = NULL;
    MUST(umfMemoryProviderCreate(test_counting_provider_ops(), &counters, &prov) == UMF_RESULT_SUCCESS);
    umf_disjoint_pool_params_handle_t params = NULL;
    MUST(umfDisjointPoolParamsCreate(&params) == UMF_RESULT_SUCCESS);
    CHECK_OK(umfDisjointPoolParamsSetSlabMinSize(params, 16 * 1024));
    CHECK_OK(umfDisjointPoolParamsSetCapacity(params, 2));
    MUST(umfPoolCreate(umfDisjointPoolOps(), prov, params, 0, &g_pool) == UMF_RESULT_SUCCESS);
    umfDisjointPoolParamsDestroy(params);

    pthread_barrier_init(&g_barrier, NULL, NTHREADS);
    atomic_store(&g_stop, false);
    pthread_t th[NTHREADS], obs;
    pthread_create(&obs, NULL, observer, g_pool);
    for (int t = 0; t < NTHREADS; t++) {
        pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    }
    for (int t = 0; t < NTHREADS; t++) {
        pthread_join(th[t], NULL);
    }
    atomic_store(&g_stop, true);
    pthread_join(obs, NULL);
    pthread_barrier_destroy(&g_barrier);
    CHECK_EQ(atomic_load(&g_bad), 0);

    /* every chunk came back: trimming to 0 returns every slab */
    CHECK_OK(umfPoolTrimMemory(g_pool, 0));
    CHECK_EQ(counters.alloc_count, counters.free_count);
    CHECK_EQ(counters.bytes_live, 0);
    CHECK_OK(umfPoolDestroy(g_pool));
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

/* Many threads hammering one size class: no chunk is handed out twice. */
#define SAME_THREADS 8
#define SAME_ITERS 10000
static umf_memory_pool_handle_t g_same_pool;

static void *same_class_worker(void *arg) {
    unsigned char tag = (unsigned char)(intptr_t)arg;
    unsigned char *mine[16];
    for (int it = 0; it < SAME_ITERS; it++) {
        int n = 1 + it % 16;
        for (int i = 0; i < n; i++) {
            mine[i] = umfPoolMalloc(g_same_pool, 48);
            if (mine[i] == NULL) {
                atomic_fetch_add(&g_bad, 1);
                return NULL;
            }
            memset(mine[i], tag, 48);
        }
        for (int i = 0; i < n; i++) {
            if (mine[i][0] != tag || mine[i][47] != tag) {
                atomic_fetch_add(&g_bad, 1);
            }
            if (umfPoolFree(g_same_pool, mine[i]) != UMF_RESULT_SUCCESS) {
                atomic_fetch_add(&g_bad, 1);
            }
        }
    }
    return NULL;
}

static void test_same_class_contention(void) {
    test_provider_counters_t counters;
    memset(&counters, 0, sizeof(counters));
    umf_memory_provider_handle_t prov = NULL;
    MUST(umfMemoryProviderCreate(test_counting_provider_ops(), &counters, &prov) == UMF_RESULT_SUCCESS);
    MUST(umfPoolCreate(umfDisjointPoolOps(), prov, NULL, 0, &g_same_pool) == UMF_RESULT_SUCCESS);
    atomic_store(&g_bad, 0);
    pthread_t th[SAME_THREADS];
    for (int t = 0; t < SAME_THREADS; t++) {
        pthread_create(&th[t], NULL, same_class_worker, (void *)(intptr_t)(t + 1));
    }
    for (int t = 0; t < SAME_THREADS; t++) {
        pthread_join(th[t], NULL);
    }
    CHECK_EQ(atomic_load(&g_bad), 0);
    CHECK_OK(umfPoolDestroy(g_same_pool));
    CHECK_OK(umfMemoryProviderDestroy(prov));
    CHECK_EQ(counters.alloc_count, counters.free_count);
}

/* The last allocation error belongs to the thread that saw it. */
static umf_memory_pool_handle_t g_err_pool;
static test_provider_counters_t g_err_counters;
static umf_result_t g_other_thread_error;

static void *other_thread(void *arg) {
    void *p = umfPoolMalloc(g_err_pool, 100);
    g_other_thread_error = umfPoolGetLastAllocationError(g_err_pool);
    umfPoolFree(g_err_pool, p);
    return NULL;
}

static void test_last_error_per_thread(void) {
    memset(&g_err_counters, 0, sizeof(g_err_counters));
    umf_memory_provider_handle_t prov = NULL;
    MUST(umfMemoryProviderCreate(test_counting_provider_ops(), &g_err_counters, &prov) == UMF_RESULT_SUCCESS);
    MUST(umfPoolCreate(umfDisjointPoolOps(), prov, NULL, 0, &g_err_pool) == UMF_RESULT_SUCCESS);
    g_err_counters.fail_next_allocs = 1;
    CHECK(umfPoolMalloc(g_err_pool, 5 * 1024 * 1024) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(g_err_pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    g_other_thread_error = UMF_RESULT_ERROR_UNKNOWN;
    pthread_t th;
    pthread_create(&th, NULL, other_thread, NULL);
    pthread_join(th, NULL);
    CHECK_EQ(g_other_thread_error, UMF_RESULT_SUCCESS);
    CHECK_EQ(umfPoolGetLastAllocationError(g_err_pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK_OK(umfPoolDestroy(g_err_pool));
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

/* ---- thread caches (pools with pool_trace 0 cache chunks of up to 1 KiB per thread) ---- */

static umf_memory_pool_handle_t g_tc_pool;
static pthread_barrier_t g_tc_barrier;

static void *tc_alloc_free_exit(void *arg) {
    void *ptrs[200];
    for (int i = 0; i < 200; i++) {
        ptrs[i] = umfPoolMalloc(g_tc_pool, 64);
        if (ptrs[i] == NULL) {
            atomic_fetch_add(&g_bad, 1);
        }
    }
    for (int i = 0; i < 200; i++) {
        if (umfPoolFree(g_tc_pool, ptrs[i]) != UMF_RESULT_SUCCESS) {
            atomic_fetch_add(&g_bad, 1);
        }
    }
    return NULL; /* the thread's cache goes back to the pool as it exits */
}

static void test_thread_cache_given_back_at_exit(void) {
    test_provider_counters_t counters;
    memset(&counters, 0, sizeof(counters));
    umf_memory_provider_handle_t prov = NULL;
    MUST(umfMemoryProviderCreate(test_counting_provider_ops(), &counters, &prov) == UMF_RESULT_SUCCESS);
    MUST(umfPoolCreate(umfDisjointPoolOps(), prov, NULL, 0, &g_tc_pool) == UMF_RESULT_SUCCESS);
    atomic_store(&g_bad, 0);
    pthread_t th;
    pthread_create(&th, NULL, tc_alloc_free_exit, NULL);
    pthread_join(th, NULL);
    CHECK_EQ(atomic_load(&g_bad), 0);
    CHECK(counters.alloc_count >= 1);
    /* nothing is left in use: trimming from this thread returns every slab */
    CHECK_OK(umfPoolTrimMemory(g_tc_pool, 0));
    CHECK_EQ(counters.free_count, counters.alloc_count);
    CHECK_OK(umfPoolDestroy(g_tc_pool));
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

static void test_thread_cache_trim_and_double_free(void) {
    test_provider_counters_t counters;
    memset(&counters, 0, sizeof(counters));
    umf_memory_provider_handle_t prov = NULL;
    MUST(umfMemoryProviderCreate(test_counting_provider_ops(), &counters, &prov) == UMF_RESULT_SUCCESS);
    umf_memory_pool_handle_t pool = NULL;
    MUST(umfPoolCreate(umfDisjointPoolOps(), prov, NULL, 0, &pool) == UMF_RESULT_SUCCESS);
    void *a = umfPoolMalloc(pool, 32);
    void *b = umfPoolMalloc(pool, 32);
    MUST(a != NULL && b != NULL);
    CHECK_OK(umfPoolFree(pool, a));
    CHECK_RESULT(umfPoolFree(pool, a), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* caught in the cache */
    size_t s = 0;
    CHECK_RESULT(umfPoolMallocUsableSize(pool, a, &s), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfPoolFree(pool, b));
    /* freed chunks sit in this thread's cache: the slab is still held... */
    CHECK_EQ(counters.free_count, 0);
    /* ...until the thread trims, which empties its cache first */
    CHECK_OK(umfPoolTrimMemory(pool, 0));
    CHECK_EQ(counters.free_count, counters.alloc_count);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

/* A thread keeps a cache for a pool that another thread destroys, then goes on with other pools. */
#define TC_POOLS 134
static umf_memory_provider_handle_t g_tc_prov;
static void *tc_outlives_pool(void *arg) {
    void *p = umfPoolMalloc(g_tc_pool, 100);
    umfPoolFree(g_tc_pool, p);               /* now cached by this thread */
    pthread_barrier_wait(&g_tc_barrier);    /* main destroys the pool */
    pthread_barrier_wait(&g_tc_barrier);
    /* more pools than TLS slots (128 in disjoint.c): caches are evicted and forgotten as needed */
    for (int round = 0; round < 3; round++) {
        umf_memory_pool_handle_t pools[TC_POOLS];
        for (int i = 0; i < TC_POOLS; i++) {
            if (umfPoolCreate(umfDisjointPoolOps(), g_tc_prov, NULL, 0, &pools[i]) != UMF_RESULT_SUCCESS) {
                atomic_fetch_add(&g_bad, 1);
                return NULL;
            }
        }
        for (int it = 0; it < 50; it++) {
            for (int i = 0; i < TC_POOLS; i++) {
                unsigned char *x = umfPoolMalloc(pools[i], 16 + (size_t)(i % 8));
                if (x == NULL) {
                    atomic_fetch_add(&g_bad, 1);
                    continue;
                }
                memset(x, i & 0xff, 16);
                if (umfPoolFree(pools[i], x) != UMF_RESULT_SUCCESS) {
                    atomic_fetch_add(&g_bad, 1);
                }
            }
        }
        for (int i = 0; i < TC_POOLS; i++) {
            if (umfPoolDestroy(pools[i]) != UMF_RESULT_SUCCESS) {
                atomic_fetch_add(&g_bad, 1);
            }
        }
    }
    return NULL;
}

static void test_thread_cache_outlives_pool(void) {
    test_provider_counters_t counters;
    memset(&counters, 0, sizeof(counters));
    MUST(umfMemoryProviderCreate(test_counting_provider_ops(), &counters, &g_tc_prov) == UMF_RESULT_SUCCESS);
    MUST(umfPoolCreate(umfDisjointPoolOps(), g_tc_prov, NULL, 0, &g_tc_pool) == UMF_RESULT_SUCCESS);
    atomic_store(&g_bad, 0);
    pthread_barrier_init(&g_tc_barrier, NULL, 2);
    pthread_t th;
    pthread_create(&th, NULL, tc_outlives_pool, NULL);
    pthread_barrier_wait(&g_tc_barrier);
    CHECK_OK(umfPoolDestroy(g_tc_pool));
    pthread_barrier_wait(&g_tc_barrier);
    pthread_join(th, NULL);
    pthread_barrier_destroy(&g_tc_barrier);
    CHECK_EQ(atomic_load(&g_bad), 0);
    CHECK_EQ(counters.alloc_count, counters.free_count);
    CHECK_OK(umfMemoryProviderDestroy(g_tc_prov));
}

/* The statistics do not count cached chunks as used. */
static void test_thread_cache_used_memory(void) {
    test_provider_counters_t counters;
    memset(&counters, 0, sizeof(counters));
    umf_memory_provider_handle_t prov = NULL;
    MUST(umfMemoryProviderCreate(test_counting_provider_ops(), &counters, &prov) == UMF_RESULT_SUCCESS);
    const umf_memory_pool_ops_t *ops = umfDisjointPoolOps();
    void *priv = NULL;
    MUST(ops->initialize(prov, NULL, &priv) == UMF_RESULT_SUCCESS);
    void *ptrs[10];
    for (int i = 0; i < 10; i++) {
        ptrs[i] = ops->malloc(priv, 64);
        MUST(ptrs[i] != NULL);
    }
    size_t used = 0;
    CHECK_OK(ctl_read(ops, priv, "stats.used_memory", &used));
    CHECK_EQ(used, 640);
    for (int i = 0; i < 5; i++) {
        CHECK_OK(ops->free(priv, ptrs[i]));
    }
    CHECK_OK(ctl_read(ops, priv, "stats.used_memory", &used));
    CHECK_EQ(used, 320);
    for (int i = 5; i < 10; i++) {
        CHECK_OK(ops->free(priv, ptrs[i]));
    }
    CHECK_OK(ctl_read(ops, priv, "stats.used_memory", &used));
    CHECK_EQ(used, 0);
    CHECK_OK(ops->finalize(priv));
    CHECK_OK(umfMemoryProviderDestroy(prov));
    CHECK_EQ(counters.alloc_count, counters.free_count);
}

int main(void) {
    RUN_TEST(test_cross_thread_free);
    RUN_TEST(test_same_class_contention);
    RUN_TEST(test_last_error_per_thread);
    RUN_TEST(test_thread_cache_given_back_at_exit);
    RUN_TEST(test_thread_cache_trim_and_double_free);
    RUN_TEST(test_thread_cache_outlives_pool);
    RUN_TEST(test_thread_cache_used_memory);
    return TEST_SUMMARY();
}
