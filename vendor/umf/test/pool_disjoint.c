/*
 * Tests of the disjoint pool: params, buckets, alignment, calloc/realloc,
 * capacity, shared limits, trim, statistics and CTL, tracking, and a pool that
 * never touches its provider's memory.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <umf/memory_pool.h>
#include <umf/pools/pool_disjoint.h>

#include "test_common.h"

/* REQUIRE evaluates its condition twice: calls with side effects go through MUST */
#define MUST(cond)                                                                                 \
    do {                                                                                           \
        int must_ok_ = (cond) ? 1 : 0;                                                             \
        REQUIRE(must_ok_);                                                                         \
    } while (0)

#define KiB ((size_t)1024)
#define MiB (1024 * KiB)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

typedef struct fixture_t {
    test_provider_counters_t counters;
    umf_memory_provider_handle_t provider;
    umf_memory_pool_handle_t pool;
} fixture_t;

/* A pool over a counting provider; configure(params) may change the params first. */
static int fixture_open(fixture_t *f, void (*configure)(umf_disjoint_pool_params_handle_t), umf_pool_create_flags_t flags) {
    memset(f, 0, sizeof(*f));
    if (umfMemoryProviderCreate(test_counting_provider_ops(), &f->counters, &f->provider) != UMF_RESULT_SUCCESS) {
        return -1;
    }
    umf_disjoint_pool_params_handle_t params = NULL;
    if (umfDisjointPoolParamsCreate(&params) != UMF_RESULT_SUCCESS) {
        return -1;
    }
    if (configure) {
        configure(params);
    }
    umf_result_t rc = umfPoolCreate(umfDisjointPoolOps(), f->provider, params, flags, &f->pool);
    umfDisjointPoolParamsDestroy(params);
    return rc == UMF_RESULT_SUCCESS ? 0 : -1;
}

static void fixture_close(fixture_t *f) {
    if (f->pool) {
        CHECK_OK(umfPoolDestroy(f->pool));
    }
    if (f->provider) {
        CHECK_OK(umfMemoryProviderDestroy(f->provider));
    }
    /* everything the pool took from the provider went back */
    CHECK_EQ(f->counters.alloc_count, f->counters.free_count);
    CHECK_EQ(f->counters.bytes_live, 0);
}

/* The pool's ops driven directly, for CTL queries (the CTL front end lives elsewhere). */
typedef struct direct_t {
    test_provider_counters_t counters;
    umf_memory_provider_handle_t provider;
    const umf_memory_pool_ops_t *ops;
    void *priv;
} direct_t;

static umf_result_t dctl_src(direct_t *d, umf_ctl_query_source_t source, const char *path, void *arg, size_t size,
                             umf_ctl_query_type_t type, ...) {
    va_list args;
    va_start(args, type);
    umf_result_t rc = d->ops->ext_ctl(d->priv, source, path, arg, size, type, args);
    va_end(args);
    return rc;
}

static umf_result_t dctl(direct_t *d, const char *path, void *arg, size_t size, umf_ctl_query_type_t type, ...) {
    va_list args;
    va_start(args, type);
    umf_result_t rc = d->ops->ext_ctl(d->priv, CTL_QUERY_PROGRAMMATIC, path, arg, size, type, args);
    va_end(args);
    return rc;
}

static int direct_open(direct_t *d, umf_disjoint_pool_params_handle_t params, int post_init) {
    memset(d, 0, sizeof(*d));
    d->ops = umfDisjointPoolOps();
    if (umfMemoryProviderCreate(test_counting_provider_ops(), &d->counters, &d->provider) != UMF_RESULT_SUCCESS) {
        return -1;
    }
    if (d->ops->initialize(d->provider, params, &d->priv) != UMF_RESULT_SUCCESS) {
        return -1;
    }
    if (post_init && dctl(d, "post_initialize", NULL, 0, CTL_QUERY_RUNNABLE) != UMF_RESULT_SUCCESS) {
        return -1;
    }
    return 0;
}

static void direct_close(direct_t *d) {
    if (d->priv) {
        CHECK_OK(d->ops->finalize(d->priv));
    }
    if (d->provider) {
        CHECK_OK(umfMemoryProviderDestroy(d->provider));
    }
    CHECK_EQ(d->counters.alloc_count, d->counters.free_count);
}

static size_t dget(direct_t *d, const char *path) {
    size_t v = (size_t)-1;
    CHECK_OK(dctl(d, path, &v, sizeof(v), CTL_QUERY_READ));
    return v;
}

static void fill(void *p, size_t n, unsigned char v) { memset(p, v, n); }

static int all_bytes(const void *p, size_t n, unsigned char v) {
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        if (c[i] != v) {
            return 0;
        }
    }
    return 1;
}

static size_t usable(umf_memory_pool_handle_t pool, void *p) {
    size_t s = (size_t)-1;
    CHECK_OK(umfPoolMallocUsableSize(pool, p, &s));
    return s;
}

/* The size-class sequence the pool is documented to use: min, x1.5, x2, ... */
static size_t expected_class(size_t i, size_t min) { return (i % 2 == 0) ? (min << (i / 2)) : ((min * 3 / 2) << (i / 2)); }

/* ---- params ---- */

static void test_params_errors(void) {
    umf_disjoint_pool_params_handle_t p = NULL;
    CHECK_RESULT(umfDisjointPoolParamsCreate(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfDisjointPoolParamsDestroy(NULL));
    CHECK_RESULT(umfDisjointPoolParamsSetSlabMinSize(NULL, 4096), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfDisjointPoolParamsSetMaxPoolableSize(NULL, 4096), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfDisjointPoolParamsSetCapacity(NULL, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfDisjointPoolParamsSetMinBucketSize(NULL, 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfDisjointPoolParamsSetTrace(NULL, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfDisjointPoolParamsSetSharedLimits(NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfDisjointPoolParamsSetName(NULL, "x"), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfDisjointPoolSharedLimitsCreate(1024, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfDisjointPoolSharedLimitsDestroy(NULL));

    MUST(umfDisjointPoolParamsCreate(&p) == UMF_RESULT_SUCCESS && p != NULL);
    CHECK_OK(umfDisjointPoolParamsSetSlabMinSize(p, 128 * KiB));
    CHECK_OK(umfDisjointPoolParamsSetMaxPoolableSize(p, 1 * MiB));
    CHECK_OK(umfDisjointPoolParamsSetCapacity(p, 7));
    CHECK_RESULT(umfDisjointPoolParamsSetMinBucketSize(p, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfDisjointPoolParamsSetMinBucketSize(p, 3), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfDisjointPoolParamsSetMinBucketSize(p, 24), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfDisjointPoolParamsSetMinBucketSize(p, 16));
    CHECK_OK(umfDisjointPoolParamsSetTrace(p, 2));
    CHECK_RESULT(umfDisjointPoolParamsSetName(p, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfDisjointPoolParamsSetName(p, "params_pool"));
    umf_disjoint_pool_shared_limits_handle_t lim = NULL;
    CHECK_OK(umfDisjointPoolSharedLimitsCreate(10 * MiB, &lim));
    CHECK(lim != NULL);
    CHECK_OK(umfDisjointPoolParamsSetSharedLimits(p, lim));
    CHECK_OK(umfDisjointPoolParamsSetSharedLimits(p, NULL));

    /* the values set are the values the pool reports */
    direct_t d;
    MUST(direct_open(&d, p, 1) == 0);
    CHECK_EQ(dget(&d, "params.slab_min_size"), 128 * KiB);
    CHECK_EQ(dget(&d, "params.max_poolable_size"), 1 * MiB);
    CHECK_EQ(dget(&d, "params.capacity"), 7);
    CHECK_EQ(dget(&d, "params.min_bucket_size"), 16);
    int trace = -1;
    CHECK_OK(dctl(&d, "params.pool_trace", &trace, sizeof(trace), CTL_QUERY_READ));
    CHECK_EQ(trace, 2);
    const char *name = NULL;
    CHECK_OK(d.ops->get_name(d.priv, &name));
    CHECK(name && strcmp(name, "params_pool") == 0);
    direct_close(&d);

    CHECK_OK(umfDisjointPoolParamsDestroy(p));
    CHECK_OK(umfDisjointPoolSharedLimitsDestroy(lim));
}

static void test_defaults_and_names(void) {
    const char *name = NULL;
    CHECK_OK(umfDisjointPoolOps()->get_name(NULL, &name));
    CHECK(name && strcmp(name, "disjoint") == 0);
    CHECK_EQ(UMF_DISJOINT_POOL_MIN_BUCKET_DEFAULT_SIZE, 8);
    CHECK_EQ(umfDisjointPoolOps()->version, UMF_POOL_OPS_VERSION_CURRENT);

    /* NULL params and default params both give UMF's defaults */
    for (int with_params = 0; with_params < 2; with_params++) {
        umf_disjoint_pool_params_handle_t p = NULL;
        if (with_params) {
            CHECK_OK(umfDisjointPoolParamsCreate(&p));
        }
        direct_t d;
        MUST(direct_open(&d, p, 1) == 0);
        CHECK_EQ(dget(&d, "params.slab_min_size"), 64 * KiB);
        CHECK_EQ(dget(&d, "params.max_poolable_size"), 2 * MiB);
        CHECK_EQ(dget(&d, "params.capacity"), 4);
        CHECK_EQ(dget(&d, "params.min_bucket_size"), 8);
        int trace = -1;
        CHECK_OK(dctl(&d, "params.pool_trace", &trace, sizeof(trace), CTL_QUERY_READ));
        CHECK_EQ(trace, 0);
        CHECK_OK(d.ops->get_name(d.priv, &name));
        CHECK(name && strcmp(name, "disjoint") == 0);
        direct_close(&d);
        umfDisjointPoolParamsDestroy(p);
    }

    /* a long name is cut to 63 characters */
    char longname[100];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    umf_disjoint_pool_params_handle_t p = NULL;
    CHECK_OK(umfDisjointPoolParamsCreate(&p));
    CHECK_OK(umfDisjointPoolParamsSetName(p, longname));
    fixture_t f;
    memset(&f, 0, sizeof(f));
    MUST(umfMemoryProviderCreate(test_counting_provider_ops(), &f.counters, &f.provider) == UMF_RESULT_SUCCESS);
    MUST(umfPoolCreate(umfDisjointPoolOps(), f.provider, p, 0, &f.pool) == UMF_RESULT_SUCCESS);
    CHECK_OK(umfPoolGetName(f.pool, &name));
    CHECK(name && strlen(name) == 63 && strncmp(name, longname, 63) == 0);
    umfDisjointPoolParamsDestroy(p);
    fixture_close(&f);

    /* the params are copied: destroying them right after create is fine */
    MUST(fixture_open(&f, NULL, 0) == 0);
    void *x = umfPoolMalloc(f.pool, 100);
    CHECK(x != NULL);
    CHECK_OK(umfPoolFree(f.pool, x));
    fixture_close(&f);
}

/* ---- sizes ---- */

static void test_bucket_boundaries(void) {
    direct_t d;
    MUST(direct_open(&d, NULL, 1) == 0);
    size_t count = dget(&d, "buckets.count");
    CHECK(count >= 30);
    size_t last = 0;
    for (size_t i = 0; i < count; i++) {
        size_t sz = (size_t)-1;
        CHECK_OK(dctl(&d, "buckets.{}.size", &sz, sizeof(sz), CTL_QUERY_READ, i));
        CHECK_EQ(sz, expected_class(i, 8));
        last = sz;
        /* the same through a literal index */
        char path[64];
        snprintf(path, sizeof(path), "buckets.%zu.size", i);
        CHECK_EQ(dget(&d, path), expected_class(i, 8));
    }
    CHECK_EQ(last, 2 * MiB); /* the last class is max_poolable_size itself */
    direct_close(&d);

    fixture_t f;
    MUST(fixture_open(&f, NULL, 0) == 0);
    /* sizes just below, at and just above every class land in the right class */
    for (size_t i = 0; i < count; i++) {
        size_t b = expected_class(i, 8);
        size_t prev = i ? expected_class(i - 1, 8) : 0;
        size_t sizes[3] = {b - 1, b, b + 1};
        for (int k = 0; k < 3; k++) {
            size_t s = sizes[k];
            if (s == 0) {
                continue;
            }
            void *p = umfPoolMalloc(f.pool, s);
            REQUIRE(p != NULL);
            size_t expect = s <= prev ? prev : (s <= b ? b : (i + 1 < count ? expected_class(i + 1, 8) : s));
            if (s <= 8) {
                expect = 8;
            }
            CHECK_EQ(usable(f.pool, p), expect);
            fill(p, s, (unsigned char)(i + k));
            CHECK(all_bytes(p, s, (unsigned char)(i + k)));
            CHECK_OK(umfPoolFree(f.pool, p));
        }
    }
    /* around max_poolable_size: at it from a slab, above it straight from the provider */
    void *keep = umfPoolMalloc(f.pool, 2 * MiB); /* makes sure a slab of the class exists */
    REQUIRE(keep != NULL);
    size_t allocs = f.counters.alloc_count, frees = f.counters.free_count;
    void *big = umfPoolMalloc(f.pool, 2 * MiB + 1);
    REQUIRE(big != NULL);
    CHECK_EQ(f.counters.alloc_count, allocs + 1);
    CHECK_EQ(usable(f.pool, big), 2 * MiB + 1);
    fill(big, 2 * MiB + 1, 0x5a);
    CHECK_OK(umfPoolFree(f.pool, big));
    CHECK_EQ(f.counters.free_count, frees + 1); /* large allocations are never cached */
    CHECK_OK(umfPoolFree(f.pool, keep));
    fixture_close(&f);
}

static void set_min_bucket_64(umf_disjoint_pool_params_handle_t p) { umfDisjointPoolParamsSetMinBucketSize(p, 64); }
static void set_small_max_poolable(umf_disjoint_pool_params_handle_t p) {
    umfDisjointPoolParamsSetMaxPoolableSize(p, 1000);
}
static void set_nothing_pooled(umf_disjoint_pool_params_handle_t p) { umfDisjointPoolParamsSetMaxPoolableSize(p, 0); }
static void set_odd_slab(umf_disjoint_pool_params_handle_t p) { umfDisjointPoolParamsSetSlabMinSize(p, 100000); }

static void test_size_params(void) {
    fixture_t f;
    MUST(fixture_open(&f, set_min_bucket_64, 0) == 0);
    void *p = umfPoolMalloc(f.pool, 1);
    REQUIRE(p != NULL);
    CHECK_EQ(usable(f.pool, p), 64);
    void *q = umfPoolMalloc(f.pool, 65);
    CHECK_EQ(usable(f.pool, q), 96);
    CHECK_OK(umfPoolFree(f.pool, p));
    CHECK_OK(umfPoolFree(f.pool, q));
    fixture_close(&f);

    /* max_poolable_size 1000: 1000 comes from the 1024 class, 1001 from the provider */
    MUST(fixture_open(&f, set_small_max_poolable, 0) == 0);
    p = umfPoolMalloc(f.pool, 1000);
    REQUIRE(p != NULL);
    CHECK_EQ(usable(f.pool, p), 1024);
    size_t allocs = f.counters.alloc_count;
    q = umfPoolMalloc(f.pool, 1001);
    REQUIRE(q != NULL);
    CHECK_EQ(f.counters.alloc_count, allocs + 1);
    CHECK_EQ(usable(f.pool, q), 1001);
    CHECK_OK(umfPoolFree(f.pool, p));
    CHECK_OK(umfPoolFree(f.pool, q));
    fixture_close(&f);

    /* max_poolable_size 0: every allocation is a provider allocation */
    MUST(fixture_open(&f, set_nothing_pooled, 0) == 0);
    p = umfPoolMalloc(f.pool, 8);
    REQUIRE(p != NULL);
    CHECK_EQ(f.counters.alloc_count, 1);
    CHECK_EQ(usable(f.pool, p), 8);
    CHECK_OK(umfPoolFree(f.pool, p));
    CHECK_EQ(f.counters.free_count, 1);
    fixture_close(&f);

    /* a slab_min_size that is not a power of 2 */
    MUST(fixture_open(&f, set_odd_slab, 0) == 0);
    void *ptrs[64];
    for (int i = 0; i < 64; i++) {
        ptrs[i] = umfPoolMalloc(f.pool, 3000);
        REQUIRE(ptrs[i] != NULL);
        fill(ptrs[i], 3000, (unsigned char)i);
    }
    for (int i = 0; i < 64; i++) {
        CHECK(all_bytes(ptrs[i], 3000, (unsigned char)i));
        CHECK_OK(umfPoolFree(f.pool, ptrs[i]));
    }
    fixture_close(&f);
}

static void test_zero_null_and_bad_pointers(void) {
    fixture_t f;
    MUST(fixture_open(&f, NULL, 0) == 0);
    CHECK(umfPoolMalloc(f.pool, 0) == NULL);
    CHECK(umfPoolAlignedMalloc(f.pool, 0, 64) == NULL);
    CHECK(umfPoolCalloc(f.pool, 0, 16) == NULL);
    CHECK(umfPoolCalloc(f.pool, 16, 0) == NULL);
    CHECK_OK(umfPoolFree(f.pool, NULL));
    size_t s = 123;
    CHECK_OK(umfPoolMallocUsableSize(f.pool, NULL, &s));
    CHECK_EQ(s, 0);

    /* memory the pool never gave out */
    char *foreign = malloc(256);
    CHECK_RESULT(umfPoolFree(f.pool, foreign), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolMallocUsableSize(f.pool, foreign, &s), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(umfPoolRealloc(f.pool, foreign, 10) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(f.pool), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    free(foreign);

    /* inside a chunk, and twice */
    char *p = umfPoolMalloc(f.pool, 100);
    char *keep = umfPoolMalloc(f.pool, 100); /* keeps the slab in use */
    REQUIRE(p != NULL && keep != NULL);
    CHECK_RESULT(umfPoolFree(f.pool, p + 8), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolMallocUsableSize(f.pool, p + 1, &s), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfPoolFree(f.pool, p));
    CHECK_RESULT(umfPoolFree(f.pool, p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfPoolFree(f.pool, keep));
    /* the slab is now empty (cached): freeing into it again is still an error */
    CHECK_RESULT(umfPoolFree(f.pool, keep), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    /* a large allocation freed twice */
    void *big = umfPoolMalloc(f.pool, 3 * MiB);
    REQUIRE(big != NULL);
    CHECK_OK(umfPoolFree(f.pool, big));
    CHECK_RESULT(umfPoolFree(f.pool, big), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    fixture_close(&f);
}

static void test_many_sizes_no_overlap(void) {
    fixture_t f;
    MUST(fixture_open(&f, NULL, 0) == 0);
    enum { N = 3000 };
    static void *ptrs[N];
    static size_t sizes[N];
    uint64_t seed = 12345;
    for (int i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        sizes[i] = 1 + (size_t)((seed >> 33) % (i % 100 == 0 ? 3 * MiB : 20000));
        ptrs[i] = umfPoolMalloc(f.pool, sizes[i]);
        REQUIRE(ptrs[i] != NULL);
        CHECK(usable(f.pool, ptrs[i]) >= sizes[i]);
        fill(ptrs[i], sizes[i], (unsigned char)(i * 7));
    }
    for (int i = 0; i < N; i += 2) {
        CHECK(all_bytes(ptrs[i], sizes[i], (unsigned char)(i * 7)));
        CHECK_OK(umfPoolFree(f.pool, ptrs[i]));
    }
    for (int i = 0; i < N; i += 2) {
        ptrs[i] = umfPoolMalloc(f.pool, sizes[i]);
        REQUIRE(ptrs[i] != NULL);
        fill(ptrs[i], sizes[i], (unsigned char)(i * 7));
    }
    for (int i = 0; i < N; i++) {
        CHECK(all_bytes(ptrs[i], sizes[i], (unsigned char)(i * 7)));
        CHECK_OK(umfPoolFree(f.pool, ptrs[i]));
    }
    fixture_close(&f);
}

/* ---- alignment ---- */

static void test_aligned(void) {
    fixture_t f;
    MUST(fixture_open(&f, NULL, 0) == 0);
    static const size_t aligns[] = {0,         1,         2,        4,        8,        16,      32,
                                    64,        128,       256,      512,      1024,     2048,    4096,
                                    8192,      16 * KiB,  32 * KiB, 64 * KiB, 128 * KiB, 1 * MiB, 2 * MiB,
                                    4 * MiB};
    static const size_t sizes[] = {1, 7, 24, 100, 4095, 5000, 70000, 2 * MiB, 3 * MiB};
    for (size_t a = 0; a < ARRAY_LEN(aligns); a++) {
        for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
            void *p = umfPoolAlignedMalloc(f.pool, sizes[s], aligns[a]);
            REQUIRE(p != NULL);
            if (aligns[a] > 1) {
                CHECK_EQ((uintptr_t)p % aligns[a], 0);
            }
            CHECK(usable(f.pool, p) >= sizes[s]);
            fill(p, sizes[s], 0xc3);
            /* a neighbour of the same shape does not overlap */
            void *q = umfPoolAlignedMalloc(f.pool, sizes[s], aligns[a]);
            REQUIRE(q != NULL);
            CHECK((char *)q >= (char *)p + sizes[s] || (char *)q + sizes[s] <= (char *)p);
            fill(q, sizes[s], 0x3c);
            CHECK(all_bytes(p, sizes[s], 0xc3));
            CHECK_OK(umfPoolFree(f.pool, p));
            CHECK_OK(umfPoolFree(f.pool, q));
        }
    }
    /* alignments that are not powers of 2 */
    CHECK(umfPoolAlignedMalloc(f.pool, 64, 3) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(f.pool), UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    CHECK(umfPoolAlignedMalloc(f.pool, 64, 48) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(f.pool), UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    /* small alignments come from the bucket of the aligned size */
    void *p = umfPoolAlignedMalloc(f.pool, 40, 32);
    REQUIRE(p != NULL);
    CHECK_EQ(usable(f.pool, p), 64);
    CHECK_OK(umfPoolFree(f.pool, p));
    fixture_close(&f);
}

/* ---- calloc / realloc ---- */

static void test_calloc(void) {
    fixture_t f;
    MUST(fixture_open(&f, NULL, 0) == 0);
    static const size_t sizes[] = {1, 8, 100, 4096, 70000, 3 * MiB};
    for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
        /* dirty a chunk, free it, and calloc the same size: it must come back zeroed */
        void *d = umfPoolMalloc(f.pool, sizes[i]);
        REQUIRE(d != NULL);
        fill(d, sizes[i], 0xee);
        void *keep = umfPoolMalloc(f.pool, sizes[i]);
        CHECK_OK(umfPoolFree(f.pool, d));
        unsigned char *z = umfPoolCalloc(f.pool, 1, sizes[i]);
        REQUIRE(z != NULL);
        CHECK(all_bytes(z, sizes[i], 0));
        CHECK_OK(umfPoolFree(f.pool, z));
        CHECK_OK(umfPoolFree(f.pool, keep));
    }
    unsigned char *z = umfPoolCalloc(f.pool, 100, 24);
    REQUIRE(z != NULL);
    CHECK(usable(f.pool, z) >= 2400);
    CHECK(all_bytes(z, 2400, 0));
    CHECK_OK(umfPoolFree(f.pool, z));
    /* num * size overflows */
    CHECK(umfPoolCalloc(f.pool, SIZE_MAX / 2, 4) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(f.pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    fixture_close(&f);
}

static void pattern(unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        p[i] = (unsigned char)(i * 31 + 7);
    }
}

static int pattern_ok(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != (unsigned char)(i * 31 + 7)) {
            return 0;
        }
    }
    return 1;
}

static void test_realloc(void) {
    fixture_t f;
    MUST(fixture_open(&f, NULL, 0) == 0);
    /* realloc(NULL, n) is malloc */
    unsigned char *p = umfPoolRealloc(f.pool, NULL, 10);
    REQUIRE(p != NULL);
    pattern(p, 10);
    /* within the same class the pointer stays */
    CHECK(umfPoolRealloc(f.pool, p, 12) == p);
    CHECK(pattern_ok(p, 10));
    pattern(p, 12);
    /* growing through slabs and into a large allocation keeps the data */
    static const size_t grow[] = {100, 5000, 70000, 2 * MiB, 3 * MiB, 5 * MiB};
    size_t cur = 12;
    for (size_t i = 0; i < ARRAY_LEN(grow); i++) {
        unsigned char *q = umfPoolRealloc(f.pool, p, grow[i]);
        REQUIRE(q != NULL);
        CHECK(pattern_ok(q, cur));
        CHECK(usable(f.pool, q) >= grow[i]);
        pattern(q, grow[i]);
        p = q;
        cur = grow[i];
    }
    /* shrinking keeps the head */
    static const size_t shrink[] = {4 * MiB, 3 * MiB, 1 * MiB, 4000, 16, 1};
    for (size_t i = 0; i < ARRAY_LEN(shrink); i++) {
        unsigned char *q = umfPoolRealloc(f.pool, p, shrink[i]);
        REQUIRE(q != NULL);
        CHECK(pattern_ok(q, shrink[i]));
        CHECK(usable(f.pool, q) >= shrink[i]);
        p = q;
    }
    /* realloc(p, 0) frees and gives NULL */
    size_t frees_before = f.counters.free_count;
    void *big = umfPoolMalloc(f.pool, 3 * MiB);
    REQUIRE(big != NULL);
    CHECK(umfPoolRealloc(f.pool, big, 0) == NULL);
    CHECK_EQ(f.counters.free_count, frees_before + 1);
    size_t s = 0;
    CHECK_RESULT(umfPoolMallocUsableSize(f.pool, big, &s), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(umfPoolRealloc(f.pool, p, 0) == NULL);
    CHECK_RESULT(umfPoolFree(f.pool, p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    fixture_close(&f);
}

/* ---- capacity, shared limits, trim ---- */

static void set_capacity_2(umf_disjoint_pool_params_handle_t p) { umfDisjointPoolParamsSetCapacity(p, 2); }
static void set_capacity_0(umf_disjoint_pool_params_handle_t p) { umfDisjointPoolParamsSetCapacity(p, 0); }
static void set_capacity_10(umf_disjoint_pool_params_handle_t p) { umfDisjointPoolParamsSetCapacity(p, 10); }

/* 64 KiB allocations take one 64 KiB slab each. */
static void alloc_n(umf_memory_pool_handle_t pool, void **ptrs, int n, size_t size) {
    for (int i = 0; i < n; i++) {
        ptrs[i] = umfPoolMalloc(pool, size);
        CHECK(ptrs[i] != NULL);
    }
}

static void free_n(umf_memory_pool_handle_t pool, void **ptrs, int n) {
    for (int i = 0; i < n; i++) {
        CHECK_OK(umfPoolFree(pool, ptrs[i]));
    }
}

static void test_capacity(void) {
    void *ptrs[8];
    fixture_t f;
    MUST(fixture_open(&f, set_capacity_2, 0) == 0);
    alloc_n(f.pool, ptrs, 5, 64 * KiB);
    CHECK_EQ(f.counters.alloc_count, 5);
    CHECK_EQ(f.counters.free_count, 0);
    free_n(f.pool, ptrs, 5);
    CHECK_EQ(f.counters.free_count, 3); /* two empty slabs kept */
    alloc_n(f.pool, ptrs, 2, 64 * KiB);
    CHECK_EQ(f.counters.alloc_count, 5); /* the kept slabs served them */
    alloc_n(f.pool, ptrs + 2, 1, 64 * KiB);
    CHECK_EQ(f.counters.alloc_count, 6);
    free_n(f.pool, ptrs, 3);
    CHECK_EQ(f.counters.free_count, 4);
    fixture_close(&f);

    MUST(fixture_open(&f, set_capacity_0, 0) == 0);
    alloc_n(f.pool, ptrs, 3, 64 * KiB);
    free_n(f.pool, ptrs, 3);
    CHECK_EQ(f.counters.alloc_count, 3);
    CHECK_EQ(f.counters.free_count, 3); /* nothing kept */
    /* also for smaller chunks (above the thread-cached classes): the slab goes back with its last chunk */
    void *a = umfPoolMalloc(f.pool, 2000);
    CHECK_EQ(f.counters.alloc_count, 4);
    CHECK_OK(umfPoolFree(f.pool, a));
    CHECK_EQ(f.counters.free_count, 4);
    fixture_close(&f);
}

static umf_disjoint_pool_shared_limits_handle_t g_limits;
static void set_shared(umf_disjoint_pool_params_handle_t p) {
    umfDisjointPoolParamsSetCapacity(p, 10);
    umfDisjointPoolParamsSetSharedLimits(p, g_limits);
}

static void test_shared_limits(void) {
    MUST(umfDisjointPoolSharedLimitsCreate(3 * 64 * KiB, &g_limits) == UMF_RESULT_SUCCESS);
    fixture_t a, b;
    MUST(fixture_open(&a, set_shared, 0) == 0);
    MUST(fixture_open(&b, set_shared, 0) == 0);
    void *pa[4], *pb[4];
    alloc_n(a.pool, pa, 2, 64 * KiB);
    alloc_n(b.pool, pb, 3, 64 * KiB);
    free_n(a.pool, pa, 2);
    CHECK_EQ(a.counters.free_count, 0); /* 2 slabs cached: 128 KiB of 192 */
    free_n(b.pool, pb, 3);
    CHECK_EQ(b.counters.free_count, 2); /* room for one more slab only */
    /* a pool's cached slabs count until it reuses them */
    alloc_n(a.pool, pa, 2, 64 * KiB);
    CHECK_EQ(a.counters.alloc_count, 2);
    /* now only b's one cached slab counts: b may cache two more */
    void *extra[3];
    alloc_n(b.pool, extra, 3, 64 * KiB); /* reuses its cached slab, takes two new ones */
    CHECK_EQ(b.counters.alloc_count, 5);
    free_n(b.pool, extra, 2);
    CHECK_EQ(b.counters.free_count, 2); /* 2 x 64 KiB cached */
    free_n(a.pool, pa, 2);
    CHECK_EQ(a.counters.free_count, 1); /* a fills the limit with one slab and gives the other back */
    CHECK_OK(umfPoolFree(b.pool, extra[2]));
    CHECK_EQ(b.counters.free_count, 3); /* the limit is full */
    /* destroying b gives its cached bytes back to the limit */
    fixture_close(&b);
    alloc_n(a.pool, pa, 3, 64 * KiB);
    free_n(a.pool, pa, 3);
    CHECK_EQ(a.counters.free_count, 1); /* all three fit now */
    fixture_close(&a);
    CHECK_OK(umfDisjointPoolSharedLimitsDestroy(g_limits));
}

static void test_trim(void) {
    fixture_t f;
    MUST(fixture_open(&f, set_capacity_10, 0) == 0);
    void *ptrs[8];
    alloc_n(f.pool, ptrs, 6, 64 * KiB);
    free_n(f.pool, ptrs, 6);
    CHECK_EQ(f.counters.free_count, 0);
    CHECK_OK(umfPoolTrimMemory(f.pool, 2 * 64 * KiB));
    CHECK_EQ(f.counters.free_count, 4);
    CHECK_OK(umfPoolTrimMemory(f.pool, 2 * 64 * KiB));
    CHECK_EQ(f.counters.free_count, 4);
    CHECK_OK(umfPoolTrimMemory(f.pool, 64 * KiB + 1)); /* keeps at least this: both stay */
    CHECK_EQ(f.counters.free_count, 4);
    CHECK_OK(umfPoolTrimMemory(f.pool, 0));
    CHECK_EQ(f.counters.free_count, 6);
    /* live allocations are never trimmed */
    void *live = umfPoolMalloc(f.pool, 100);
    REQUIRE(live != NULL);
    fill(live, 100, 1);
    CHECK_OK(umfPoolTrimMemory(f.pool, 0));
    CHECK(all_bytes(live, 100, 1));
    CHECK_OK(umfPoolFree(f.pool, live));
    CHECK_OK(umfPoolTrimMemory(f.pool, 0));
    CHECK_EQ(f.counters.alloc_count, f.counters.free_count);
    fixture_close(&f);
}

/* ---- statistics and CTL ---- */

/* With slab_min_size 4096, a 4 KiB chunk still shares a slab with others (64 KiB, 16 chunks), so that
 * freeing one does not send a slab back to the provider; capacity still counts whole slabs. */
static void test_small_slab_min_holds_several_chunks(void) {
    umf_disjoint_pool_params_handle_t p = NULL;
    CHECK_OK(umfDisjointPoolParamsCreate(&p));
    CHECK_OK(umfDisjointPoolParamsSetSlabMinSize(p, 4096));
    CHECK_OK(umfDisjointPoolParamsSetCapacity(p, 1));
    CHECK_OK(umfDisjointPoolParamsSetTrace(p, 1));
    direct_t d;
    MUST(direct_open(&d, p, 1) == 0);
    umfDisjointPoolParamsDestroy(p);

    void *ptrs[33];
    for (int i = 0; i < 33; i++) {
        ptrs[i] = d.ops->malloc(d.priv, 4096);
        REQUIRE(ptrs[i] != NULL);
    }
    CHECK_EQ(dget(&d, "stats.curr_slabs_in_use"), 3);
    CHECK_EQ(dget(&d, "stats.reserved_memory"), 3 * 64 * KiB);
    for (int i = 0; i < 33; i++) {
        CHECK_OK(d.ops->free(d.priv, ptrs[i]));
    }
    /* capacity 1: one empty slab kept, the other two given back */
    CHECK_EQ(dget(&d, "stats.curr_slabs_in_use"), 0);
    CHECK_EQ(dget(&d, "stats.curr_slabs_in_pool"), 1);
    CHECK_EQ(dget(&d, "stats.reserved_memory"), 64 * KiB);
    direct_close(&d);
}

static void test_ctl_stats(void) {
    umf_disjoint_pool_params_handle_t p = NULL;
    CHECK_OK(umfDisjointPoolParamsCreate(&p));
    CHECK_OK(umfDisjointPoolParamsSetTrace(p, 2));
    direct_t d;
    MUST(direct_open(&d, p, 1) == 0);
    umfDisjointPoolParamsDestroy(p);

    static const char *const names[] = {"alloc_num",         "alloc_pool_num",   "free_num",
                                        "curr_slabs_in_use", "curr_slabs_in_pool", "max_slabs_in_use",
                                        "max_slabs_in_pool"};
    size_t count = dget(&d, "buckets.count");
    size_t cls128 = 8; /* 8 12 16 24 32 48 64 96 128 */
    size_t sz = 0;
    CHECK_OK(dctl(&d, "buckets.{}.size", &sz, sizeof(sz), CTL_QUERY_READ, cls128));
    CHECK_EQ(sz, 128);

    void *ptrs[10];
    for (int i = 0; i < 10; i++) {
        ptrs[i] = d.ops->malloc(d.priv, 128);
        REQUIRE(ptrs[i] != NULL);
    }
    size_t want1[] = {10, 9, 0, 1, 0, 1, 0};
    for (size_t n = 0; n < ARRAY_LEN(names); n++) {
        size_t v = (size_t)-1;
        CHECK_OK(dctl(&d, "stats.{}", &v, sizeof(v), CTL_QUERY_READ, names[n]));
        CHECK_EQ(v, want1[n]);
        for (size_t b = 0; b < count; b++) {
            v = (size_t)-1;
            CHECK_OK(dctl(&d, "buckets.{}.stats.{}", &v, sizeof(v), CTL_QUERY_READ, b, names[n]));
            CHECK_EQ(v, b == cls128 ? want1[n] : 0);
        }
    }
    CHECK_EQ(dget(&d, "stats.used_memory"), 10 * 128);
    CHECK_EQ(dget(&d, "stats.reserved_memory"), 64 * KiB);
    CHECK_EQ(dget(&d, "stats.alloc_num"), 10); /* literal path */

    void *big = d.ops->malloc(d.priv, 3 * MiB);
    REQUIRE(big != NULL);
    CHECK_EQ(dget(&d, "stats.used_memory"), 10 * 128 + 3 * MiB);
    CHECK_EQ(dget(&d, "stats.reserved_memory"), 64 * KiB + 3 * MiB);
    CHECK_OK(d.ops->free(d.priv, big));

    for (int i = 0; i < 10; i++) {
        CHECK_OK(d.ops->free(d.priv, ptrs[i]));
    }
    size_t want2[] = {10, 9, 10, 0, 1, 1, 1};
    for (size_t n = 0; n < ARRAY_LEN(names); n++) {
        size_t v = (size_t)-1;
        CHECK_OK(dctl(&d, "stats.{}", &v, sizeof(v), CTL_QUERY_READ, names[n]));
        CHECK_EQ(v, want2[n]);
        CHECK_OK(dctl(&d, "buckets.{}.stats.{}", &v, sizeof(v), CTL_QUERY_READ, cls128, names[n]));
        CHECK_EQ(v, want2[n]);
    }
    CHECK_EQ(dget(&d, "stats.used_memory"), 0);
    CHECK_EQ(dget(&d, "stats.reserved_memory"), 64 * KiB);

    /* errors */
    size_t v = 0;
    CHECK_RESULT(dctl(&d, "buckets.1000000.stats.alloc_num", &v, sizeof(v), CTL_QUERY_READ),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(dctl(&d, "buckets.{}.size", &v, sizeof(v), CTL_QUERY_READ, count), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(dctl(&d, "stats.alloc_num", NULL, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(dctl(&d, "stats.alloc_num", &v, 1, CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(dctl(&d, "stats.buckets.count", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_RESULT(dctl(&d, "stats.1.alloc_num", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_RESULT(dctl(&d, "stats.buckets.alloc_num", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_RESULT(dctl(&d, "stats.nonsense", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_RESULT(dctl(&d, "buckets.1.count", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_RESULT(dctl(&d, "buckets.x.size", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_RESULT(dctl(&d, "nothing", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_RESULT(dctl(&d, "params.nothing", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_RESULT(dctl(&d, "", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_RESULT(dctl(&d, "stats.used_memory", &v, sizeof(v), CTL_QUERY_WRITE), UMF_RESULT_ERROR_NOT_SUPPORTED);
    /* params are fixed once the pool is initialized */
    size_t cap = 9;
    CHECK_RESULT(dctl(&d, "params.capacity", &cap, sizeof(cap), CTL_QUERY_WRITE), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(dget(&d, "params.capacity"), 4);
    direct_close(&d);

    /* trace 0: only the memory figures */
    MUST(direct_open(&d, NULL, 1) == 0);
    CHECK_RESULT(dctl(&d, "stats.alloc_num", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_RESULT(dctl(&d, "stats.curr_slabs_in_use", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_OK(dctl(&d, "stats.used_memory", &v, sizeof(v), CTL_QUERY_READ));
    direct_close(&d);
}

static void test_ctl_params_before_post_initialize(void) {
    direct_t d;
    MUST(direct_open(&d, NULL, 0) == 0);
    size_t cap = 1, minb = 32, maxp = 4096, slab = 8 * KiB;
    int trace = 1;
    CHECK_OK(dctl(&d, "params.capacity", &cap, sizeof(cap), CTL_QUERY_WRITE));
    CHECK_OK(dctl(&d, "params.min_bucket_size", &minb, sizeof(minb), CTL_QUERY_WRITE));
    CHECK_OK(dctl(&d, "params.max_poolable_size", &maxp, sizeof(maxp), CTL_QUERY_WRITE));
    CHECK_OK(dctl(&d, "params.slab_min_size", &slab, sizeof(slab), CTL_QUERY_WRITE));
    CHECK_OK(dctl(&d, "params.pool_trace", &trace, sizeof(trace), CTL_QUERY_WRITE));
    size_t bad = 48;
    CHECK_RESULT(dctl(&d, "params.min_bucket_size", &bad, sizeof(bad), CTL_QUERY_WRITE),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(dctl(&d, "params.capacity", &cap, 4, CTL_QUERY_WRITE), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(dctl(&d, "params.capacity", NULL, 8, CTL_QUERY_WRITE), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(dctl(&d, "post_initialize", NULL, 0, CTL_QUERY_RUNNABLE));
    CHECK_EQ(dget(&d, "params.capacity"), 1);
    CHECK_EQ(dget(&d, "params.min_bucket_size"), 32);
    CHECK_EQ(dget(&d, "buckets.count"), 15); /* 32 48 64 ... 3072 4096 */
    size_t first = 0;
    CHECK_OK(dctl(&d, "buckets.0.size", &first, sizeof(first), CTL_QUERY_READ));
    CHECK_EQ(first, 32);
    /* the written params are in effect */
    void *p = d.ops->malloc(d.priv, 1);
    size_t s = 0;
    CHECK_OK(d.ops->malloc_usable_size(d.priv, p, &s));
    CHECK_EQ(s, 32);
    size_t allocs = d.counters.alloc_count;
    void *q = d.ops->malloc(d.priv, 4097);
    CHECK_EQ(d.counters.alloc_count, allocs + 1);
    CHECK_OK(d.ops->free(d.priv, q));
    CHECK_OK(d.ops->free(d.priv, p));
    size_t v = 0;
    CHECK_OK(dctl(&d, "stats.curr_slabs_in_pool", &v, sizeof(v), CTL_QUERY_READ)); /* trace 1 allows it */
    CHECK_EQ(v, 1);
    direct_close(&d);
}

static umf_result_t dctl_config(direct_t *d, const char *path, const char *text) {
    return dctl_src(d, CTL_QUERY_CONFIG_INPUT, path, (void *)text, strlen(text) + 1, CTL_QUERY_WRITE);
}

static void test_ctl_config_input(void) {
    direct_t d;
    MUST(direct_open(&d, NULL, 0) == 0);
    CHECK_OK(dctl_config(&d, "params.capacity", "3"));
    CHECK_OK(dctl_config(&d, "params.slab_min_size", "0x20000"));
    CHECK_OK(dctl_config(&d, "params.pool_trace", "2"));
    CHECK_RESULT(dctl_config(&d, "params.capacity", "lots"), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(dctl_config(&d, "params.capacity", "-1"), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(dctl_config(&d, "params.min_bucket_size", "24"), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(dctl(&d, "post_initialize", NULL, 0, CTL_QUERY_RUNNABLE));
    CHECK_EQ(dget(&d, "params.capacity"), 3);
    CHECK_EQ(dget(&d, "params.slab_min_size"), 128 * KiB);
    CHECK_EQ(dget(&d, "params.min_bucket_size"), 8);
    CHECK_EQ(dget(&d, "stats.alloc_num"), 0); /* trace 2 took effect */
    direct_close(&d);
}

/* ---- tracking: umfFree and umfPoolByPtr ---- */

static void test_tracking(void) {
    fixture_t f;
    MUST(fixture_open(&f, NULL, 0) == 0);
    static const size_t sizes[] = {8, 100, 5000, 64 * KiB, 2 * MiB, 3 * MiB};
    for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
        char *p = umfPoolMalloc(f.pool, sizes[i]);
        REQUIRE(p != NULL);
        umf_memory_pool_handle_t found = NULL;
        CHECK_OK(umfPoolByPtr(p, &found));
        CHECK(found == f.pool);
        found = NULL;
        CHECK_OK(umfPoolByPtr(p + sizes[i] - 1, &found));
        CHECK(found == f.pool);
        CHECK_OK(umfFree(p));
        size_t s = 0;
        CHECK_RESULT(umfPoolMallocUsableSize(f.pool, p, &s), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    }
    /* an over-aligned large allocation is freed through umfFree too */
    void *a = umfPoolAlignedMalloc(f.pool, 100, 2 * MiB);
    REQUIRE(a != NULL);
    umf_memory_pool_handle_t found = NULL;
    CHECK_OK(umfPoolByPtr(a, &found));
    CHECK(found == f.pool);
    CHECK_OK(umfFree(a));
    fixture_close(&f);

    /* without tracking the pool still frees its large allocations itself */
    MUST(fixture_open(&f, NULL, UMF_POOL_CREATE_FLAG_DISABLE_TRACKING) == 0);
    void *big = umfPoolMalloc(f.pool, 5 * MiB);
    void *small = umfPoolMalloc(f.pool, 10);
    REQUIRE(big != NULL && small != NULL);
    found = NULL;
    CHECK(umfPoolByPtr(big, &found) != UMF_RESULT_SUCCESS);
    CHECK_OK(umfPoolFree(f.pool, big));
    CHECK_OK(umfPoolFree(f.pool, small));
    fixture_close(&f);
}

/* ---- the pool keeps its bookkeeping out of provider memory ---- */

static void test_never_touches_provider_memory(void) {
    fixture_t f;
    memset(&f, 0, sizeof(f));
    f.counters.protect_pages = true; /* any access by the pool faults and kills the test */
    MUST(umfMemoryProviderCreate(test_counting_provider_ops(), &f.counters, &f.provider) == UMF_RESULT_SUCCESS);
    MUST(umfPoolCreate(umfDisjointPoolOps(), f.provider, NULL, 0, &f.pool) == UMF_RESULT_SUCCESS);
    enum { N = 600 };
    static void *ptrs[N];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            size_t size = (size_t)1 << (i % 23); /* 1 B .. 4 MiB */
            ptrs[i] = (i % 5 == 0) ? umfPoolAlignedMalloc(f.pool, size, (size_t)1 << (i % 22))
                                   : umfPoolMalloc(f.pool, size + (size_t)i);
            CHECK(ptrs[i] != NULL);
            size_t s = 0;
            CHECK_OK(umfPoolMallocUsableSize(f.pool, ptrs[i], &s));
        }
        for (int i = 0; i < N; i += 2) {
            CHECK_OK(umfPoolFree(f.pool, ptrs[i]));
        }
        for (int i = 1; i < N; i += 2) {
            CHECK_OK(umfFree(ptrs[i]));
        }
        CHECK_OK(umfPoolTrimMemory(f.pool, round == 1 ? 0 : 256 * KiB));
    }
    fixture_close(&f);
}

/* ---- errors from the provider ---- */

static void test_provider_failure(void) {
    fixture_t f;
    MUST(fixture_open(&f, NULL, 0) == 0);
    f.counters.fail_next_allocs = 1;
    CHECK(umfPoolMalloc(f.pool, 100) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(f.pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    f.counters.fail_next_allocs = 1;
    CHECK(umfPoolMalloc(f.pool, 5 * MiB) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(f.pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    /* the next one works */
    void *p = umfPoolMalloc(f.pool, 100);
    CHECK(p != NULL);
    CHECK_OK(umfPoolFree(f.pool, p));
    fixture_close(&f);

    /* a provider that returns NULL without an error */
    umf_memory_provider_handle_t np = NULL;
    MUST(umfMemoryProviderCreate(test_null_provider_ops(), NULL, &np) == UMF_RESULT_SUCCESS);
    umf_memory_pool_handle_t pool = NULL;
    MUST(umfPoolCreate(umfDisjointPoolOps(), np, NULL, 0, &pool) == UMF_RESULT_SUCCESS);
    CHECK(umfPoolMalloc(pool, 64) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK(umfPoolMalloc(pool, 8 * MiB) == NULL);
    CHECK(umfPoolCalloc(pool, 8, 8) == NULL);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfMemoryProviderDestroy(np));
}

/* ---- a provider that ignores alignment (its blocks start 16 bytes past a page) ---- */

static size_t g_skew_live;

static umf_result_t skew_init(const void *params, void **priv) {
    *priv = NULL;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t skew_fini(void *priv) { return UMF_RESULT_SUCCESS; }
static umf_result_t skew_alloc(void *priv, size_t size, size_t alignment, void **ptr) {
    char *raw = mmap(NULL, size + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        *ptr = NULL;
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    g_skew_live++;
    *ptr = raw + 16;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t skew_free(void *priv, void *ptr, size_t size) {
    if (ptr) {
        munmap((char *)ptr - 16, size + 4096);
        g_skew_live--;
    }
    return UMF_RESULT_SUCCESS;
}
static umf_result_t skew_err(void *priv, const char **msg, int32_t *err) {
    *msg = "";
    *err = 0;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t skew_page(void *priv, size_t size, size_t *page) {
    *page = 4096;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t skew_min_page(void *priv, const void *ptr, size_t *page) {
    *page = 4096;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t skew_name(void *priv, const char **name) {
    *name = "skew";
    return UMF_RESULT_SUCCESS;
}
static const umf_memory_provider_ops_t SKEW_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = skew_init,
    .finalize = skew_fini,
    .alloc = skew_alloc,
    .free = skew_free,
    .get_last_native_error = skew_err,
    .get_recommended_page_size = skew_page,
    .get_min_page_size = skew_min_page,
    .get_name = skew_name,
};

static void test_provider_ignoring_alignment(void) {
    umf_memory_provider_handle_t prov = NULL;
    MUST(umfMemoryProviderCreate(&SKEW_OPS, NULL, &prov) == UMF_RESULT_SUCCESS);
    umf_memory_pool_handle_t pool = NULL;
    MUST(umfPoolCreate(umfDisjointPoolOps(), prov, NULL, 0, &pool) == UMF_RESULT_SUCCESS);
    enum { N = 200 };
    static unsigned char *ptrs[N];
    static size_t sizes[N];
    for (int i = 0; i < N; i++) {
        size_t align = (size_t)1 << (i % 14); /* up to 8 KiB */
        sizes[i] = 1 + (size_t)(i * 977) % 90000;
        ptrs[i] = umfPoolAlignedMalloc(pool, sizes[i], align);
        MUST(ptrs[i] != NULL);
        CHECK_EQ((uintptr_t)ptrs[i] % align, 0);
        memset(ptrs[i], i, sizes[i]);
    }
    for (int i = 0; i < N; i++) {
        CHECK(all_bytes(ptrs[i], sizes[i], (unsigned char)i));
        CHECK_OK(umfPoolFree(pool, ptrs[i]));
    }
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_EQ(g_skew_live, 0);
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

int main(void) {
    RUN_TEST(test_params_errors);
    RUN_TEST(test_defaults_and_names);
    RUN_TEST(test_bucket_boundaries);
    RUN_TEST(test_size_params);
    RUN_TEST(test_zero_null_and_bad_pointers);
    RUN_TEST(test_many_sizes_no_overlap);
    RUN_TEST(test_aligned);
    RUN_TEST(test_calloc);
    RUN_TEST(test_realloc);
    RUN_TEST(test_capacity);
    RUN_TEST(test_shared_limits);
    RUN_TEST(test_trim);
    RUN_TEST(test_small_slab_min_holds_several_chunks);
    RUN_TEST(test_ctl_stats);
    RUN_TEST(test_ctl_params_before_post_initialize);
    RUN_TEST(test_ctl_config_input);
    RUN_TEST(test_tracking);
    RUN_TEST(test_never_touches_provider_memory);
    RUN_TEST(test_provider_failure);
    RUN_TEST(test_provider_ignoring_alignment);
    return TEST_SUMMARY();
}
