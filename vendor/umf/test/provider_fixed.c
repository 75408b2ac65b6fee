/* The fixed memory provider through the public API: params, create errors, alloc/free, alignment, out of space, purge, split/merge, pools, threads. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_fixed_memory.h>

#include "test_common.h"

static size_t page;

/* A page-aligned anonymous buffer of n pages, or NULL. */
static char *map_pages(size_t n) {
    void *p = mmap(NULL, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* A provider over [buf, buf + size), or NULL (the params are destroyed). */
static umf_memory_provider_handle_t fixed_over(void *buf, size_t size) {
    umf_fixed_memory_provider_params_handle_t params = NULL;
    umf_result_t rc = umfFixedMemoryProviderParamsCreate(buf, size, &params);
    CHECK_OK(rc);
    if (rc != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umf_memory_provider_handle_t h = NULL;
    rc = umfMemoryProviderCreate(umfFixedMemoryProviderOps(), params, &h);
    CHECK_OK(rc);
    umfFixedMemoryProviderParamsDestroy(params);
    return rc == UMF_RESULT_SUCCESS ? h : NULL;
}

static bool inside(const void *p, size_t n, const char *buf, size_t size) {
    return (const char *)p >= buf && (const char *)p + n <= buf + size;
}

static void test_ops_table(void) {
    const umf_memory_provider_ops_t *ops = umfFixedMemoryProviderOps();
    REQUIRE(ops != NULL);
    CHECK(ops == umfFixedMemoryProviderOps());
    CHECK_EQ(ops->version, UMF_PROVIDER_OPS_VERSION_CURRENT);
    const char *name = NULL;
    CHECK_OK(ops->get_name(NULL, &name));
    CHECK(name != NULL && strcmp(name, "FIXED") == 0);
    CHECK(ops->ext_purge_lazy && ops->ext_purge_force && ops->ext_allocation_split && ops->ext_allocation_merge);
    /* no IPC */
    CHECK(ops->ext_get_ipc_handle_size == NULL && ops->ext_open_ipc_handle == NULL);
    void *priv = NULL;
    CHECK_EQ(ops->initialize(NULL, &priv), UMF_RESULT_ERROR_INVALID_ARGUMENT);
}

static void test_params(void) {
    char buf[64];
    umf_fixed_memory_provider_params_handle_t p = NULL;
    CHECK_EQ(umfFixedMemoryProviderParamsCreate(buf, sizeof(buf), NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfFixedMemoryProviderParamsCreate(NULL, sizeof(buf), &p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfFixedMemoryProviderParamsCreate(buf, 0, &p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(p == NULL);
    CHECK_EQ(umfFixedMemoryProviderParamsSetMemory(NULL, buf, sizeof(buf)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfFixedMemoryProviderParamsSetName(NULL, "x"), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfFixedMemoryProviderParamsDestroy(NULL));
    CHECK_OK(umfFixedMemoryProviderParamsCreate(buf, sizeof(buf), &p));
    REQUIRE(p != NULL);
    CHECK_EQ(umfFixedMemoryProviderParamsSetMemory(p, NULL, sizeof(buf)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfFixedMemoryProviderParamsSetMemory(p, buf, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfFixedMemoryProviderParamsSetName(p, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfFixedMemoryProviderParamsSetMemory(p, buf + 8, 32));
    CHECK_OK(umfFixedMemoryProviderParamsDestroy(p));
}

static void test_create_and_names(void) {
    char *buf = map_pages(8);
    REQUIRE(buf != NULL);
    umf_memory_provider_handle_t h = NULL;
    CHECK_EQ(umfMemoryProviderCreate(umfFixedMemoryProviderOps(), NULL, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(h == NULL);

    h = fixed_over(buf, 8 * page);
    REQUIRE(h != NULL);
    const char *name = NULL;
    CHECK_OK(umfMemoryProviderGetName(h, &name));
    CHECK(name && strcmp(name, "FIXED") == 0);
    CHECK_OK(umfMemoryProviderDestroy(h));

    /* the name is copied from the caller's buffer when set; SetMemory replaces the buffer */
    umf_fixed_memory_provider_params_handle_t p = NULL;
    CHECK_OK(umfFixedMemoryProviderParamsCreate(buf, page, &p));
    char mine[16] = "my_fixed";
    CHECK_OK(umfFixedMemoryProviderParamsSetName(p, mine));
    mine[0] = 'X';
    CHECK_OK(umfFixedMemoryProviderParamsSetMemory(p, buf + 4 * page, 4 * page));
    CHECK_OK(umfMemoryProviderCreate(umfFixedMemoryProviderOps(), p, &h));
    CHECK_OK(umfFixedMemoryProviderParamsDestroy(p)); /* the provider does not need the params */
    REQUIRE(h != NULL);
    CHECK_OK(umfMemoryProviderGetName(h, &name));
    CHECK(name && strcmp(name, "my_fixed") == 0);
    void *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 4 * page, 0, &ptr));
    CHECK(ptr == buf + 4 * page);
    CHECK_OK(umfMemoryProviderFree(h, ptr, 4 * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
    munmap(buf, 8 * page);
}

static void test_alloc_free(void) {
    const size_t n = 64;
    char *buf = map_pages(n);
    REQUIRE(buf != NULL);
    umf_memory_provider_handle_t h = fixed_over(buf, n * page);
    REQUIRE(h != NULL);
    void *a = NULL, *b = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, page, 0, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAlloc(h, 0, 0, &a), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderAlloc(h, 100, 0, &a));
    CHECK_OK(umfMemoryProviderAlloc(h, 3 * page + 5, 0, &b));
    REQUIRE(a != NULL && b != NULL);
    CHECK(inside(a, 100, buf, n * page) && inside(b, 3 * page + 5, buf, n * page));
    CHECK_EQ((uintptr_t)a % page, 0);
    CHECK_EQ((uintptr_t)b % page, 0);
    memset(a, 0xa1, 100);
    memset(b, 0xb2, 3 * page + 5);
    CHECK_EQ(((unsigned char *)a)[99], 0xa1);
    CHECK_EQ(((unsigned char *)b)[0], 0xb2);

    /* frees that are not of an allocation */
    CHECK_OK(umfMemoryProviderFree(h, NULL, 0));
    CHECK_EQ(umfMemoryProviderFree(h, (char *)a + 8, 92), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderFree(h, a, 101), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderFree(h, buf + (n - 1) * page, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    int on_stack = 0;
    CHECK_EQ(umfMemoryProviderFree(h, &on_stack, sizeof(on_stack)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderFree(h, a, 100));
    CHECK_EQ(umfMemoryProviderFree(h, a, 100), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* double free */
    /* the bytes of b survived all that */
    CHECK_EQ(((unsigned char *)b)[3 * page + 4], 0xb2);
    CHECK_OK(umfMemoryProviderFree(h, b, 3 * page + 5));
    umf_memory_provider_handle_t failed = NULL;
    CHECK_EQ(umfMemoryProviderFree(h, b, 3 * page + 5), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfGetLastFailedMemoryProvider(&failed));
    CHECK(failed == h);
    CHECK_OK(umfMemoryProviderDestroy(h));
    munmap(buf, n * page);
}

static void test_alignment(void) {
    const size_t n = 256;
    char *buf = map_pages(n);
    REQUIRE(buf != NULL);
    /* start the buffer a little past a page boundary: alignment must come from the allocator */
    umf_memory_provider_handle_t h = fixed_over(buf + 24, n * page - 24);
    REQUIRE(h != NULL);
    void *p = NULL;
    size_t bad[] = {3, 24, 3 * page, page + page / 2, 5 * page};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(umfMemoryProviderAlloc(h, 64, bad[i], &p), UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    }
    size_t good[] = {0, 1, 8, 64, page / 2, page, 2 * page, 16 * page, 64 * page};
    void *ptrs[sizeof(good) / sizeof(good[0])];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ptrs[i] = NULL;
        CHECK_OK(umfMemoryProviderAlloc(h, 100, good[i], &ptrs[i]));
        size_t a = good[i] ? good[i] : page;
        CHECK(ptrs[i] != NULL && (uintptr_t)ptrs[i] % a == 0);
        CHECK(inside(ptrs[i], 100, buf + 24, n * page - 24));
    }
    /* the default is page alignment: never the unaligned start of the buffer */
    CHECK(ptrs[0] != buf + 24);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        CHECK_OK(umfMemoryProviderFree(h, ptrs[i], 100));
    }
    CHECK_OK(umfMemoryProviderDestroy(h));
    munmap(buf, n * page);
}

static void test_out_of_space(void) {
    const size_t n = 16;
    char *buf = map_pages(n);
    REQUIRE(buf != NULL);
    umf_memory_provider_handle_t h = fixed_over(buf, n * page);
    REQUIRE(h != NULL);
    void *ptrs[n + 1];
    size_t got = 0;
    umf_result_t rc = UMF_RESULT_SUCCESS;
    while (got <= n && (rc = umfMemoryProviderAlloc(h, page, 0, &ptrs[got])) == UMF_RESULT_SUCCESS) {
        got++;
    }
    CHECK_EQ(got, n);
    CHECK_EQ(rc, UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    umf_memory_provider_handle_t failed = NULL;
    CHECK_OK(umfGetLastFailedMemoryProvider(&failed));
    CHECK(failed == h);
    /* every page of the buffer was handed out once */
    for (size_t i = 0; i < got; i++) {
        CHECK(inside(ptrs[i], page, buf, n * page));
        for (size_t j = 0; j < i; j++) {
            CHECK(ptrs[i] != ptrs[j]);
        }
    }
    /* free two neighbours: a 2-page request fits again, a 3-page one does not */
    size_t k = 0;
    while (k < got && ptrs[k] != buf + 4 * page) {
        k++;
    }
    REQUIRE(k < got);
    size_t k2 = 0;
    while (k2 < got && ptrs[k2] != buf + 5 * page) {
        k2++;
    }
    REQUIRE(k2 < got);
    CHECK_OK(umfMemoryProviderFree(h, ptrs[k], page));
    CHECK_OK(umfMemoryProviderFree(h, ptrs[k2], page));
    void *two = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, 3 * page, 0, &two), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK_OK(umfMemoryProviderAlloc(h, 2 * page, 0, &two));
    CHECK(two == buf + 4 * page);
    ptrs[k] = two;
    ptrs[k2] = NULL;
    for (size_t i = 0; i < got; i++) {
        if (ptrs[i]) {
            CHECK_OK(umfMemoryProviderFree(h, ptrs[i], i == k ? 2 * page : page));
        }
    }
    /* everything back: the whole buffer in one piece, one byte more does not fit */
    void *all = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, n * page + 1, 0, &all), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK_OK(umfMemoryProviderAlloc(h, n * page, 0, &all));
    CHECK(all == buf);
    CHECK_OK(umfMemoryProviderFree(h, all, n * page));
    CHECK_EQ(umfMemoryProviderAlloc(h, SIZE_MAX, 0, &all), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK_OK(umfMemoryProviderDestroy(h));
    munmap(buf, n * page);
}

static void test_page_sizes(void) {
    char *buf = map_pages(4);
    REQUIRE(buf != NULL);
    umf_memory_provider_handle_t h = fixed_over(buf, 4 * page);
    REQUIRE(h != NULL);
    size_t ps = 0;
    CHECK_OK(umfMemoryProviderGetRecommendedPageSize(h, 12345, &ps));
    CHECK_EQ(ps, page);
    ps = 0;
    CHECK_OK(umfMemoryProviderGetMinPageSize(h, NULL, &ps));
    CHECK_EQ(ps, page);
    CHECK_OK(umfMemoryProviderGetMinPageSize(h, buf, &ps));
    CHECK_EQ(ps, page);
    CHECK_EQ(umfMemoryProviderGetRecommendedPageSize(h, 1, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderGetMinPageSize(h, NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* IPC is not there */
    size_t ipc = 0;
    CHECK_EQ(umfMemoryProviderGetIPCHandleSize(h, &ipc), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_OK(umfMemoryProviderDestroy(h));
    munmap(buf, 4 * page);
}

static void test_purge(void) {
    const size_t n = 8;
    char *buf = map_pages(n);
    REQUIRE(buf != NULL);
    umf_memory_provider_handle_t h = fixed_over(buf, n * page);
    REQUIRE(h != NULL);
    char *p = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 2 * page, 0, (void **)&p));
    REQUIRE(p != NULL);
    memset(p, 0x7e, 2 * page);
    CHECK_EQ(umfMemoryProviderPurgeLazy(h, p, 2 * page), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_EQ(p[0], 0x7e);
    CHECK_EQ(umfMemoryProviderPurgeForce(h, NULL, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderPurgeForce(h, buf + n * page, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderPurgeForce(h, buf + (n - 1) * page, 2 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderPurgeForce(h, p, page));
    /* anonymous private memory reads back zeros after MADV_DONTNEED; the second page kept its bytes */
    CHECK_EQ(p[0], 0);
    CHECK_EQ(p[page - 1], 0);
    CHECK_EQ(p[page], 0x7e);
    /* madvise refuses an unaligned start: the native error says so */
    CHECK_EQ(umfMemoryProviderPurgeForce(h, p + 1, page), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    const char *msg = NULL;
    int32_t code = 0;
    CHECK_OK(umfMemoryProviderGetLastNativeError(h, &msg, &code));
    CHECK_EQ(code, UMF_FIXED_RESULT_ERROR_PURGE_FORCE_FAILED);
    CHECK(msg != NULL && strstr(msg, "purge") != NULL);
    CHECK_OK(umfMemoryProviderFree(h, p, 2 * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
    munmap(buf, n * page);
}

static void test_split_merge(void) {
    const size_t n = 16;
    char *buf = map_pages(n);
    REQUIRE(buf != NULL);
    umf_memory_provider_handle_t h = fixed_over(buf, n * page);
    REQUIRE(h != NULL);
    char *p = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 4 * page, 0, (void **)&p));
    REQUIRE(p != NULL);
    CHECK_EQ(umfMemoryProviderAllocationSplit(h, NULL, 4 * page, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationSplit(h, p, 4 * page, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationSplit(h, p, 4 * page, 4 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationSplit(h, p, 3 * page, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationSplit(h, p + page, 3 * page, page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderAllocationSplit(h, p, 4 * page, page));
    CHECK_OK(umfMemoryProviderAllocationSplit(h, p + page, 3 * page, 100));
    /* three allocations now: [p, page), [p+page, 100), [p+page+100, 3 pages - 100) */
    CHECK_EQ(umfMemoryProviderFree(h, p, 4 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationMerge(h, p, p + page + 100, 4 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationMerge(h, p + page, p, page + 100), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationMerge(h, p, p + page, page + 99), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderAllocationMerge(h, p, p + page, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderAllocationMerge(h, p + page, p + page + 100, 3 * page));
    CHECK_OK(umfMemoryProviderFree(h, p + page, 3 * page));
    CHECK_OK(umfMemoryProviderFree(h, p, page));
    /* a used block next to a free one cannot merge */
    CHECK_OK(umfMemoryProviderAlloc(h, 2 * page, 0, (void **)&p));
    CHECK_EQ(umfMemoryProviderAllocationMerge(h, p, p + 2 * page, 3 * page), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderFree(h, p, 2 * page));
    /* back to one piece */
    CHECK_OK(umfMemoryProviderAlloc(h, n * page, 0, (void **)&p));
    CHECK_OK(umfMemoryProviderFree(h, p, n * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
    munmap(buf, n * page);
}

static umf_result_t call_ctl(const umf_memory_provider_ops_t *ops, void *priv, const char *name, void *arg,
                             size_t size, umf_ctl_query_type_t type, ...) {
    va_list args;
    va_start(args, type);
    umf_result_t rc = ops->ext_ctl(priv, CTL_QUERY_PROGRAMMATIC, name, arg, size, type, args);
    va_end(args);
    return rc;
}

static void test_ops_ctl(void) {
    char *buf = map_pages(8);
    REQUIRE(buf != NULL);
    const umf_memory_provider_ops_t *ops = umfFixedMemoryProviderOps();
    umf_fixed_memory_provider_params_handle_t params = NULL;
    CHECK_OK(umfFixedMemoryProviderParamsCreate(buf, 8 * page, &params));
    void *priv = NULL;
    CHECK_OK(ops->initialize(params, &priv));
    umfFixedMemoryProviderParamsDestroy(params);
    REQUIRE(priv != NULL);
    size_t v = 99;
    CHECK_EQ(call_ctl(ops, priv, "no.such.node", &v, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_OK(call_ctl(ops, priv, "post_initialize", NULL, 0, CTL_QUERY_RUNNABLE));
    CHECK_OK(call_ctl(ops, priv, "stats.allocated_memory", &v, sizeof(v), CTL_QUERY_READ));
    CHECK_EQ(v, 0);
    void *a = NULL, *b = NULL;
    CHECK_OK(ops->alloc(priv, 3 * page, 0, &a));
    CHECK_OK(ops->alloc(priv, 10, 0, &b));
    CHECK_OK(call_ctl(ops, priv, "stats.allocated_memory", &v, sizeof(v), CTL_QUERY_READ));
    CHECK_EQ(v, 3 * page + 10);
    CHECK_OK(ops->free(priv, a, 3 * page));
    CHECK_OK(call_ctl(ops, priv, "stats.peak_memory", &v, sizeof(v), CTL_QUERY_READ));
    CHECK_EQ(v, 3 * page + 10);
    CHECK_OK(call_ctl(ops, priv, "stats.peak_memory.reset", NULL, 0, CTL_QUERY_RUNNABLE));
    CHECK_OK(call_ctl(ops, priv, "stats.peak_memory", &v, sizeof(v), CTL_QUERY_READ));
    CHECK_EQ(v, 10);
    CHECK_EQ(call_ctl(ops, priv, "stats.peak_memory", &v, 4, CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(call_ctl(ops, priv, "stats.peak_memory", NULL, sizeof(v), CTL_QUERY_READ), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(ops->free(priv, b, 10));
    /* direct calls with a NULL provider are refused, not crashed on */
    CHECK_EQ(ops->alloc(NULL, 10, 0, &a), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(ops->free(NULL, a, 10), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(ops->finalize(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(ops->finalize(priv));
    munmap(buf, 8 * page);
}

static void test_proxy_pool(void) {
    const size_t n = 32;
    char *buf = map_pages(n);
    REQUIRE(buf != NULL);
    umf_memory_provider_handle_t h = fixed_over(buf, n * page);
    REQUIRE(h != NULL);
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(umfProxyPoolOps(), h, NULL, UMF_POOL_CREATE_FLAG_NONE, &pool));
    REQUIRE(pool != NULL);
    char *a = umfPoolMalloc(pool, 1000);
    char *b = umfPoolAlignedMalloc(pool, 2 * page, 8 * page);
    REQUIRE(a != NULL && b != NULL);
    CHECK(inside(a, 1000, buf, n * page) && inside(b, 2 * page, buf, n * page));
    CHECK_EQ((uintptr_t)b % (8 * page), 0);
    memset(a, 1, 1000);
    memset(b, 2, 2 * page);
    umf_memory_pool_handle_t found = NULL;
    CHECK_OK(umfPoolByPtr(b + page, &found));
    CHECK(found == pool);
    umf_memory_provider_handle_t got = NULL;
    CHECK_OK(umfPoolGetMemoryProvider(pool, &got));
    CHECK(got == h);
    /* the pool cannot get more than the buffer */
    CHECK(umfPoolMalloc(pool, n * page) == NULL);
    CHECK_EQ(umfPoolGetLastAllocationError(pool), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    CHECK(umfPoolAlignedMalloc(pool, page, 3) == NULL);
    CHECK_OK(umfPoolFree(pool, a));
    CHECK_OK(umfFree(b));
    /* with everything freed the whole buffer is one allocation again */
    char *all = umfPoolMalloc(pool, n * page);
    CHECK(all == buf);
    CHECK_OK(umfPoolFree(pool, all));
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfMemoryProviderDestroy(h));
    munmap(buf, n * page);
}

static void test_disjoint_pool(void) {
    const size_t n = 64; /* 256 KiB with 4 KiB pages */
    char *buf = map_pages(n);
    REQUIRE(buf != NULL);
    umf_memory_provider_handle_t h = fixed_over(buf, n * page);
    REQUIRE(h != NULL);
    umf_disjoint_pool_params_handle_t dp = NULL;
    CHECK_OK(umfDisjointPoolParamsCreate(&dp));
    CHECK_OK(umfDisjointPoolParamsSetSlabMinSize(dp, 4 * page));
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(umfDisjointPoolOps(), h, dp, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool));
    umfDisjointPoolParamsDestroy(dp);
    REQUIRE(pool != NULL);
    enum { MAX = 8192 }; /* more than fit: the loop ends on a NULL */
    static unsigned char *ptrs[MAX];
    int count = 0;
    /* small allocations until the buffer is exhausted: all inside it, none overlapping (tags survive) */
    while (count < MAX) {
        unsigned char *p = umfPoolMalloc(pool, 64);
        if (p == NULL) {
            break;
        }
        CHECK(inside(p, 64, buf, n * page));
        memset(p, (unsigned char)count, 64);
        ptrs[count++] = p;
    }
    CHECK(count > 1000);        /* most of 256 KiB went to 64-byte chunks */
    CHECK((size_t)count * 64 <= n * page);
    CHECK(count < MAX);
    int intact = 1;
    for (int i = 0; i < count; i++) {
        intact &= ptrs[i][0] == (unsigned char)i && ptrs[i][63] == (unsigned char)i;
    }
    CHECK(intact);
    for (int i = 0; i < count; i++) {
        CHECK_OK(umfPoolFree(pool, ptrs[i]));
    }
    /* a large allocation goes straight to the provider and fits after the slabs are gone or reused */
    void *big = umfPoolMalloc(pool, 16 * page);
    CHECK(big != NULL && inside(big, 16 * page, buf, n * page));
    CHECK_OK(umfPoolFree(pool, big));
    CHECK_OK(umfPoolDestroy(pool));
    munmap(buf, n * page);
}

typedef struct thread_arg_t {
    umf_memory_provider_handle_t h;
    char *buf;
    size_t size;
    unsigned seed;
    int failures;
} thread_arg_t;

static void *thread_body(void *varg) {
    thread_arg_t *arg = varg;
    enum { SLOTS = 16 };
    unsigned char *ptrs[SLOTS] = {0};
    size_t sizes[SLOTS] = {0};
    unsigned char tag = (unsigned char)(arg->seed | 1);
    for (int it = 0; it < 4000; it++) {
        int s = rand_r(&arg->seed) % SLOTS;
        if (ptrs[s]) {
            if (ptrs[s][0] != tag || ptrs[s][sizes[s] - 1] != tag) {
                arg->failures++;
            }
            if (umfMemoryProviderFree(arg->h, ptrs[s], sizes[s]) != UMF_RESULT_SUCCESS) {
                arg->failures++;
            }
            ptrs[s] = NULL;
        } else {
            size_t size = 1 + (size_t)(rand_r(&arg->seed) % (2 * page));
            umf_result_t rc = umfMemoryProviderAlloc(arg->h, size, 0, (void **)&ptrs[s]);
            if (rc != UMF_RESULT_SUCCESS) {
                if (rc != UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY) {
                    arg->failures++;
                }
                ptrs[s] = NULL;
                continue;
            }
            if (!inside(ptrs[s], size, arg->buf, arg->size)) {
                arg->failures++;
            }
            sizes[s] = size;
            memset(ptrs[s], tag, size);
        }
    }
    for (int s = 0; s < SLOTS; s++) {
        if (ptrs[s] && umfMemoryProviderFree(arg->h, ptrs[s], sizes[s]) != UMF_RESULT_SUCCESS) {
            arg->failures++;
        }
    }
    return NULL;
}

static void test_threads(void) {
    const size_t n = 1024;
    char *buf = map_pages(n);
    REQUIRE(buf != NULL);
    umf_memory_provider_handle_t h = fixed_over(buf, n * page);
    REQUIRE(h != NULL);
    enum { N = 4 };
    pthread_t t[N];
    thread_arg_t args[N];
    int started = 0;
    for (int i = 0; i < N; i++) {
        args[i] = (thread_arg_t){h, buf, n * page, (unsigned)(i * 7919 + 3), 0};
        if (pthread_create(&t[i], NULL, thread_body, &args[i]) == 0) {
            started++;
        }
    }
    CHECK_EQ(started, N);
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ(args[i].failures, 0);
    }
    /* all freed: the buffer is one piece again */
    void *all = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, n * page, 0, &all));
    CHECK(all == buf);
    CHECK_OK(umfMemoryProviderFree(h, all, n * page));
    CHECK_OK(umfMemoryProviderDestroy(h));
    munmap(buf, n * page);
}

/* The buffer is the caller's: destroying the provider leaves it mapped and its bytes as they were. */
static void test_buffer_not_owned(void) {
    char *buf = map_pages(4);
    REQUIRE(buf != NULL);
    umf_memory_provider_handle_t h = fixed_over(buf, 4 * page);
    REQUIRE(h != NULL);
    char *p = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, page, 0, (void **)&p));
    REQUIRE(p != NULL);
    memset(p, 0x42, page);
    CHECK_OK(umfMemoryProviderDestroy(h)); /* with p still allocated */
    CHECK_EQ(buf[0], 0x42);
    buf[4 * page - 1] = 1; /* still mapped and writable */
    CHECK_EQ(buf[4 * page - 1], 1);
    munmap(buf, 4 * page);
}

int main(void) {
    page = (size_t)sysconf(_SC_PAGESIZE);
    RUN_TEST(test_ops_table);
    RUN_TEST(test_params);
    RUN_TEST(test_create_and_names);
    RUN_TEST(test_alloc_free);
    RUN_TEST(test_alignment);
    RUN_TEST(test_out_of_space);
    RUN_TEST(test_page_sizes);
    RUN_TEST(test_purge);
    RUN_TEST(test_split_merge);
    RUN_TEST(test_ops_ctl);
    RUN_TEST(test_proxy_pool);
    RUN_TEST(test_disjoint_pool);
    RUN_TEST(test_threads);
    RUN_TEST(test_buffer_not_owned);
    return TEST_SUMMARY();
}
