/*
 * The jemalloc pool through the public API: params, every allocation function, aligned
 * allocations, trim, threads, umfFree/umfPoolByPtr, the counting test provider and the OS
 * provider, a provider that cannot split, a provider whose memory cannot be touched at all
 * (PROT_NONE), and that the process's own malloc stays glibc's (jemalloc is linked into libumf
 * with its names prefixed and hidden). Runs with no special environment: no GLIBC_TUNABLES.
 */
#include <dlfcn.h>
#include <malloc.h>

#include <umf/pools/pool_jemalloc.h>

#include "pool_alloc_checks.h"

static umf_memory_pool_handle_t je_pool(umf_memory_provider_handle_t provider, umf_jemalloc_pool_params_handle_t prm,
                                        umf_result_t *rc) {
    return make_pool(umfJemallocPoolOps(), provider, prm, rc);
}

static void test_ops_and_params(void) {
    const umf_memory_pool_ops_t *ops = umfJemallocPoolOps();
    REQUIRE(ops != NULL);
    CHECK(ops == umfJemallocPoolOps());
    CHECK_EQ(ops->version, UMF_POOL_OPS_VERSION_CURRENT);
    const char *name = NULL;
    CHECK_OK(ops->get_name(NULL, &name));
    CHECK(name != NULL && strcmp(name, "jemalloc") == 0);
    CHECK_EQ(ops->get_name(NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(ops->ext_trim_memory != NULL);

    umf_jemalloc_pool_params_handle_t prm = NULL;
    CHECK_EQ(umfJemallocPoolParamsCreate(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfJemallocPoolParamsDestroy(NULL));
    CHECK_EQ(umfJemallocPoolParamsSetNumArenas(NULL, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfJemallocPoolParamsSetName(NULL, "x"), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfJemallocPoolParamsCreate(&prm));
    REQUIRE(prm != NULL);
    CHECK_OK(umfJemallocPoolParamsSetNumArenas(prm, 0));
    CHECK_OK(umfJemallocPoolParamsSetNumArenas(prm, 1));
    CHECK_OK(umfJemallocPoolParamsSetNumArenas(prm, 4095));
    CHECK_EQ(umfJemallocPoolParamsSetNumArenas(prm, 4096), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfJemallocPoolParamsSetNumArenas(prm, SIZE_MAX), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfJemallocPoolParamsSetName(prm, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfJemallocPoolParamsSetName(prm, ""), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    char long_name[65];
    memset(long_name, 'n', 64);
    long_name[64] = '\0';
    CHECK_EQ(umfJemallocPoolParamsSetName(prm, long_name), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    long_name[63] = '\0';
    CHECK_OK(umfJemallocPoolParamsSetName(prm, long_name));

    /* the name reaches the pool */
    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = counting_provider(&c);
    CHECK_OK(umfJemallocPoolParamsSetName(prm, "je_custom"));
    CHECK_OK(umfJemallocPoolParamsSetNumArenas(prm, 2));
    umf_result_t rc;
    umf_memory_pool_handle_t pool = je_pool(prov, prm, &rc);
    CHECK_OK(rc);
    if (pool != NULL) {
        CHECK_OK(umfPoolGetName(pool, &name));
        CHECK(strcmp(name, "je_custom") == 0);
        umfPoolDestroy(pool);
    }
    CHECK_OK(umfJemallocPoolParamsDestroy(prm));
    /* NULL params: defaults, named "jemalloc" */
    pool = je_pool(prov, NULL, &rc);
    CHECK_OK(rc);
    if (pool != NULL) {
        CHECK_OK(umfPoolGetName(pool, &name));
        CHECK(strcmp(name, "jemalloc") == 0);
        umfPoolDestroy(pool);
    }
    umfMemoryProviderDestroy(prov);
    CHECK_EQ(c.bytes_live, 0);
}

static void test_allocations_counting_provider(void) {
    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = counting_provider(&c);
    umf_result_t rc;
    umf_memory_pool_handle_t pool = je_pool(prov, NULL, &rc);
    CHECK_OK(rc);
    REQUIRE(pool != NULL);
    check_malloc_sizes(pool);
    check_calloc(pool);
    check_realloc(pool);
    check_aligned(pool, (size_t)32 << 20);
    CHECK(c.alloc_count > 0);
    CHECK(c.split_count > 0); /* jemalloc cuts the big blocks it gets */
    CHECK_OK(umfPoolDestroy(pool));
    /* destroying the pool gave every byte back to the provider */
    CHECK_EQ(c.bytes_live, 0);
    umfMemoryProviderDestroy(prov);
}

static void test_allocations_os_provider(void) {
    umf_memory_provider_handle_t prov = os_provider();
    REQUIRE(prov != NULL);
    umf_result_t rc;
    umf_memory_pool_handle_t pool = je_pool(prov, NULL, &rc);
    CHECK_OK(rc);
    if (pool != NULL) {
        check_malloc_sizes(pool);
        check_calloc(pool);
        check_realloc(pool);
        check_aligned(pool, (size_t)32 << 20);
        check_threads(pool);
        CHECK_OK(umfPoolTrimMemory(pool, 0));
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
    umf_jemalloc_pool_params_handle_t prm = NULL;
    CHECK_OK(umfJemallocPoolParamsCreate(&prm));
    CHECK_OK(umfJemallocPoolParamsSetNumArenas(prm, 3)); /* 8 threads share 3 arenas */
    umf_result_t rc;
    umf_memory_pool_handle_t pool = je_pool(prov, prm, &rc);
    umfJemallocPoolParamsDestroy(prm);
    CHECK_OK(rc);
    if (pool != NULL) {
        check_threads(pool);
        CHECK_OK(umfPoolDestroy(pool));
    }
    CHECK_EQ(c.bytes_live, 0);
    /* one arena only */
    CHECK_OK(umfJemallocPoolParamsCreate(&prm));
    CHECK_OK(umfJemallocPoolParamsSetNumArenas(prm, 1));
    pool = je_pool(prov, prm, &rc);
    umfJemallocPoolParamsDestroy(prm);
    CHECK_OK(rc);
    if (pool != NULL) {
        check_threads(pool);
        CHECK_OK(umfPoolDestroy(pool));
    }
    CHECK_EQ(c.bytes_live, 0);
    umfMemoryProviderDestroy(prov);
}

/* Trim purges the pages of freed memory through the provider (jemalloc keeps the address
 * space of split blocks until the pool is destroyed, see src/pools/jemalloc.c). */
static void test_trim(void) {
    purge_counters_t c = {0};
    umf_memory_provider_handle_t prov = NULL;
    CHECK_OK(umfMemoryProviderCreate(&PURGE_OPS, &c, &prov));
    REQUIRE(prov != NULL);
    umf_result_t rc;
    umf_memory_pool_handle_t pool = je_pool(prov, NULL, &rc);
    CHECK_OK(rc);
    REQUIRE(pool != NULL);
    void *blocks[24];
    for (int i = 0; i < 24; i++) {
        blocks[i] = umfPoolMalloc(pool, (size_t)1 << 20);
        CHECK(blocks[i] != NULL);
        if (blocks[i] != NULL) {
            memset(blocks[i], i, (size_t)1 << 20);
        }
    }
    CHECK(c.live >= ((size_t)24 << 20));
    for (int i = 0; i < 24; i++) {
        umfPoolFree(pool, blocks[i]);
    }
    size_t live = c.live, purged = c.purged_lazy + c.purged_force;
    /* keeping more than is cached gives nothing back */
    CHECK_OK(umfPoolTrimMemory(pool, SIZE_MAX));
    CHECK_EQ(c.live, live);
    CHECK_EQ(c.purged_lazy + c.purged_force, purged);
    /* keeping nothing purges (or frees) the freed blocks */
    CHECK_OK(umfPoolTrimMemory(pool, 0));
    size_t released = (c.purged_lazy + c.purged_force - purged) + (live - c.live);
    CHECK(released >= ((size_t)20 << 20));
    /* still usable afterwards, and the purged memory reads as written */
    char *p = umfPoolMalloc(pool, 3 << 20);
    CHECK(p != NULL);
    if (p != NULL) {
        memset(p, 7, 3 << 20);
        CHECK(p[0] == 7 && p[(3 << 20) - 1] == 7);
    }
    umfPoolFree(pool, p);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_EQ(c.live, 0);
    umfMemoryProviderDestroy(prov);
}

/* A thread going back and forth between pools, and pools created where a destroyed one was:
 * each allocation lands in the pool asked for and every pool gives all its memory back. */
static void test_pool_switching(void) {
    test_provider_counters_t ca = {0}, cb = {0};
    umf_memory_provider_handle_t pa = counting_provider(&ca), pb = counting_provider(&cb);
    for (int round = 0; round < 6; round++) {
        umf_result_t rc1, rc2;
        umf_memory_pool_handle_t a = je_pool(pa, NULL, &rc1), b = je_pool(pb, NULL, &rc2);
        CHECK_OK(rc1);
        CHECK_OK(rc2);
        if (a == NULL || b == NULL) {
            break;
        }
        void *blocks[200];
        for (int i = 0; i < 200; i++) {
            umf_memory_pool_handle_t want = i % 2 ? a : b, found = NULL;
            blocks[i] = umfPoolMalloc(want, 32 + (size_t)i * 8);
            CHECK(blocks[i] != NULL);
            CHECK_OK(umfPoolByPtr(blocks[i], &found));
            CHECK(found == want);
        }
        for (int i = 0; i < 200; i += 2) {
            CHECK_OK(umfFree(blocks[i + 1]));
            CHECK_OK(umfFree(blocks[i]));
        }
        CHECK_OK(umfPoolDestroy(a));
        CHECK_EQ(ca.bytes_live, 0);
        CHECK_OK(umfPoolDestroy(b));
        CHECK_EQ(cb.bytes_live, 0);
    }
    umfMemoryProviderDestroy(pa);
    umfMemoryProviderDestroy(pb);
}

static void test_provider_cannot_split(void) {
    umf_memory_provider_handle_t prov = NULL;
    CHECK_OK(umfMemoryProviderCreate(&NOSPLIT_OPS, NULL, &prov));
    REQUIRE(prov != NULL);
    umf_memory_pool_handle_t pool = NULL;
    CHECK_EQ(umfPoolCreate(umfJemallocPoolOps(), prov, NULL, 0, &pool), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK(pool == NULL);
    CHECK_EQ(nosplit_live, 0); /* the probe's allocation was given back */
    /* the same without tracking */
    CHECK_EQ(umfPoolCreate(umfJemallocPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_DISABLE_TRACKING, &pool),
             UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(nosplit_live, 0);
    umfMemoryProviderDestroy(prov);
}

static void test_provider_failures(void) {
    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = counting_provider(&c);
    umf_memory_pool_handle_t pool = NULL;
    /* the provider fails at once: no pool */
    c.fail_next_allocs = 1;
    CHECK_EQ(umfPoolCreate(umfJemallocPoolOps(), prov, NULL, 0, &pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK(pool == NULL);
    /* the arena cannot get its first memory: no pool either, nothing leaked */
    c.fail_next_allocs = 0;
    size_t allocs = c.alloc_count;
    c.fail_next_allocs = 0;
    umf_result_t rc;
    pool = je_pool(prov, NULL, &rc);
    CHECK_OK(rc);
    REQUIRE(pool != NULL);
    CHECK(c.alloc_count > allocs);
    /* later the provider runs dry: NULL, and the reason */
    c.fail_next_allocs = 1000;
    CHECK(umfPoolMalloc(pool, (size_t)64 << 20) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK(umfPoolAlignedMalloc(pool, (size_t)64 << 20, 4096) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    c.fail_next_allocs = 0;
    void *p = umfPoolMalloc(pool, (size_t)64 << 20);
    CHECK(p != NULL);
    umfPoolFree(pool, p);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_EQ(c.bytes_live, 0);
    umfMemoryProviderDestroy(prov);
}

/* malloc in this process is still glibc's while a jemalloc pool is in use. */
static void test_process_malloc_untouched(void) {
    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = counting_provider(&c);
    umf_result_t rc;
    umf_memory_pool_handle_t pool = je_pool(prov, NULL, &rc);
    CHECK_OK(rc);
    REQUIRE(pool != NULL);
    void *pooled = umfPoolMalloc(pool, 100);
    CHECK(pooled != NULL);

    /* jemalloc's symbols, prefixed or not, are not in the global scope */
    CHECK(dlsym(RTLD_DEFAULT, "mallocx") == NULL);
    CHECK(dlsym(RTLD_DEFAULT, "mallctl") == NULL);
    CHECK(dlsym(RTLD_DEFAULT, "je_mallocx") == NULL);
    CHECK(dlsym(RTLD_DEFAULT, "je_malloc") == NULL);
    /* the malloc the process resolves lives in libc (or in the sanitizer runtime) */
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info info;
    memset(&info, 0, sizeof(info));
    CHECK(m != NULL && dladdr(m, &info) != 0);
    CHECK(info.dli_fname != NULL && strstr(info.dli_fname, "jemalloc") == NULL);
#if defined(__SANITIZE_ADDRESS__)
    CHECK(info.dli_fname != NULL && (strstr(info.dli_fname, "libc.so") || strstr(info.dli_fname, "asan") ||
                                     strstr(info.dli_fname, "pool_jemalloc")));
#else
    CHECK(info.dli_fname != NULL && strstr(info.dli_fname, "libc.so") != NULL);
    /* and glibc's heap accounts for a plain malloc: 64 MiB is above glibc's largest mmap
     * threshold, so it is always a mapped chunk that mallinfo2 counts in hblkhd */
    struct mallinfo2 before = mallinfo2();
    char *big = malloc((size_t)64 << 20);
    CHECK(big != NULL);
    if (big != NULL) {
        big[0] = 1;
        CHECK(malloc_usable_size(big) >= ((size_t)64 << 20));
        struct mallinfo2 during = mallinfo2();
        CHECK(during.hblkhd >= before.hblkhd + ((size_t)64 << 20));
        free(big);
        CHECK(mallinfo2().hblkhd + ((size_t)64 << 20) <= during.hblkhd);
    }
#endif
    umfPoolFree(pool, pooled);
    umfPoolDestroy(pool);
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
    umf_result_t rc = umfPoolCreate(umfJemallocPoolOps(), prov, NULL, 0, &pool);
    if (rc == UMF_RESULT_SUCCESS) {
        void *p = umfPoolMalloc(pool, 100);
        if (p == NULL) {
            rc = 101;
        }
        umfPoolFree(pool, p);
        umfPoolDestroy(pool);
    }
    umfMemoryProviderDestroy(prov);
    return (int)rc;
}

/* A provider whose memory is PROT_NONE: the pool never touches provider memory itself (its
 * metadata lives in host memory), so a thousand 1 KiB allocations work; NULL params too. */
static void test_provider_memory_untouched(void) {
    umf_os_memory_provider_params_handle_t op = NULL;
    REQUIRE(umfOsMemoryProviderParamsCreate(&op) == UMF_RESULT_SUCCESS);
    REQUIRE(umfOsMemoryProviderParamsSetProtection(op, UMF_PROTECTION_NONE) == UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t prov = NULL;
    REQUIRE(umfMemoryProviderCreate(umfOsMemoryProviderOps(), op, &prov) == UMF_RESULT_SUCCESS);
    umfOsMemoryProviderParamsDestroy(op);
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(umfJemallocPoolOps(), prov, NULL, 0, &pool));
    REQUIRE(pool != NULL);
    enum { N = 1000 };
    static void *ptrs[N];
    size_t got = 0;
    for (size_t i = 0; i < N; i++) {
        ptrs[i] = umfPoolMalloc(pool, 1024);
        got += ptrs[i] != NULL;
    }
    CHECK_EQ(got, (size_t)N);
    for (size_t i = 0; i < N; i++) {
        umf_memory_pool_handle_t owner = NULL;
        CHECK(umfPoolByPtr(ptrs[i], &owner) == UMF_RESULT_SUCCESS && owner == pool);
        CHECK_OK(umfPoolFree(pool, ptrs[i]));
    }
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

/* A new process with no GLIBC_TUNABLES creates a pool (libumf has no STATIC_TLS flag). */
static void test_no_special_environment(void) {
    static const char *const unset[] = {"GLIBC_TUNABLES", "UMF_LOG", NULL};
    child_result_t r;
    run_child("child-create", NULL, unset, &r);
    CHECK(r.exited);
    CHECK_EQ(r.code, UMF_RESULT_SUCCESS);
    CHECK_EQ(strlen(r.err), 0);
}

static void test_two_pools(void) { check_two_pools(umfJemallocPoolOps()); }

static void test_without_tracking(void) { check_without_tracking(umfJemallocPoolOps()); }

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child-create") == 0) {
        return child_create();
    }
    RUN_TEST(test_ops_and_params);
    RUN_TEST(test_allocations_counting_provider);
    RUN_TEST(test_allocations_os_provider);
    RUN_TEST(test_threads);
    RUN_TEST(test_trim);
    RUN_TEST(test_two_pools);
    RUN_TEST(test_pool_switching);
    RUN_TEST(test_provider_cannot_split);
    RUN_TEST(test_provider_failures);
    RUN_TEST(test_without_tracking);
    RUN_TEST(test_process_malloc_untouched);
    RUN_TEST(test_provider_memory_untouched);
    RUN_TEST(test_no_special_environment);
    return TEST_SUMMARY();
}
