/*
 * Checks shared by the tests of the jemalloc and scalable pools (test/pool_jemalloc.c,
 * test/pool_scalable.c): allocation behaviour any general-purpose pool must have, a
 * provider that cannot split, and a way to run this test program again as a child.
 */
#ifndef UMF_TEST_POOL_ALLOC_CHECKS_H
#define UMF_TEST_POOL_ALLOC_CHECKS_H 1

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/providers/provider_os_memory.h>

#include "test_common.h"

/* ---- small helpers ---- */

#define IS_ALIGNED_PTR(p, a) (((uintptr_t)(p) & ((uintptr_t)(a)-1)) == 0)

/* A size no memory can hold: refused by the allocator (OUT_OF_HOST_MEMORY) or passed on to a
 * provider that refuses it (the OS provider says MEMORY_PROVIDER_SPECIFIC). */
#define CHECK_NO_MEMORY(rc_expr)                                                                   \
    do {                                                                                           \
        umf_result_t rc_ = (rc_expr);                                                              \
        CHECK(rc_ == UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY ||                                        \
              rc_ == UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);                                   \
    } while (0)

static void fill(void *p, size_t n, unsigned seed) {
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        b[i] = (unsigned char)(seed + i * 7);
    }
}

static int filled(const void *p, size_t n, unsigned seed) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != (unsigned char)(seed + i * 7)) {
            return 0;
        }
    }
    return 1;
}

static int all_zero(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != 0) {
            return 0;
        }
    }
    return 1;
}

/* umfPoolCreate of ops over provider with params (flags 0): the pool, or NULL with *rc the reason. */
static umf_memory_pool_handle_t make_pool(const umf_memory_pool_ops_t *ops, umf_memory_provider_handle_t provider,
                                          void *params, umf_result_t *rc) {
    umf_memory_pool_handle_t pool = NULL;
    *rc = umfPoolCreate(ops, provider, params, 0, &pool);
    return *rc == UMF_RESULT_SUCCESS ? pool : NULL;
}

static umf_memory_provider_handle_t counting_provider(test_provider_counters_t *c) {
    umf_memory_provider_handle_t h = NULL;
    CHECK_OK(umfMemoryProviderCreate(test_counting_provider_ops(), c, &h));
    return h;
}

static umf_memory_provider_handle_t os_provider(void) {
    umf_os_memory_provider_params_handle_t prm = NULL;
    umf_memory_provider_handle_t h = NULL;
    CHECK_OK(umfOsMemoryProviderParamsCreate(&prm));
    CHECK_OK(umfMemoryProviderCreate(umfOsMemoryProviderOps(), prm, &h));
    umfOsMemoryProviderParamsDestroy(prm);
    return h;
}

/* ---- a provider over mmap without split/merge ---- */

static _Atomic long nosplit_live;

static umf_result_t nosplit_init(const void *params, void **provider) {
    *provider = NULL;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t nosplit_fini(void *provider) { return UMF_RESULT_SUCCESS; }
static umf_result_t nosplit_alloc(void *provider, size_t size, size_t alignment, void **ptr) {
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    if (alignment > pg) {
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        *ptr = NULL;
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    nosplit_live++;
    *ptr = p;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t nosplit_free(void *provider, void *ptr, size_t size) {
    if (ptr != NULL) {
        munmap(ptr, size);
        nosplit_live--;
    }
    return UMF_RESULT_SUCCESS;
}
static umf_result_t nosplit_native(void *provider, const char **msg, int32_t *err) {
    *msg = "";
    *err = 0;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t nosplit_page(void *provider, size_t size, size_t *page) {
    *page = (size_t)sysconf(_SC_PAGESIZE);
    return UMF_RESULT_SUCCESS;
}
static umf_result_t nosplit_min_page(void *provider, const void *ptr, size_t *page) {
    *page = (size_t)sysconf(_SC_PAGESIZE);
    return UMF_RESULT_SUCCESS;
}
static umf_result_t nosplit_name(void *provider, const char **name) {
    *name = "nosplit";
    return UMF_RESULT_SUCCESS;
}
static const umf_memory_provider_ops_t NOSPLIT_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = nosplit_init,
    .finalize = nosplit_fini,
    .alloc = nosplit_alloc,
    .free = nosplit_free,
    .get_last_native_error = nosplit_native,
    .get_recommended_page_size = nosplit_page,
    .get_min_page_size = nosplit_min_page,
    .get_name = nosplit_name,
};

/* ---- a provider over mmap with split/merge and purge, counting bytes ---- */

typedef struct purge_counters_t {
    _Atomic size_t live, purged_lazy, purged_force;
} purge_counters_t;

static umf_result_t purge_init(const void *params, void **provider) {
    *provider = (void *)params;
    return params ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_INVALID_ARGUMENT;
}
static umf_result_t purge_alloc(void *provider, size_t size, size_t alignment, void **ptr) {
    purge_counters_t *c = provider;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t al = alignment > pg ? alignment : pg;
    size_t len = (size + pg - 1) / pg * pg;
    char *raw = mmap(NULL, len + al, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        *ptr = NULL;
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    char *a = (char *)(((uintptr_t)raw + al - 1) & ~(uintptr_t)(al - 1));
    if (a > raw) {
        munmap(raw, (size_t)(a - raw));
    }
    munmap(a + len, (size_t)(raw + len + al - (a + len)));
    c->live += len;
    *ptr = a;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t purge_free(void *provider, void *ptr, size_t size) {
    purge_counters_t *c = provider;
    if (ptr != NULL) {
        size_t pg = (size_t)sysconf(_SC_PAGESIZE);
        size_t len = (size + pg - 1) / pg * pg;
        munmap(ptr, len);
        c->live -= len;
    }
    return UMF_RESULT_SUCCESS;
}
static umf_result_t purge_lazy_op(void *provider, void *ptr, size_t size) {
    ((purge_counters_t *)provider)->purged_lazy += size;
    return madvise(ptr, size, MADV_FREE) == 0 ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
}
static umf_result_t purge_force_op(void *provider, void *ptr, size_t size) {
    ((purge_counters_t *)provider)->purged_force += size;
    return madvise(ptr, size, MADV_DONTNEED) == 0 ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
}
static umf_result_t purge_split(void *provider, void *ptr, size_t total, size_t first) { return UMF_RESULT_SUCCESS; }
static umf_result_t purge_merge(void *provider, void *lo, void *hi, size_t total) { return UMF_RESULT_SUCCESS; }
static umf_result_t purge_name(void *provider, const char **name) {
    *name = "purge_counting";
    return UMF_RESULT_SUCCESS;
}
static const umf_memory_provider_ops_t PURGE_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = purge_init,
    .finalize = nosplit_fini,
    .alloc = purge_alloc,
    .free = purge_free,
    .get_last_native_error = nosplit_native,
    .get_recommended_page_size = nosplit_page,
    .get_min_page_size = nosplit_min_page,
    .get_name = purge_name,
    .ext_purge_lazy = purge_lazy_op,
    .ext_purge_force = purge_force_op,
    .ext_allocation_merge = purge_merge,
    .ext_allocation_split = purge_split,
};

/* ---- running this program again as a child ---- */

typedef struct child_result_t {
    int exited;    /* 1 when it exited normally */
    int code;      /* its exit code */
    char err[8192]; /* what it wrote to stderr (truncated) */
} child_result_t;

/* Runs /proc/self/exe MODE with the variables set ("K=V") and removed ("K") as given. */
static void run_child(const char *mode, const char *const *set, const char *const *unset, child_result_t *out) {
    memset(out, 0, sizeof(*out));
    int fds[2];
    if (pipe(fds) != 0) {
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        for (const char *const *s = set; s && *s; s++) {
            putenv((char *)*s);
        }
        for (const char *const *u = unset; u && *u; u++) {
            unsetenv(*u);
        }
        char *args[] = {(char *)"child", (char *)mode, NULL};
        execv("/proc/self/exe", args);
        _exit(127);
    }
    close(fds[1]);
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fds[0], out->err + used, sizeof(out->err) - 1 - used);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        used += (size_t)n;
        if (used == sizeof(out->err) - 1) {
            char sink[256];
            while (read(fds[0], sink, sizeof(sink)) > 0) {
            }
            break;
        }
    }
    out->err[used] = '\0';
    close(fds[0]);
    int status = 0;
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
        out->exited = 1;
        out->code = WEXITSTATUS(status);
    }
}

/* ---- allocation checks ---- */

static void check_malloc_sizes(umf_memory_pool_handle_t pool) {
    static const size_t sizes[] = {1, 7, 8, 16, 24, 100, 512, 4000, 4096, 10000, 65536, 100000, 1 << 20, 5 << 20};
    void *ptrs[sizeof(sizes) / sizeof(sizes[0])];
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        ptrs[i] = umfPoolMalloc(pool, sizes[i]);
        CHECK(ptrs[i] != NULL);
        if (ptrs[i] == NULL) {
            continue;
        }
        CHECK(IS_ALIGNED_PTR(ptrs[i], 8));
        fill(ptrs[i], sizes[i], (unsigned)i);
        size_t usable = 0;
        CHECK_OK(umfPoolMallocUsableSize(pool, ptrs[i], &usable));
        CHECK(usable >= sizes[i]);
        umf_memory_pool_handle_t found = NULL;
        CHECK_OK(umfPoolByPtr(ptrs[i], &found));
        CHECK(found == pool);
        CHECK_OK(umfPoolByPtr((char *)ptrs[i] + sizes[i] - 1, &found));
        CHECK(found == pool);
    }
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (ptrs[i] != NULL) {
            CHECK(filled(ptrs[i], sizes[i], (unsigned)i));
            /* half through umfFree, half through umfPoolFree */
            if (i % 2) {
                CHECK_OK(umfFree(ptrs[i]));
            } else {
                CHECK_OK(umfPoolFree(pool, ptrs[i]));
            }
        }
    }
    /* malloc(0) gives a unique pointer that can be freed; free(NULL) is fine */
    void *z1 = umfPoolMalloc(pool, 0), *z2 = umfPoolMalloc(pool, 0);
    CHECK(z1 != NULL && z2 != NULL && z1 != z2);
    CHECK_OK(umfPoolFree(pool, z1));
    CHECK_OK(umfPoolFree(pool, z2));
    CHECK_OK(umfPoolFree(pool, NULL));
    size_t usable = 123;
    CHECK_OK(umfPoolMallocUsableSize(pool, NULL, &usable));
    CHECK_EQ(usable, 0);
    void *p = umfPoolMalloc(pool, 10);
    CHECK_EQ(umfPoolMallocUsableSize(pool, p, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfPoolFree(pool, p);
    /* an impossible size fails with NULL and says why */
    CHECK(umfPoolMalloc(pool, SIZE_MAX) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK(umfPoolMalloc(pool, SIZE_MAX / 2 + 1) == NULL);
    CHECK_NO_MEMORY(umfPoolGetLastAllocationError(pool));
}

static void check_calloc(umf_memory_pool_handle_t pool) {
    static const size_t sizes[] = {1, 48, 1000, 4096, 70000, 3 << 20};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        /* dirty the memory first so that reuse would show */
        for (int round = 0; round < 3; round++) {
            unsigned char *d = umfPoolMalloc(pool, sizes[i]);
            REQUIRE(d != NULL);
            memset(d, 0xAB, sizes[i]);
            umfPoolFree(pool, d);
        }
        unsigned char *c = umfPoolCalloc(pool, sizes[i], 1);
        REQUIRE(c != NULL);
        CHECK(all_zero(c, sizes[i]));
        unsigned char *c2 = umfPoolCalloc(pool, 3, sizes[i]);
        REQUIRE(c2 != NULL);
        CHECK(all_zero(c2, 3 * sizes[i]));
        umfPoolFree(pool, c);
        umfPoolFree(pool, c2);
    }
    void *z = umfPoolCalloc(pool, 0, 16);
    CHECK(z != NULL);
    umfPoolFree(pool, z);
    /* num * size overflows */
    CHECK(umfPoolCalloc(pool, SIZE_MAX / 2, 3) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK(umfPoolCalloc(pool, (size_t)1 << 33, (size_t)1 << 33) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
}

static void check_realloc(umf_memory_pool_handle_t pool) {
    static const size_t steps[] = {16, 100, 3000, 70000, 1 << 20, 9 << 20, 5000, 40, 8};
    size_t prev = 0;
    unsigned char *p = umfPoolRealloc(pool, NULL, 8); /* realloc(NULL) is malloc */
    REQUIRE(p != NULL);
    fill(p, 8, 3);
    prev = 8;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        unsigned char *q = umfPoolRealloc(pool, p, steps[i]);
        REQUIRE(q != NULL);
        size_t keep = prev < steps[i] ? prev : steps[i];
        CHECK(filled(q, keep, 3));
        fill(q, steps[i], 3);
        size_t usable = 0;
        CHECK_OK(umfPoolMallocUsableSize(pool, q, &usable));
        CHECK(usable >= steps[i]);
        umf_memory_pool_handle_t found = NULL;
        CHECK_OK(umfPoolByPtr(q, &found));
        CHECK(found == pool);
        p = q;
        prev = steps[i];
    }
    /* a failed realloc keeps the old block */
    CHECK(umfPoolRealloc(pool, p, SIZE_MAX / 2) == NULL);
    CHECK_NO_MEMORY(umfPoolGetLastAllocationError(pool));
    CHECK(filled(p, prev, 3));
    /* realloc to 0 frees */
    CHECK(umfPoolRealloc(pool, p, 0) == NULL);
}

static void check_aligned(umf_memory_pool_handle_t pool, size_t max_alignment) {
    for (size_t a = 1; a <= max_alignment; a *= 2) {
        size_t sizes[] = {1, a / 2 + 1, a, 3 * a + 5, 100000};
        void *ptrs[5];
        for (int i = 0; i < 5; i++) {
            ptrs[i] = umfPoolAlignedMalloc(pool, sizes[i], a);
            CHECK(ptrs[i] != NULL);
            if (ptrs[i] != NULL) {
                CHECK(((uintptr_t)ptrs[i] & (a - 1)) == 0);
                fill(ptrs[i], sizes[i], (unsigned)a);
                size_t usable = 0;
                CHECK_OK(umfPoolMallocUsableSize(pool, ptrs[i], &usable));
                CHECK(usable >= sizes[i]);
            }
        }
        for (int i = 0; i < 5; i++) {
            if (ptrs[i] != NULL) {
                CHECK(filled(ptrs[i], sizes[i], (unsigned)a));
                CHECK_OK(umfFree(ptrs[i]));
            }
        }
    }
    void *p = umfPoolAlignedMalloc(pool, 64, 0); /* alignment 0: any */
    CHECK(p != NULL);
    umfPoolFree(pool, p);
    static const size_t bad[] = {3, 24, 1000, 4097, SIZE_MAX};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(umfPoolAlignedMalloc(pool, 64, bad[i]) == NULL);
        CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    }
}

/* ---- many threads ---- */

#define T_THREADS 8
#define T_PER_THREAD 600

typedef struct thread_arg_t {
    umf_memory_pool_handle_t pool;
    pthread_barrier_t *barrier;
    void **mine;  /* T_PER_THREAD blocks this thread allocates */
    void **other; /* the neighbour's blocks, which this thread frees */
    unsigned id, other_id;
    int failures;
} thread_arg_t;

static size_t thread_block_size(unsigned id, int i) { return 8 + ((size_t)(id * 131 + (unsigned)i * 977) % 20000); }

static void *thread_body(void *a) {
    thread_arg_t *t = a;
    uint64_t rnd = 0x9E3779B97F4A7C15ull * (t->id + 1);
    /* churn: random sizes, kept a little while */
    void *ring[32] = {0};
    size_t ring_size[32] = {0};
    for (int i = 0; i < 4000; i++) {
        rnd ^= rnd << 13;
        rnd ^= rnd >> 7;
        rnd ^= rnd << 17;
        int slot = (int)(rnd % 32);
        if (ring[slot] != NULL) {
            if (!filled(ring[slot], ring_size[slot], (unsigned)slot + t->id)) {
                t->failures++;
            }
            if (umfPoolFree(t->pool, ring[slot]) != UMF_RESULT_SUCCESS) {
                t->failures++;
            }
        }
        ring_size[slot] = 1 + (size_t)((rnd >> 20) % 65536);
        switch ((rnd >> 40) % 4) {
        case 0:
            ring[slot] = umfPoolMalloc(t->pool, ring_size[slot]);
            break;
        case 1:
            ring[slot] = umfPoolCalloc(t->pool, 1, ring_size[slot]);
            if (ring[slot] != NULL && !all_zero(ring[slot], ring_size[slot])) {
                t->failures++;
            }
            break;
        case 2:
            ring[slot] = umfPoolAlignedMalloc(t->pool, ring_size[slot], (size_t)64 << ((rnd >> 50) % 8));
            break;
        default:
            ring[slot] = umfPoolRealloc(t->pool, umfPoolMalloc(t->pool, 16), ring_size[slot]);
            break;
        }
        if (ring[slot] == NULL) {
            t->failures++;
            continue;
        }
        fill(ring[slot], ring_size[slot], (unsigned)slot + t->id);
    }
    for (int s = 0; s < 32; s++) {
        if (ring[s] != NULL) {
            umfFree(ring[s]);
        }
    }
    /* then blocks freed by another thread */
    for (int i = 0; i < T_PER_THREAD; i++) {
        size_t n = thread_block_size(t->id, i);
        t->mine[i] = umfPoolMalloc(t->pool, n);
        if (t->mine[i] == NULL) {
            t->failures++;
        } else {
            fill(t->mine[i], n, t->id);
        }
    }
    pthread_barrier_wait(t->barrier);
    for (int i = 0; i < T_PER_THREAD; i++) {
        if (t->other[i] == NULL) {
            continue;
        }
        umf_memory_pool_handle_t found = NULL;
        if (umfPoolByPtr(t->other[i], &found) != UMF_RESULT_SUCCESS || found != t->pool) {
            t->failures++;
        }
        if (!filled(t->other[i], thread_block_size(t->other_id, i), t->other_id)) {
            t->failures++;
        }
        if (umfPoolFree(t->pool, t->other[i]) != UMF_RESULT_SUCCESS) {
            t->failures++;
        }
    }
    return NULL;
}

static void check_threads(umf_memory_pool_handle_t pool) {
    pthread_t th[T_THREADS];
    thread_arg_t args[T_THREADS];
    static void *blocks[T_THREADS][T_PER_THREAD];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, T_THREADS);
    for (unsigned i = 0; i < T_THREADS; i++) {
        unsigned other = (i + 1) % T_THREADS;
        args[i] = (thread_arg_t){pool, &barrier, blocks[i], blocks[other], i, other, 0};
    }
    for (unsigned i = 0; i < T_THREADS; i++) {
        CHECK_EQ(pthread_create(&th[i], NULL, thread_body, &args[i]), 0);
    }
    int failures = 0;
    for (unsigned i = 0; i < T_THREADS; i++) {
        pthread_join(th[i], NULL);
        failures += args[i].failures;
    }
    CHECK_EQ(failures, 0);
    pthread_barrier_destroy(&barrier);
}


/* Two pools over two counting providers: each allocation is found in its pool, and destroying
 * a pool with live allocations releases all its memory, and only its own. */
static void check_two_pools(const umf_memory_pool_ops_t *ops) {
    test_provider_counters_t c1 = {0}, c2 = {0};
    umf_memory_provider_handle_t p1 = counting_provider(&c1), p2 = counting_provider(&c2);
    umf_result_t rc1, rc2;
    umf_memory_pool_handle_t a = make_pool(ops, p1, NULL, &rc1), b = make_pool(ops, p2, NULL, &rc2);
    CHECK_OK(rc1);
    CHECK_OK(rc2);
    REQUIRE(a != NULL && b != NULL);
    void *pa[100], *pb[100];
    for (int i = 0; i < 100; i++) {
        pa[i] = umfPoolMalloc(a, 64 + (size_t)i * 100);
        pb[i] = umfPoolMalloc(b, 64 + (size_t)i * 100);
        CHECK(pa[i] != NULL && pb[i] != NULL);
    }
    size_t b_live = c2.bytes_live;
    for (int i = 0; i < 100; i++) {
        umf_memory_pool_handle_t fa = NULL, fb = NULL;
        CHECK_OK(umfPoolByPtr(pa[i], &fa));
        CHECK_OK(umfPoolByPtr(pb[i], &fb));
        CHECK(fa == a);
        CHECK(fb == b);
    }
    /* destroying a pool with live allocations releases all its memory, and only its own */
    CHECK_OK(umfPoolDestroy(a));
    CHECK_EQ(c1.bytes_live, 0);
    CHECK_EQ(c2.bytes_live, b_live);
    for (int i = 0; i < 100; i++) {
        memset(pb[i], 1, 64);
        CHECK_OK(umfFree(pb[i]));
    }
    CHECK_OK(umfPoolDestroy(b));
    CHECK_EQ(c2.bytes_live, 0);
    umfMemoryProviderDestroy(p1);
    umfMemoryProviderDestroy(p2);
}

/* A pool created with UMF_POOL_CREATE_FLAG_DISABLE_TRACKING: umfPoolByPtr does not find its
 * memory, umfPoolFree frees it, and destroying the pool gives everything back. */
static void check_without_tracking(const umf_memory_pool_ops_t *ops) {
    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = counting_provider(&c);
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(ops, prov, NULL, UMF_POOL_CREATE_FLAG_DISABLE_TRACKING, &pool));
    REQUIRE(pool != NULL);
    void *p = umfPoolMalloc(pool, 1000);
    CHECK(p != NULL);
    umf_memory_pool_handle_t found = NULL;
    CHECK_EQ(umfPoolByPtr(p, &found), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfPoolFree(pool, p));
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_EQ(c.bytes_live, 0);
    umfMemoryProviderDestroy(prov);
}

#endif
