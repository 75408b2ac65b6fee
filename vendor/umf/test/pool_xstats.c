/* The extended statistics of the disjoint, jemalloc and scalable pools (this library's extension of the
 * CTL, docs/ctl.md): requested bytes after known sequences, the peak and its reset, the size histogram's
 * classes, the switch (off, defaults, turning on a live pool), a read while threads allocate, bad input. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <umf/experimental/ctl.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_os_memory.h>

#include "test_common.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

typedef struct kind {
    const char *name; /* the pool's default name: the key of its defaults */
    const umf_memory_pool_ops_t *(*ops)(void);
} kind_t;

static const kind_t KINDS[] = {
    {"disjoint", umfDisjointPoolOps},
    {"jemalloc", umfJemallocPoolOps},
    {"scalable", umfScalablePoolOps},
};

/* A pool of the kind over its own OS provider; NULL when the kind is not built or cannot run here. */
static umf_memory_pool_handle_t make_pool(const kind_t *k) {
    const umf_memory_pool_ops_t *ops = k->ops();
    if (ops == NULL) {
        return NULL;
    }
    umf_memory_provider_handle_t prov = NULL;
    umf_os_memory_provider_params_handle_t pp = NULL;
    CHECK_OK(umfOsMemoryProviderParamsCreate(&pp));
    CHECK_OK(umfMemoryProviderCreate(umfOsMemoryProviderOps(), pp, &prov));
    umfOsMemoryProviderParamsDestroy(pp);
    umf_memory_pool_handle_t pool = NULL;
    umf_result_t rc = umfPoolCreate(ops, prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
    if (rc != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "  (%s pool not usable here: %d)\n", k->name, rc);
        umfMemoryProviderDestroy(prov);
        return NULL;
    }
    return pool;
}

static void set_default(const char *kind, int on) {
    char path[128];
    snprintf(path, sizeof(path), "umf.pool.default.%s.params.extended_stats", kind);
    CHECK_OK(umfCtlSet(path, &on, sizeof(on)));
}

/* A pool with the statistics on, through the default of its kind. */
static umf_memory_pool_handle_t make_counted(const kind_t *k) {
    set_default(k->name, 1);
    umf_memory_pool_handle_t pool = make_pool(k);
    set_default(k->name, 0);
    return pool;
}

static size_t stat(umf_memory_pool_handle_t pool, const char *node) {
    size_t v = (size_t)-1;
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.{}", &v, sizeof(v), pool, node));
    return v;
}

static size_t hist(umf_memory_pool_handle_t pool, size_t cls) {
    size_t v = (size_t)-1;
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.{}.alloc_num", &v, sizeof(v), pool, cls));
    return v;
}

static int switch_of(umf_memory_pool_handle_t pool) {
    int v = -1;
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.params.extended_stats", &v, sizeof(v), pool));
    return v;
}

/* malloc, calloc, aligned_malloc, realloc (grow, shrink, from NULL, to 0), frees by umfFree and umfPoolFree */
static void check_sequence(const kind_t *k) {
    umf_memory_pool_handle_t pool = make_counted(k);
    if (pool == NULL) {
        return;
    }
    CHECK_EQ(switch_of(pool), 1);
    CHECK_EQ(stat(pool, "allocated_bytes"), 0);
    void *a = umfPoolMalloc(pool, 100);
    void *b = umfPoolCalloc(pool, 3, 10);
    void *c = umfPoolAlignedMalloc(pool, 200, 64);
    REQUIRE(a && b && c);
    CHECK(((uintptr_t)c & 63) == 0);
    CHECK_EQ(stat(pool, "allocated_bytes"), 330);
    a = umfPoolRealloc(pool, a, 1000);
    REQUIRE(a);
    CHECK_EQ(stat(pool, "allocated_bytes"), 1230);
    a = umfPoolRealloc(pool, a, 40);
    REQUIRE(a);
    CHECK_EQ(stat(pool, "allocated_bytes"), 270);
    void *d = umfPoolRealloc(pool, NULL, 5);
    REQUIRE(d);
    CHECK_EQ(stat(pool, "allocated_bytes"), 275);
    CHECK_EQ(stat(pool, "peak_allocated_bytes"), 1230);
    CHECK(umfPoolRealloc(pool, d, 0) == NULL);
    CHECK_EQ(stat(pool, "allocated_bytes"), 270);
    CHECK_OK(umfFree(b));
    CHECK_EQ(stat(pool, "allocated_bytes"), 240);
    CHECK_OK(umfPoolFree(pool, c));
    CHECK_OK(umfFree(a));
    CHECK_EQ(stat(pool, "allocated_bytes"), 0);
    CHECK_OK(umfPoolFree(pool, NULL));
    CHECK_EQ(stat(pool, "allocated_bytes"), 0);
    /* a pool's own statistics keep working beside them */
    size_t count = 1;
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.alloc_count", &count, sizeof(count), pool));
    CHECK_EQ(count, 0);
    CHECK_OK(umfPoolDestroy(pool));
}

static void test_sequences(void) {
    for (size_t i = 0; i < ARRAY_LEN(KINDS); i++) {
        check_sequence(&KINDS[i]);
    }
}

static void check_peak(const kind_t *k) {
    umf_memory_pool_handle_t pool = make_counted(k);
    if (pool == NULL) {
        return;
    }
    void *a = umfPoolMalloc(pool, 4096), *b = umfPoolMalloc(pool, 1 << 20);
    REQUIRE(a && b);
    CHECK_OK(umfPoolFree(pool, b));
    CHECK_EQ(stat(pool, "allocated_bytes"), 4096);
    CHECK_EQ(stat(pool, "peak_allocated_bytes"), 4096 + (1 << 20));
    CHECK_OK(umfCtlExec("umf.pool.by_handle.{}.stats.peak_allocated_bytes.reset", NULL, 0, pool));
    CHECK_EQ(stat(pool, "peak_allocated_bytes"), 4096);
    b = umfPoolMalloc(pool, 10);
    CHECK_EQ(stat(pool, "peak_allocated_bytes"), 4106);
    CHECK_OK(umfPoolFree(pool, a));
    CHECK_OK(umfPoolFree(pool, b));
    CHECK_EQ(stat(pool, "peak_allocated_bytes"), 4106);
    CHECK_OK(umfCtlExec("umf.pool.by_handle.{}.stats.peak_allocated_bytes.reset", NULL, 0, pool));
    CHECK_EQ(stat(pool, "peak_allocated_bytes"), 0);
    CHECK_OK(umfPoolDestroy(pool));
}

static void test_peak(void) {
    for (size_t i = 0; i < ARRAY_LEN(KINDS); i++) {
        check_peak(&KINDS[i]);
    }
}

static void check_histogram(const kind_t *k) {
    umf_memory_pool_handle_t pool = make_counted(k);
    if (pool == NULL) {
        return;
    }
    size_t v = 0;
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.count", &v, sizeof(v), pool));
    CHECK_EQ(v, 64);
    /* a {} stands for one node, not for several */
    CHECK_EQ(umfCtlGet("umf.pool.by_handle.{}.stats.{}", &v, sizeof(v), pool, "size_histogram.count"),
             UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.0.min_size", &v, sizeof(v), pool));
    CHECK_EQ(v, 1);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.0.max_size", &v, sizeof(v), pool));
    CHECK_EQ(v, 1);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.{}.min_size", &v, sizeof(v), pool, (size_t)10));
    CHECK_EQ(v, 1024);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.{}.max_size", &v, sizeof(v), pool, (size_t)10));
    CHECK_EQ(v, 2047);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.63.max_size", &v, sizeof(v), pool));
    CHECK_EQ(v, SIZE_MAX);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.63.min_size", &v, sizeof(v), pool));
    CHECK(v == (size_t)1 << 63);
    /* each size at a class boundary */
    static const size_t sizes[] = {1, 2, 3, 4, 1023, 1024, 2047, 2048, (size_t)1 << 20, ((size_t)1 << 20) + 1};
    void *p[ARRAY_LEN(sizes)];
    for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
        p[i] = umfPoolMalloc(pool, sizes[i]);
        CHECK(p[i] != NULL);
    }
    void *z = umfPoolCalloc(pool, 16, 64); /* 1024 bytes: class 10 */
    CHECK(z != NULL);
    CHECK_EQ(hist(pool, 0), 1);
    CHECK_EQ(hist(pool, 1), 2);
    CHECK_EQ(hist(pool, 2), 1);
    CHECK_EQ(hist(pool, 3), 0);
    CHECK_EQ(hist(pool, 9), 1);
    CHECK_EQ(hist(pool, 10), 3);
    CHECK_EQ(hist(pool, 11), 1);
    CHECK_EQ(hist(pool, 20), 2);
    size_t total = 0;
    for (size_t i = 0; i < 64; i++) {
        total += hist(pool, i);
    }
    CHECK_EQ(total, ARRAY_LEN(sizes) + 1);
    /* frees do not change it: it counts allocations asked for */
    for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
        CHECK_OK(umfPoolFree(pool, p[i]));
    }
    CHECK_OK(umfFree(z));
    CHECK_EQ(hist(pool, 10), 3);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.10.alloc_num", &v, sizeof(v), pool));
    CHECK_EQ(v, 3);
    CHECK_OK(umfCtlExec("umf.pool.by_handle.{}.stats.size_histogram.reset", NULL, 0, pool));
    total = 0;
    for (size_t i = 0; i < 64; i++) {
        total += hist(pool, i);
    }
    CHECK_EQ(total, 0);
    CHECK_OK(umfPoolDestroy(pool));
}

static void test_histogram(void) {
    for (size_t i = 0; i < ARRAY_LEN(KINDS); i++) {
        check_histogram(&KINDS[i]);
    }
}

/* Off (the default): every node of the extension answers NOT_SUPPORTED; turned on live, it counts from then on. */
static void check_off_and_live(const kind_t *k) {
    umf_memory_pool_handle_t pool = make_pool(k);
    if (pool == NULL) {
        return;
    }
    CHECK_EQ(switch_of(pool), 0);
    size_t v = 0;
    static const char *const reads[] = {"allocated_bytes", "peak_allocated_bytes"};
    for (size_t i = 0; i < ARRAY_LEN(reads); i++) {
        CHECK_EQ(umfCtlGet("umf.pool.by_handle.{}.stats.{}", &v, sizeof(v), pool, reads[i]),
                 UMF_RESULT_ERROR_NOT_SUPPORTED);
    }
    CHECK_EQ(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.count", &v, sizeof(v), pool),
             UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.{}.alloc_num", &v, sizeof(v), pool, (size_t)3),
             UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(umfCtlExec("umf.pool.by_handle.{}.stats.peak_allocated_bytes.reset", NULL, 0, pool),
             UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(umfCtlExec("umf.pool.by_handle.{}.stats.size_histogram.reset", NULL, 0, pool),
             UMF_RESULT_ERROR_NOT_SUPPORTED);
    void *before = umfPoolMalloc(pool, 500);
    REQUIRE(before);
    int off = 0, on = 1;
    CHECK_OK(umfCtlSet("umf.pool.by_handle.{}.params.extended_stats", &off, sizeof(off), pool));
    CHECK_OK(umfCtlSet("umf.pool.by_handle.{}.params.extended_stats", &on, sizeof(on), pool));
    CHECK_EQ(switch_of(pool), 1);
    CHECK_OK(umfCtlSet("umf.pool.by_handle.{}.params.extended_stats", &on, sizeof(on), pool));
    CHECK_EQ(umfCtlSet("umf.pool.by_handle.{}.params.extended_stats", &off, sizeof(off), pool),
             UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(switch_of(pool), 1);
    void *after = umfPoolMalloc(pool, 70);
    REQUIRE(after);
    CHECK_EQ(stat(pool, "allocated_bytes"), 70);
    CHECK_OK(umfPoolFree(pool, before)); /* made before: not counted, in neither direction */
    CHECK_EQ(stat(pool, "allocated_bytes"), 70);
    CHECK_OK(umfPoolFree(pool, after));
    CHECK_EQ(stat(pool, "allocated_bytes"), 0);
    CHECK_EQ(stat(pool, "peak_allocated_bytes"), 70);
    CHECK_OK(umfPoolDestroy(pool));
}

static void test_off_and_live(void) {
    for (size_t i = 0; i < ARRAY_LEN(KINDS); i++) {
        check_off_and_live(&KINDS[i]);
    }
}

/* The default of the kind applies at creation; one stored under a pool's own name comes after it. */
static void test_defaults(void) {
    umf_memory_provider_handle_t prov = NULL;
    umf_os_memory_provider_params_handle_t pp = NULL;
    CHECK_OK(umfOsMemoryProviderParamsCreate(&pp));
    CHECK_OK(umfMemoryProviderCreate(umfOsMemoryProviderOps(), pp, &prov));
    umfOsMemoryProviderParamsDestroy(pp);
    umf_disjoint_pool_params_handle_t dp = NULL;
    CHECK_OK(umfDisjointPoolParamsCreate(&dp));
    CHECK_OK(umfDisjointPoolParamsSetName(dp, "xstats_named"));
    int on = 1, off = 0;
    CHECK_OK(umfCtlSet("umf.pool.default.disjoint.params.extended_stats", &on, sizeof(on)));
    CHECK_OK(umfCtlSet("umf.pool.default.xstats_named.params.extended_stats", &off, sizeof(off)));
    umf_memory_pool_handle_t plain = NULL, named = NULL;
    CHECK_OK(umfPoolCreate(umfDisjointPoolOps(), prov, NULL, 0, &plain));
    CHECK_OK(umfPoolCreate(umfDisjointPoolOps(), prov, dp, 0, &named));
    CHECK_OK(umfCtlSet("umf.pool.default.disjoint.params.extended_stats", &off, sizeof(off)));
    REQUIRE(plain && named);
    CHECK_EQ(switch_of(plain), 1);
    CHECK_EQ(switch_of(named), 0);
    /* the default, read back; and by name */
    int v = -1;
    CHECK_OK(umfCtlGet("umf.pool.default.disjoint.params.extended_stats", &v, sizeof(v)));
    CHECK_EQ(v, 0);
    void *a = umfPoolMalloc(plain, 33);
    size_t bytes = 0;
    CHECK_OK(umfCtlGet("umf.pool.by_name.disjoint.stats.allocated_bytes", &bytes, sizeof(bytes)));
    CHECK_EQ(bytes, 33);
    CHECK_EQ(umfCtlGet("umf.pool.by_name.xstats_named.stats.allocated_bytes", &bytes, sizeof(bytes)),
             UMF_RESULT_ERROR_NOT_SUPPORTED);
    /* a write by name without an index goes to every pool of the name */
    CHECK_OK(umfCtlSet("umf.pool.by_name.xstats_named.params.extended_stats", &on, sizeof(on)));
    CHECK_EQ(switch_of(named), 1);
    CHECK_OK(umfPoolFree(plain, a));
    CHECK_OK(umfPoolDestroy(named));
    CHECK_OK(umfPoolDestroy(plain));
    /* a pool created now has it off again */
    CHECK_OK(umfPoolCreate(umfDisjointPoolOps(), prov, NULL, 0, &plain));
    CHECK_EQ(switch_of(plain), 0);
    CHECK_OK(umfPoolDestroy(plain));
    umfDisjointPoolParamsDestroy(dp);
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

/* Four threads allocate and free while the main thread reads a class count (the threads go on until it
 * has read it READS times, so the reads overlap their work); the end values are exact. */
#define THREADS 4
#define ROUNDS 20000
#define KEEP 64
#define READS 200

static umf_memory_pool_handle_t g_pool;
static atomic_bool g_stop;
static size_t g_kept[THREADS][KEEP]; /* the sizes a thread keeps at its end */
static size_t g_rounds[THREADS];     /* the allocations it made */

static void *worker(void *arg) {
    size_t id = (size_t)arg;
    void **keep = calloc(KEEP, sizeof(void *));
    size_t r = 0;
    for (; keep != NULL && (r < ROUNDS || !atomic_load(&g_stop)); r++) {
        size_t size = 16 + (r * 7 + id) % 200; /* classes 4..7 */
        void *p = r % 3 == 0 ? umfPoolCalloc(g_pool, 1, size) : umfPoolMalloc(g_pool, size);
        CHECK(p != NULL);
        size_t slot = r % KEEP;
        if (keep[slot] != NULL && r % 2) {
            CHECK_OK(umfFree(keep[slot]));
        } else if (keep[slot] != NULL) {
            CHECK_OK(umfPoolFree(g_pool, keep[slot]));
        }
        keep[slot] = p;
        g_kept[id][slot] = p != NULL ? size : 0;
    }
    g_rounds[id] = r;
    return keep;
}

static void check_threads(const kind_t *k) {
    g_pool = make_counted(k);
    if (g_pool == NULL) {
        return;
    }
    pthread_t t[THREADS];
    atomic_store(&g_stop, false);
    for (size_t i = 0; i < THREADS; i++) {
        REQUIRE(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
    }
    size_t last = 0;
    while (hist(g_pool, 6) == 0) { /* the threads have begun */
        sched_yield();
    }
    for (int i = 0; i < READS; i++) {
        size_t v = hist(g_pool, 6);
        CHECK(v >= last); /* a count only grows */
        last = v;
    }
    atomic_store(&g_stop, true);
    size_t live = 0, made = 0;
    for (size_t i = 0; i < THREADS; i++) {
        void **keep = NULL;
        pthread_join(t[i], (void **)&keep);
        CHECK(keep != NULL);
        for (size_t s = 0; s < KEEP; s++) {
            live += g_kept[i][s];
        }
        made += g_rounds[i];
        free(keep);
    }
    CHECK_EQ(stat(g_pool, "allocated_bytes"), live);
    size_t total = 0;
    for (size_t i = 0; i < 64; i++) {
        total += hist(g_pool, i);
    }
    CHECK_EQ(total, made);
    CHECK(made >= (size_t)THREADS * ROUNDS);
    CHECK_OK(umfPoolDestroy(g_pool)); /* frees what the threads kept */
}

static void test_threads(void) {
    for (size_t i = 0; i < ARRAY_LEN(KINDS); i++) {
        check_threads(&KINDS[i]);
    }
}

static void test_bad_input(void) {
    umf_memory_pool_handle_t pool = make_counted(&KINDS[0]);
    REQUIRE(pool);
    size_t v = 0;
    int small = 0;
    /* sizes */
    CHECK_EQ(umfCtlGet("umf.pool.by_handle.{}.stats.allocated_bytes", &small, sizeof(small), pool),
             UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.1.alloc_num", &v, 1, pool),
             UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfCtlSet("umf.pool.by_handle.{}.params.extended_stats", &v, 3, pool), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* NULLs */
    CHECK_EQ(umfCtlGet("umf.pool.by_handle.{}.stats.allocated_bytes", NULL, sizeof(v), pool),
             UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfCtlGet("umf.pool.by_handle.{}.stats.allocated_bytes", &v, sizeof(v), NULL),
             UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfCtlGet("umf.pool.by_handle.{}.stats.{}", &v, sizeof(v), pool, (const char *)NULL),
             UMF_RESULT_ERROR_INVALID_CTL_PATH);
    /* indexes and paths */
    CHECK_EQ(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.64.alloc_num", &v, sizeof(v), pool),
             UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.{}.min_size", &v, sizeof(v), pool, (size_t)-1),
             UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfCtlGet("umf.pool.by_handle.{}.stats.size_histogram.99999999999999999999999.alloc_num", &v, sizeof(v),
                       pool),
             UMF_RESULT_ERROR_INVALID_ARGUMENT);
    static const char *const bad[] = {
        "stats.size_histogram.x.alloc_num", "stats.size_histogram.1.bogus",      "stats.size_histogram.1",
        "stats.size_histogram",             "stats.size_histogram.1.alloc_num.x", "stats.allocated_bytes.x",
        "stats.peak_allocated_bytes.x",     "stats.allocated_byte",               "params.extended_stats.x",
        "stats..allocated_bytes",           "stats.size_histogram.-1.alloc_num",  "stats.size_histogram.count.x",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char path[160];
        snprintf(path, sizeof(path), "umf.pool.by_handle.{}.%s", bad[i]);
        umf_result_t rc = umfCtlGet(path, &v, sizeof(v), pool);
        if (rc != UMF_RESULT_ERROR_INVALID_CTL_PATH) {
            fprintf(stderr, "  %s: %d\n", bad[i], rc);
        }
        CHECK_EQ(rc, UMF_RESULT_ERROR_INVALID_CTL_PATH);
    }
    /* access */
    CHECK_EQ(umfCtlSet("umf.pool.by_handle.{}.stats.allocated_bytes", &v, sizeof(v), pool),
             UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(umfCtlExec("umf.pool.by_handle.{}.stats.allocated_bytes", NULL, 0, pool), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(umfCtlGet("umf.pool.by_handle.{}.stats.peak_allocated_bytes.reset", &v, sizeof(v), pool),
             UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(umfCtlSet("umf.pool.by_handle.{}.stats.size_histogram.count", &v, sizeof(v), pool),
             UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(umfCtlExec("umf.pool.by_handle.{}.params.extended_stats", NULL, 0, pool), UMF_RESULT_ERROR_NOT_SUPPORTED);
    /* a 1-byte bool is a boolean too */
    bool b = false;
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.params.extended_stats", &b, sizeof(b), pool));
    CHECK(b);
    /* freeing what is not the pool's changes nothing */
    int local = 0;
    CHECK(umfPoolFree(pool, &local) != UMF_RESULT_SUCCESS);
    CHECK_EQ(stat(pool, "allocated_bytes"), 0);
    CHECK_OK(umfPoolDestroy(pool));
}

int main(void) {
    RUN_TEST(test_sequences);
    RUN_TEST(test_peak);
    RUN_TEST(test_histogram);
    RUN_TEST(test_off_and_live);
    RUN_TEST(test_defaults);
    RUN_TEST(test_threads);
    RUN_TEST(test_bad_input);
    return TEST_SUMMARY();
}
