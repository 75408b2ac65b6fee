/*
 * Tests of the IPC core (umf/ipc.h) over the memfd test provider: get/put and
 * open/close round trips in one process, the get-side and opened-handle
 * caches, stale handles, handlers of the wrong kind, malformed and fuzzed
 * handles, threads, and UMF_MAX_OPENED_IPC_HANDLES (in child processes started
 * with the variable set, since it is read when the library initializes).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <umf/experimental/memory_properties.h>
#include <umf/ipc.h>
#include <umf/pools/pool_proxy.h>

#include "test_common.h"
#include "test_ipc_provider.h"

/* The handle header as §1.4 lays it out (the library keeps its own definition private). */
typedef struct hdr_t {
    uint64_t handle_id;
    void *base;
    int pid;
    size_t baseSize;
    uint64_t offset;
} hdr_t;
_Static_assert(sizeof(hdr_t) == 40, "header size");
#define HDR 40
#define HANDLE_SIZE (HDR + sizeof(test_ipc_data_t))

static size_t PAGE;

/* REQUIRE evaluates its condition twice: calls with effects go through this one. */
#define REQUIRE_OK(call)                                                                           \
    do {                                                                                           \
        umf_result_t r_ = (call);                                                                  \
        CHECK_EQ(r_, UMF_RESULT_SUCCESS);                                                          \
        if (r_ != UMF_RESULT_SUCCESS) {                                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static umf_memory_pool_handle_t make_pool_delayed(test_provider_counters_t *c, unsigned get_delay_us,
                                                  test_gate_t *open_gate) {
    test_ipc_params_t params = {c, get_delay_us, open_gate};
    umf_memory_provider_handle_t prov = NULL;
    if (umfMemoryProviderCreate(test_ipc_provider_ops(), &params, &prov) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umf_memory_pool_handle_t pool = NULL;
    if (umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool) !=
        UMF_RESULT_SUCCESS) {
        umfMemoryProviderDestroy(prov);
        return NULL;
    }
    return pool;
}

static umf_memory_pool_handle_t make_pool(test_provider_counters_t *c, unsigned get_delay_us) {
    return make_pool_delayed(c, get_delay_us, NULL);
}

static umf_ipc_handler_handle_t handler_of(umf_memory_pool_handle_t pool) {
    umf_ipc_handler_handle_t h = NULL;
    return umfPoolGetIPCHandler(pool, &h) == UMF_RESULT_SUCCESS ? h : NULL;
}

static hdr_t header_of(umf_ipc_handle_t h) {
    hdr_t out;
    memcpy(&out, h, sizeof(out));
    return out;
}

static test_ipc_data_t data_of(const void *h) {
    test_ipc_data_t d;
    memcpy(&d, (const char *)h + HDR, sizeof(d));
    return d;
}

static size_t load(size_t *counter) { return __atomic_load_n(counter, __ATOMIC_RELAXED); }

/* ---------------------------------------------------------------------------------------------- */

static void test_bad_arguments(void) {
    test_provider_counters_t c = {0};
    umf_memory_pool_handle_t pool = make_pool(&c, 0);
    REQUIRE(pool != NULL);
    size_t size = 0;
    CHECK_RESULT(umfPoolGetIPCHandleSize(NULL, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetIPCHandleSize(pool, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfPoolGetIPCHandleSize(pool, &size));
    CHECK_EQ(size, HANDLE_SIZE);

    void *buf = umfPoolMalloc(pool, PAGE);
    REQUIRE(buf != NULL);
    umf_ipc_handle_t h = NULL;
    int local = 0;
    CHECK_RESULT(umfGetIPCHandle(NULL, &h, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetIPCHandle(buf, NULL, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetIPCHandle(buf, &h, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfGetIPCHandle(&local, &h, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(h == NULL);

    CHECK_RESULT(umfPutIPCHandle(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPutIPCHandle((umf_ipc_handle_t)&local), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_ipc_handler_handle_t handler = NULL;
    CHECK_RESULT(umfPoolGetIPCHandler(NULL, &handler), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolGetIPCHandler(pool, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfPoolGetIPCHandler(pool, &handler));
    CHECK(handler != NULL);

    CHECK_OK(umfGetIPCHandle(buf, &h, &size));
    void *opened = NULL;
    CHECK_RESULT(umfOpenIPCHandle(NULL, h, &opened), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfOpenIPCHandle(handler, NULL, &opened), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfOpenIPCHandle(handler, h, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(opened == NULL);
    CHECK_EQ(load(&c.ipc_open_count), 0);

    CHECK_RESULT(umfCloseIPCHandle(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCloseIPCHandle(&local), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCloseIPCHandle(buf), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* allocated, not opened */

    CHECK_OK(umfPutIPCHandle(h));
    CHECK_RESULT(umfPutIPCHandle(h), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* double put */
    CHECK_OK(umfPoolFree(pool, buf));
    CHECK_OK(umfPoolDestroy(pool));
}

static void test_provider_without_ipc(void) {
    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = NULL;
    REQUIRE_OK(umfMemoryProviderCreate(test_counting_provider_ops(), &c, &prov));
    umf_memory_pool_handle_t pool = NULL;
    REQUIRE_OK(umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool));
    size_t size = 0;
    CHECK_RESULT(umfPoolGetIPCHandleSize(pool, &size), UMF_RESULT_ERROR_NOT_SUPPORTED);
    void *buf = umfPoolMalloc(pool, 100);
    REQUIRE(buf != NULL);
    umf_ipc_handle_t h = NULL;
    CHECK_RESULT(umfGetIPCHandle(buf, &h, &size), UMF_RESULT_ERROR_NOT_SUPPORTED);
    umf_memory_provider_handle_t failed = NULL;
    CHECK_OK(umfGetLastFailedMemoryProvider(&failed));
    CHECK(failed == prov);

    /* as UMF: a real handle (of an IPC-capable pool) opened through this pool's handler: NOT_SUPPORTED */
    test_provider_counters_t ic = {0};
    umf_memory_pool_handle_t ipc_pool = make_pool(&ic, 0);
    void *shared = umfPoolMalloc(ipc_pool, 64);
    REQUIRE(shared != NULL);
    umf_ipc_handle_t real = NULL;
    size_t real_size = 0;
    REQUIRE_OK(umfGetIPCHandle(shared, &real, &real_size));
    void *opened = (void *)0x1;
    CHECK_RESULT(umfOpenIPCHandle(handler_of(pool), real, &opened), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_OK(umfPutIPCHandle(real));
    CHECK_OK(umfPoolFree(ipc_pool, shared));
    CHECK_OK(umfPoolDestroy(ipc_pool));

    CHECK_OK(umfPoolFree(pool, buf));
    CHECK_OK(umfPoolDestroy(pool));
}

static void test_untracked_pool(void) {
    test_provider_counters_t c = {0};
    test_ipc_params_t params = {.counters = &c};
    umf_memory_provider_handle_t prov = NULL;
    REQUIRE_OK(umfMemoryProviderCreate(test_ipc_provider_ops(), &params, &prov));
    umf_memory_pool_handle_t pool = NULL;
    REQUIRE_OK(umfPoolCreate(umfProxyPoolOps(), prov, NULL,
                          UMF_POOL_CREATE_FLAG_OWN_PROVIDER | UMF_POOL_CREATE_FLAG_DISABLE_TRACKING,
                          &pool));
    void *buf = umfPoolMalloc(pool, PAGE);
    REQUIRE(buf != NULL);
    umf_ipc_handle_t h = NULL;
    size_t size = 0;
    CHECK_RESULT(umfGetIPCHandle(buf, &h, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(load(&c.ipc_get_count), 0);
    CHECK_OK(umfMemoryProviderFree(prov, buf, PAGE)); /* the proxy pool cannot free untracked memory */
    CHECK_OK(umfPoolDestroy(pool));
}

static void test_round_trip(void) {
    test_provider_counters_t cp = {0}, cq = {0};
    umf_memory_pool_handle_t P = make_pool(&cp, 0), Q = make_pool(&cq, 0);
    REQUIRE(P != NULL && Q != NULL);
    size_t len = 3 * PAGE;
    unsigned char *buf = umfPoolMalloc(P, len);
    REQUIRE(buf != NULL);
    for (size_t i = 0; i < len; i++) {
        buf[i] = (unsigned char)(i * 7 + 1);
    }
    umf_ipc_handle_t h = NULL;
    size_t size = 0;
    REQUIRE_OK(umfGetIPCHandle(buf + 100, &h, &size));
    CHECK_EQ(size, HANDLE_SIZE);
    hdr_t hd = header_of(h);
    CHECK(hd.handle_id != 0);
    CHECK(hd.base == buf);
    CHECK_EQ(hd.pid, getpid());
    CHECK_EQ(hd.baseSize, len);
    CHECK_EQ(hd.offset, 100);
    CHECK_EQ(data_of(h).magic, TEST_IPC_MAGIC);

    umf_ipc_handler_handle_t hq = handler_of(Q);
    REQUIRE(hq != NULL);
    unsigned char *o = NULL;
    REQUIRE_OK(umfOpenIPCHandle(hq, h, (void **)&o));
    CHECK(o != NULL && o != buf + 100); /* a mapping of its own */
    CHECK(memcmp(o - 100, buf, len) == 0);
    o[0] = 0xAB;
    CHECK_EQ(buf[100], 0xAB);
    buf[len - 1] = 0xCD;
    CHECK_EQ(o[len - 101], 0xCD);
    CHECK_EQ(load(&cq.ipc_open_count), 1);
    CHECK_EQ(load(&cp.ipc_open_count), 0); /* opened by the handler's provider */

    /* memory properties of opened memory: no pool, the consumer's provider, the mapping's range */
    umf_memory_properties_handle_t props = NULL;
    REQUIRE_OK(umfGetMemoryPropertiesHandle(o + 5, &props));
    umf_memory_pool_handle_t ppool = (void *)1;
    umf_memory_provider_handle_t pprov = NULL, qprov = NULL;
    uintptr_t pbase = 0;
    size_t psize = 0;
    CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_POOL_HANDLE, &ppool, sizeof(ppool)));
    CHECK(ppool == NULL);
    CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_PROVIDER_HANDLE, &pprov, sizeof(pprov)));
    CHECK_OK(umfPoolGetMemoryProvider(Q, &qprov));
    CHECK(pprov == qprov);
    CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_BASE_ADDRESS, &pbase, sizeof(pbase)));
    CHECK(pbase == (uintptr_t)(o - 100));
    CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_BASE_SIZE, &psize, sizeof(psize)));
    CHECK_EQ(psize, len);
    umf_memory_pool_handle_t owner = NULL;
    CHECK_RESULT(umfPoolByPtr(o, &owner), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    CHECK_OK(umfCloseIPCHandle(o + 1000)); /* an interior pointer closes too */
    CHECK_RESULT(umfCloseIPCHandle(o), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* closed more than opened */
    CHECK_EQ(load(&cq.ipc_close_count), 0);                                 /* cached, not unmapped */

    CHECK_OK(umfPutIPCHandle(h));
    CHECK_EQ(load(&cp.ipc_put_count), 0); /* the provider's put waits for the free */
    CHECK_OK(umfPoolFree(P, buf));
    CHECK_EQ(load(&cp.ipc_put_count), 1);
    CHECK_EQ(load(&cp.ipc_get_count), 1);
    CHECK_OK(umfPoolDestroy(Q));
    CHECK_EQ(load(&cq.ipc_close_count), 1);
    CHECK_OK(umfPoolDestroy(P));
}

static void test_get_cache(void) {
    test_provider_counters_t c = {0};
    umf_memory_pool_handle_t P = make_pool(&c, 0);
    REQUIRE(P != NULL);
    char *a = umfPoolMalloc(P, 2 * PAGE), *b = umfPoolMalloc(P, PAGE);
    REQUIRE(a != NULL && b != NULL);
    umf_ipc_handle_t h1 = NULL, h2 = NULL, h3 = NULL, h4 = NULL;
    size_t s = 0;
    CHECK_OK(umfGetIPCHandle(a, &h1, &s));
    CHECK_OK(umfGetIPCHandle(a, &h2, &s));
    CHECK_OK(umfGetIPCHandle(a + PAGE + 3, &h3, &s));
    CHECK_EQ(load(&c.ipc_get_count), 1); /* one provider get per allocation */
    CHECK(h1 != h2 && h2 != h3);         /* each caller owns its copy */
    CHECK(memcmp(h1, h2, s) == 0);
    CHECK_EQ(header_of(h3).offset, PAGE + 3);
    CHECK_EQ(header_of(h3).handle_id, header_of(h1).handle_id);
    CHECK_OK(umfGetIPCHandle(b, &h4, &s));
    CHECK_EQ(load(&c.ipc_get_count), 2);
    CHECK(header_of(h4).handle_id != header_of(h1).handle_id);
    CHECK_OK(umfPutIPCHandle(h1));
    CHECK_OK(umfPutIPCHandle(h2));
    CHECK_OK(umfPutIPCHandle(h3));
    CHECK_OK(umfPutIPCHandle(h4));
    CHECK_EQ(load(&c.ipc_put_count), 0);
    CHECK_OK(umfGetIPCHandle(a, &h1, &s)); /* still cached after every copy was put */
    CHECK_OK(umfPutIPCHandle(h1));
    CHECK_EQ(load(&c.ipc_get_count), 2);
    /* destroying the pool with both allocations live puts both handles */
    CHECK_OK(umfPoolDestroy(P));
    CHECK_EQ(load(&c.ipc_put_count), 2);
    CHECK_EQ(load(&c.ipc_put_count), load(&c.ipc_get_count));
}

static void test_open_cache(void) {
    test_provider_counters_t cp = {0}, cq = {0}, cr = {0};
    umf_memory_pool_handle_t P = make_pool(&cp, 0), Q = make_pool(&cq, 0), R = make_pool(&cr, 0);
    REQUIRE(P != NULL && Q != NULL && R != NULL);
    char *a = umfPoolMalloc(P, PAGE), *b = umfPoolMalloc(P, PAGE);
    REQUIRE(a != NULL && b != NULL);
    umf_ipc_handle_t ha = NULL, ha2 = NULL, hb = NULL;
    size_t s = 0;
    REQUIRE_OK(umfGetIPCHandle(a, &ha, &s));
    REQUIRE_OK(umfGetIPCHandle(a + 8, &ha2, &s));
    REQUIRE_OK(umfGetIPCHandle(b, &hb, &s));
    umf_ipc_handler_handle_t hq = handler_of(Q), hr = handler_of(R);
    REQUIRE(hq != NULL && hr != NULL && hq != hr);

    char *o1 = NULL, *o2 = NULL, *o3 = NULL, *ob = NULL, *or = NULL;
    CHECK_OK(umfOpenIPCHandle(hq, ha, (void **)&o1));
    CHECK_OK(umfOpenIPCHandle(hq, ha, (void **)&o2));
    CHECK_OK(umfOpenIPCHandle(hq, ha2, (void **)&o3)); /* another copy, another offset: same mapping */
    CHECK(o1 == o2 && o3 == o1 + 8);
    CHECK_EQ(load(&cq.ipc_open_count), 1);
    CHECK_OK(umfOpenIPCHandle(hq, hb, (void **)&ob));
    CHECK_EQ(load(&cq.ipc_open_count), 2);
    CHECK_OK(umfOpenIPCHandle(hr, ha, (void **)&or)); /* another handler: a mapping of its own */
    CHECK(or != o1);
    CHECK_EQ(load(&cr.ipc_open_count), 1);

    CHECK_OK(umfCloseIPCHandle(o1));
    CHECK_OK(umfCloseIPCHandle(o2));
    CHECK_OK(umfCloseIPCHandle(o3));
    CHECK_RESULT(umfCloseIPCHandle(o1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(load(&cq.ipc_close_count), 0);
    char *again = NULL;
    CHECK_OK(umfOpenIPCHandle(hq, ha, (void **)&again)); /* a hit on the idle cached mapping */
    CHECK(again == o1);
    CHECK_EQ(load(&cq.ipc_open_count), 2);
    CHECK_OK(umfCloseIPCHandle(again));

    /* destroying Q closes its mappings, the idle one and the one still open (ob) */
    CHECK_OK(umfPoolDestroy(Q));
    CHECK_EQ(load(&cq.ipc_close_count), 2);
    CHECK_RESULT(umfCloseIPCHandle(ob), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_memory_properties_handle_t props = NULL;
    CHECK_RESULT(umfGetMemoryPropertiesHandle(o1, &props), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    void *x = NULL;
    CHECK_RESULT(umfOpenIPCHandle(hq, ha, &x), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* dead handler */
    CHECK_EQ(load(&cr.ipc_close_count), 0); /* R's mapping is not Q's */
    CHECK_EQ(*or, 0);
    CHECK_OK(umfCloseIPCHandle(or));

    CHECK_OK(umfPutIPCHandle(ha));
    CHECK_OK(umfPutIPCHandle(ha2));
    CHECK_OK(umfPutIPCHandle(hb));
    CHECK_OK(umfPoolDestroy(R));
    CHECK_EQ(load(&cr.ipc_close_count), 1);
    CHECK_OK(umfPoolDestroy(P));
    CHECK_EQ(load(&cp.ipc_put_count), 2);
}

/* A handle of an allocation freed and made again at the same address must not open the old mapping. */
static void test_stale_handle(void) {
    test_provider_counters_t cp = {0}, cq = {0};
    umf_memory_pool_handle_t P = make_pool(&cp, 0), Q = make_pool(&cq, 0);
    REQUIRE(P != NULL && Q != NULL);
    umf_ipc_handler_handle_t hq = handler_of(Q);
    REQUIRE(hq != NULL);

    char *a = umfPoolMalloc(P, PAGE);
    REQUIRE(a != NULL);
    memset(a, 1, PAGE);
    umf_ipc_handle_t h1 = NULL;
    size_t s = 0;
    REQUIRE_OK(umfGetIPCHandle(a, &h1, &s));
    char *o1 = NULL;
    REQUIRE_OK(umfOpenIPCHandle(hq, h1, (void **)&o1));
    CHECK_EQ(o1[0], 1);
    CHECK_OK(umfCloseIPCHandle(o1)); /* idle in the cache */
    CHECK_OK(umfPoolFree(P, a));

    /* the kernel usually hands the same address back; keep trying a few sizes' worth */
    char *b = NULL;
    char *keep[16];
    int nkeep = 0;
    for (int i = 0; i < 16; i++) {
        b = umfPoolMalloc(P, PAGE);
        REQUIRE(b != NULL);
        if (b == a) {
            break;
        }
        keep[nkeep++] = b;
        b = NULL;
    }
    for (int i = 0; i < nkeep; i++) {
        umfPoolFree(P, keep[i]);
    }
    REQUIRE(b == a);
    memset(b, 2, PAGE);
    umf_ipc_handle_t h2 = NULL;
    REQUIRE_OK(umfGetIPCHandle(b, &h2, &s));
    CHECK(header_of(h2).base == header_of(h1).base);
    CHECK(header_of(h2).handle_id != header_of(h1).handle_id);
    CHECK_EQ(load(&cp.ipc_get_count), 2);

    char *o2 = NULL;
    REQUIRE_OK(umfOpenIPCHandle(hq, h2, (void **)&o2));
    CHECK_EQ(o2[0], 2); /* the new allocation, not the stale mapping */
    CHECK_EQ(load(&cq.ipc_open_count), 2);
    CHECK_EQ(load(&cq.ipc_close_count), 1); /* the stale mapping was closed */

    /* The old handle again: it replaces the newer one in the cache; the newer stays usable while open. */
    char *o3 = NULL;
    CHECK_OK(umfOpenIPCHandle(hq, h1, (void **)&o3));
    CHECK_EQ(load(&cq.ipc_open_count), 3);
    CHECK_EQ(o2[0], 2);
    CHECK_EQ(load(&cq.ipc_close_count), 1);
    CHECK_OK(umfCloseIPCHandle(o2)); /* superseded and unused: closed now */
    CHECK_EQ(load(&cq.ipc_close_count), 2);
    CHECK_OK(umfCloseIPCHandle(o3));

    CHECK_OK(umfPutIPCHandle(h1));
    CHECK_OK(umfPutIPCHandle(h2));
    CHECK_OK(umfPoolDestroy(Q));
    CHECK_EQ(load(&cq.ipc_close_count), 3);
    CHECK_OK(umfPoolFree(P, b));
    CHECK_OK(umfPoolDestroy(P));
    CHECK_EQ(load(&cp.ipc_put_count), 2);
}

/* Splitting or merging a tracked allocation releases the cached handles of the old ranges. */
static void test_split_merge(void) {
    test_provider_counters_t c = {0};
    umf_memory_pool_handle_t P = make_pool(&c, 0);
    REQUIRE(P != NULL);
    char *a = umfPoolMalloc(P, 4 * PAGE);
    REQUIRE(a != NULL);
    /* the pool's tracking provider (what its IPC handler is) is what a pool splits and merges through */
    umf_memory_provider_handle_t tracking = (umf_memory_provider_handle_t)handler_of(P);
    REQUIRE(tracking != NULL);
    umf_ipc_handle_t h = NULL;
    size_t s = 0;
    REQUIRE_OK(umfGetIPCHandle(a, &h, &s));
    uint64_t whole_id = header_of(h).handle_id;
    CHECK_OK(umfPutIPCHandle(h));
    CHECK_RESULT(umfMemoryProviderAllocationSplit(tracking, a, 4 * PAGE, PAGE + 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(load(&c.ipc_put_count), 0); /* a failed split keeps the allocation and its handle */
    REQUIRE_OK(umfGetIPCHandle(a, &h, &s));
    CHECK_EQ(load(&c.ipc_get_count), 1);
    CHECK_OK(umfPutIPCHandle(h));

    REQUIRE_OK(umfMemoryProviderAllocationSplit(tracking, a, 4 * PAGE, PAGE));
    CHECK_EQ(load(&c.ipc_put_count), 1);
    umf_ipc_handle_t lo = NULL, hi = NULL;
    REQUIRE_OK(umfGetIPCHandle(a, &lo, &s));
    REQUIRE_OK(umfGetIPCHandle(a + 2 * PAGE, &hi, &s));
    CHECK_EQ(load(&c.ipc_get_count), 3);
    CHECK_EQ(header_of(lo).baseSize, PAGE);
    CHECK(header_of(hi).base == a + PAGE);
    CHECK_EQ(header_of(hi).baseSize, 3 * PAGE);
    CHECK_EQ(header_of(hi).offset, PAGE);
    CHECK(header_of(lo).handle_id != whole_id && header_of(hi).handle_id != whole_id);
    CHECK_OK(umfPutIPCHandle(lo));
    CHECK_OK(umfPutIPCHandle(hi));

    REQUIRE_OK(umfMemoryProviderAllocationMerge(tracking, a, a + PAGE, 4 * PAGE));
    CHECK_EQ(load(&c.ipc_put_count), 3);
    REQUIRE_OK(umfGetIPCHandle(a + 3 * PAGE, &h, &s));
    CHECK_EQ(load(&c.ipc_get_count), 4);
    CHECK_EQ(header_of(h).baseSize, 4 * PAGE);
    CHECK_OK(umfPutIPCHandle(h));
    CHECK_OK(umfPoolFree(P, a));
    CHECK_EQ(load(&c.ipc_put_count), 4);
    CHECK_OK(umfPoolDestroy(P));
}

static void test_wrong_handler(void) {
    test_provider_counters_t cp = {0};
    umf_memory_pool_handle_t P = make_pool(&cp, 0);
    REQUIRE(P != NULL);
    char *a = umfPoolMalloc(P, PAGE);
    REQUIRE(a != NULL);
    umf_ipc_handle_t h = NULL;
    size_t s = 0;
    REQUIRE_OK(umfGetIPCHandle(a, &h, &s));
    void *o = NULL;
    umf_memory_provider_handle_t upstream = NULL;
    CHECK_OK(umfPoolGetMemoryProvider(P, &upstream));
    int local = 0;
    void *zeros = calloc(1, 4096);
    void *ones = malloc(4096);
    memset(ones, 0xff, 4096);
    CHECK_RESULT(umfOpenIPCHandle((umf_ipc_handler_handle_t)P, h, &o), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfOpenIPCHandle((umf_ipc_handler_handle_t)upstream, h, &o), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfOpenIPCHandle((umf_ipc_handler_handle_t)&local, h, &o), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfOpenIPCHandle(zeros, h, &o), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfOpenIPCHandle(ones, h, &o), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfOpenIPCHandle((umf_ipc_handler_handle_t)(uintptr_t)0x10, h, &o),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(o == NULL);
    CHECK_EQ(load(&cp.ipc_open_count), 0);
    free(zeros);
    free(ones);
    CHECK_OK(umfPutIPCHandle(h));
    CHECK_OK(umfPoolFree(P, a));
    CHECK_OK(umfPoolDestroy(P));
}

static void test_malformed_handles(void) {
    test_provider_counters_t cp = {0}, cq = {0};
    umf_memory_pool_handle_t P = make_pool(&cp, 0), Q = make_pool(&cq, 0);
    REQUIRE(P != NULL && Q != NULL);
    char *a = umfPoolMalloc(P, 2 * PAGE);
    REQUIRE(a != NULL);
    umf_ipc_handle_t h = NULL;
    size_t s = 0;
    REQUIRE_OK(umfGetIPCHandle(a + 10, &h, &s));
    umf_ipc_handler_handle_t hq = handler_of(Q);
    REQUIRE(hq != NULL);
    _Alignas(8) unsigned char good[HANDLE_SIZE], bad[HANDLE_SIZE];
    memcpy(good, h, HANDLE_SIZE);
    hdr_t g = header_of(h);
    test_ipc_data_t gd = data_of(h);

    hdr_t headers[] = {
        {0, g.base, g.pid, g.baseSize, g.offset},                /* handle_id 0 */
        {g.handle_id, NULL, g.pid, g.baseSize, g.offset},        /* base NULL */
        {g.handle_id, g.base, 0, g.baseSize, g.offset},          /* pid 0 */
        {g.handle_id, g.base, -5, g.baseSize, g.offset},         /* negative pid */
        {g.handle_id, g.base, g.pid, 0, 0},                      /* size 0 */
        {g.handle_id, g.base, g.pid, g.baseSize, g.baseSize},    /* offset past the end */
        {g.handle_id, g.base, g.pid, g.baseSize, UINT64_MAX},    /* offset huge */
        {g.handle_id, (void *)(UINTPTR_MAX - 10), g.pid, 100, 0}, /* range wraps */
    };
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        memcpy(bad, good, HANDLE_SIZE);
        memcpy(bad, &headers[i], HDR);
        void *o = NULL;
        CHECK_RESULT(umfOpenIPCHandle(hq, (umf_ipc_handle_t)bad, &o), UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK(o == NULL);
    }
    test_ipc_data_t datas[7];
    for (int i = 0; i < 7; i++) {
        datas[i] = gd;
    }
    datas[0].magic ^= 1;
    datas[1].cookie += 1000;
    datas[2].fd = 0;
    datas[3].pid = getpid() + 1;
    datas[4].offset += 1;
    datas[5].size = 0;
    datas[6].size = UINT64_MAX - PAGE + 1;
    for (int i = 0; i < 7; i++) {
        memcpy(bad, good, HANDLE_SIZE);
        memcpy(bad + HDR, &datas[i], sizeof(datas[i]));
        void *o = NULL;
        CHECK_RESULT(umfOpenIPCHandle(hq, (umf_ipc_handle_t)bad, &o), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    }
    /* a truncated handle: the header and part of the data, then zeros */
    for (size_t keep = 0; keep <= HANDLE_SIZE - 8; keep += 4) { /* the size's high half is 0 */
        memset(bad, 0, HANDLE_SIZE);
        memcpy(bad, good, keep);
        void *o = NULL;
        CHECK_RESULT(umfOpenIPCHandle(hq, (umf_ipc_handle_t)bad, &o), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    }
    CHECK_EQ(load(&cq.ipc_open_count), 0);
    /* the original, unaligned in memory, still opens */
    unsigned char *unaligned = malloc(HANDLE_SIZE + 1);
    memcpy(unaligned + 1, good, HANDLE_SIZE);
    char *o = NULL;
    CHECK_OK(umfOpenIPCHandle(hq, (umf_ipc_handle_t)(unaligned + 1), (void **)&o));
    CHECK(o != NULL && memcmp(o - 10, a, 2 * PAGE) == 0);
    CHECK_OK(umfCloseIPCHandle(o));
    free(unaligned);
    CHECK_OK(umfPutIPCHandle(h));
    CHECK_OK(umfPoolFree(P, a));
    CHECK_OK(umfPoolDestroy(P));
    CHECK_OK(umfPoolDestroy(Q));
}

/* ---------------------------------------------------------------------------------------------- */

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint64_t rnd(void) {
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t interesting(uint64_t real) {
    switch (rnd() % 10) {
    case 0: return 0;
    case 1: return UINT64_MAX;
    case 2: return 1;
    case 3: return (uint64_t)INT32_MAX;
    case 4: return (uint64_t)INT32_MIN;
    case 5: return real + 1;
    case 6: return real - 1;
    case 7: return real << 1;
    case 8: return real ^ (1ull << (rnd() % 64));
    default: return rnd();
    }
}

/* At least 100,000 random and mutated handles: never a crash, only SUCCESS or INVALID_ARGUMENT. */
static void test_fuzz(void) {
    test_provider_counters_t cp = {0}, cq = {0};
    umf_memory_pool_handle_t P = make_pool(&cp, 0), Q = make_pool(&cq, 0);
    REQUIRE(P != NULL && Q != NULL);
    char *a = umfPoolMalloc(P, 4 * PAGE), *b = umfPoolMalloc(P, PAGE);
    REQUIRE(a != NULL && b != NULL);
    umf_ipc_handle_t ha = NULL, hb = NULL;
    size_t s = 0;
    REQUIRE_OK(umfGetIPCHandle(a + PAGE, &ha, &s));
    REQUIRE_OK(umfGetIPCHandle(b, &hb, &s));
    umf_ipc_handler_handle_t hq = handler_of(Q);
    REQUIRE(hq != NULL);

    /* field offsets for targeted overwrites: header then provider data */
    static const size_t fields[][2] = {{0, 8},  {8, 8},  {16, 4}, {24, 8}, {32, 8}, {40, 8},
                                       {48, 8}, {56, 4}, {60, 4}, {64, 8}, {72, 8}};
    const size_t nfields = sizeof(fields) / sizeof(fields[0]);
    _Alignas(8) unsigned char buf[HANDLE_SIZE];
    const int N = 100000;
    int accepted = 0, rejected = 0, other = 0;
    for (int it = 0; it < N; it++) {
        const unsigned char *real = (const unsigned char *)((it & 1) ? ha : hb);
        int mode = (int)(rnd() % 4);
        if (mode == 0) { /* random bytes */
            for (size_t i = 0; i < HANDLE_SIZE; i++) {
                buf[i] = (unsigned char)rnd();
            }
        } else if (mode == 1) { /* bit flips */
            memcpy(buf, real, HANDLE_SIZE);
            int flips = 1 + (int)(rnd() % 8);
            for (int f = 0; f < flips; f++) {
                size_t bit = rnd() % (HANDLE_SIZE * 8);
                buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
            }
        } else if (mode == 2) { /* one field overwritten with an interesting value */
            memcpy(buf, real, HANDLE_SIZE);
            size_t f = rnd() % nfields;
            uint64_t v = 0;
            memcpy(&v, buf + fields[f][0], fields[f][1]);
            v = interesting(v);
            memcpy(buf + fields[f][0], &v, fields[f][1]);
        } else { /* truncated: a prefix of a real handle, then zeros or garbage */
            size_t keep = rnd() % HANDLE_SIZE;
            memcpy(buf, real, keep);
            bool zeros = rnd() & 1;
            for (size_t i = keep; i < HANDLE_SIZE; i++) {
                buf[i] = zeros ? 0 : (unsigned char)rnd();
            }
        }
        void *o = NULL;
        umf_result_t rc = umfOpenIPCHandle(hq, (umf_ipc_handle_t)buf, &o);
        if (rc == UMF_RESULT_SUCCESS) {
            accepted++;
            /* only header fields that name the cache entry can change and still open */
            hdr_t hd;
            memcpy(&hd, buf, sizeof(hd));
            CHECK(o != NULL && hd.offset < hd.baseSize);
            CHECK_OK(umfCloseIPCHandle(o));
        } else if (rc == UMF_RESULT_ERROR_INVALID_ARGUMENT) {
            rejected++;
            CHECK(o == NULL);
        } else {
            other++;
            fprintf(stderr, "fuzz: unexpected result %d\n", rc);
        }
        if ((it & 1023) == 1023) {
            /* recreate the consumer: its destruction closes whatever the mutants mapped */
            CHECK_OK(umfPoolDestroy(Q));
            Q = make_pool(&cq, 0);
            REQUIRE(Q != NULL);
            hq = handler_of(Q);
            REQUIRE(hq != NULL);
        }
    }
    CHECK_EQ(accepted + rejected, N);
    CHECK_EQ(other, 0);
    CHECK(rejected > N / 2);
    CHECK(accepted > 0);
    fprintf(stderr, "fuzz: %d handles, %d opened, %d rejected\n", N, accepted, rejected);
    /* the real handles still work */
    char *o = NULL;
    CHECK_OK(umfOpenIPCHandle(hq, ha, (void **)&o));
    CHECK(o == a + PAGE || memcmp(o - PAGE, a, 4 * PAGE) == 0);
    CHECK_OK(umfCloseIPCHandle(o));
    CHECK_OK(umfPoolDestroy(Q));
    CHECK_EQ(load(&cq.ipc_open_count), load(&cq.ipc_close_count));
    CHECK_OK(umfPutIPCHandle(ha));
    CHECK_OK(umfPutIPCHandle(hb));
    CHECK_OK(umfPoolDestroy(P));
    CHECK_EQ(load(&cp.ipc_put_count), 2);
}

/* ---------------------------------------------------------------------------------------------- */

#define NTHREADS 4
#define NALLOCS 8

typedef struct shared_t {
    umf_memory_pool_handle_t P;
    umf_ipc_handler_handle_t hq;
    char *bufs[NALLOCS];
    pthread_barrier_t start;
    int iterations;
    int errors;
    umf_ipc_handle_t first[NTHREADS];
} shared_t;

static void *worker(void *arg) {
    shared_t *sh = arg;
    pthread_barrier_wait(&sh->start);
    uint64_t seed = (uint64_t)(uintptr_t)&seed;
    int errors = 0;
    for (int it = 0; it < sh->iterations; it++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        unsigned i = (unsigned)(seed >> 33) % NALLOCS;
        size_t off = (size_t)(seed >> 20) % PAGE;
        umf_ipc_handle_t h = NULL;
        size_t s = 0;
        if (umfGetIPCHandle(sh->bufs[i] + off, &h, &s) != UMF_RESULT_SUCCESS) {
            errors++;
            continue;
        }
        unsigned char *o = NULL;
        if (umfOpenIPCHandle(sh->hq, h, (void **)&o) != UMF_RESULT_SUCCESS) {
            errors++;
        } else {
            if (*o != (unsigned char)(i + 1)) {
                errors++;
            }
            if (umfCloseIPCHandle(o) != UMF_RESULT_SUCCESS) {
                errors++;
            }
        }
        if (umfPutIPCHandle(h) != UMF_RESULT_SUCCESS) {
            errors++;
        }
    }
    __atomic_fetch_add(&sh->errors, errors, __ATOMIC_RELAXED);
    return NULL;
}

static void test_threads(void) {
    test_provider_counters_t cp = {0}, cq = {0};
    shared_t sh = {0};
    sh.P = make_pool(&cp, 0);
    umf_memory_pool_handle_t Q = make_pool(&cq, 0);
    REQUIRE(sh.P != NULL && Q != NULL);
    sh.hq = handler_of(Q);
    sh.iterations = 3000;
    for (int i = 0; i < NALLOCS; i++) {
        sh.bufs[i] = umfPoolMalloc(sh.P, 2 * PAGE);
        REQUIRE(sh.bufs[i] != NULL);
        memset(sh.bufs[i], i + 1, 2 * PAGE);
    }
    pthread_barrier_init(&sh.start, NULL, NTHREADS);
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        pthread_create(&t[i], NULL, worker, &sh);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
    }
    pthread_barrier_destroy(&sh.start);
    CHECK_EQ(sh.errors, 0);
    CHECK_EQ(load(&cp.ipc_get_count), NALLOCS); /* one provider get per allocation */
    CHECK_EQ(load(&cq.ipc_open_count), NALLOCS); /* one open per allocation (no limit) */
    CHECK_EQ(load(&cq.ipc_close_count), 0);
    CHECK_OK(umfPoolDestroy(Q));
    CHECK_EQ(load(&cq.ipc_close_count), NALLOCS);
    for (int i = 0; i < NALLOCS; i++) {
        CHECK_OK(umfPoolFree(sh.P, sh.bufs[i]));
    }
    CHECK_EQ(load(&cp.ipc_put_count), NALLOCS);
    CHECK_OK(umfPoolDestroy(sh.P));
}

static void *first_get(void *arg) {
    shared_t *sh = arg;
    int me = __atomic_fetch_add(&sh->iterations, 1, __ATOMIC_RELAXED);
    pthread_barrier_wait(&sh->start);
    size_t s = 0;
    if (umfGetIPCHandle(sh->bufs[0] + me, &sh->first[me], &s) != UMF_RESULT_SUCCESS) {
        __atomic_fetch_add(&sh->errors, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* Concurrent first gets of one allocation: the provider is asked once (its get is slow here). */
static void test_concurrent_first_get(void) {
    test_provider_counters_t cp = {0};
    shared_t sh = {0};
    sh.P = make_pool(&cp, 20000);
    REQUIRE(sh.P != NULL);
    sh.bufs[0] = umfPoolMalloc(sh.P, PAGE);
    REQUIRE(sh.bufs[0] != NULL);
    pthread_barrier_init(&sh.start, NULL, NTHREADS);
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        pthread_create(&t[i], NULL, first_get, &sh);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
    }
    pthread_barrier_destroy(&sh.start);
    CHECK_EQ(sh.errors, 0);
    CHECK_EQ(load(&cp.ipc_get_count), 1);
    for (int i = 0; i < NTHREADS; i++) {
        REQUIRE(sh.first[i] != NULL);
        CHECK_EQ(header_of(sh.first[i]).handle_id, header_of(sh.first[0]).handle_id);
        CHECK_EQ(header_of(sh.first[i]).offset, i);
    }
    for (int i = 0; i < NTHREADS; i++) {
        CHECK_OK(umfPutIPCHandle(sh.first[i]));
    }
    CHECK_OK(umfPoolFree(sh.P, sh.bufs[0]));
    CHECK_EQ(load(&cp.ipc_put_count), 1);
    CHECK_OK(umfPoolDestroy(sh.P));
}

typedef struct opener_t {
    umf_ipc_handler_handle_t hq;
    umf_ipc_handle_t h;
    pthread_barrier_t *start;
    void *ptr;
    umf_result_t rc;
} opener_t;

static void *open_one(void *arg) {
    opener_t *o = arg;
    if (o->start) {
        pthread_barrier_wait(o->start);
    }
    o->rc = umfOpenIPCHandle(o->hq, o->h, &o->ptr);
    return NULL;
}

/* Opens of one handle that race share the provider's single open; an open held in the provider blocks
 * no one else. */
static void test_concurrent_open(void) {
    test_provider_counters_t cp = {0}, cq = {0};
    test_gate_t gate;
    test_gate_init(&gate);
    umf_memory_pool_handle_t P = make_pool(&cp, 0), Q = make_pool_delayed(&cq, 0, &gate);
    REQUIRE(P != NULL && Q != NULL);
    umf_ipc_handler_handle_t hq = handler_of(Q);
    char *a = umfPoolMalloc(P, PAGE), *b = umfPoolMalloc(P, PAGE);
    REQUIRE(a != NULL && b != NULL);
    a[0] = 'a';
    b[0] = 'b';
    umf_ipc_handle_t ha = NULL, hb = NULL;
    size_t s = 0;
    REQUIRE_OK(umfGetIPCHandle(a, &ha, &s));
    REQUIRE_OK(umfGetIPCHandle(b, &hb, &s));
    char *ob = NULL;
    REQUIRE_OK(umfOpenIPCHandle(hq, hb, (void **)&ob)); /* cached before the race */

    test_gate_set(&gate, true); /* the provider's next open of ha stops at the gate */
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NTHREADS + 1);
    opener_t op[NTHREADS];
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        op[i] = (opener_t){hq, ha, &start, NULL, UMF_RESULT_ERROR_UNKNOWN};
        pthread_create(&t[i], NULL, open_one, &op[i]);
    }
    pthread_barrier_wait(&start);
    test_gate_await(&gate, 1); /* ha's open is under way, held in the provider */
    char *ob2 = NULL;
    CHECK_OK(umfOpenIPCHandle(hq, hb, (void **)&ob2)); /* a hit: returns while ha's open is still held */
    CHECK_OK(umfCloseIPCHandle(ob2));
    CHECK_EQ(test_gate_waiting(&gate), 1);
    CHECK(ob2 == ob);
    test_gate_set(&gate, false);
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
    }
    pthread_barrier_destroy(&start);
    CHECK_EQ(load(&cq.ipc_open_count), 2); /* hb, then ha once for all the racing threads */
    for (int i = 0; i < NTHREADS; i++) {
        CHECK_OK(op[i].rc);
        CHECK(op[i].ptr == op[0].ptr && op[i].ptr != NULL);
    }
    if (op[0].ptr != NULL) {
        CHECK_EQ(*(char *)op[0].ptr, 'a');
    }
    for (int i = 0; i < NTHREADS; i++) {
        CHECK_OK(umfCloseIPCHandle(op[i].ptr));
    }
    CHECK_RESULT(umfCloseIPCHandle(op[0].ptr), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    /* a slow open that fails fails for everyone waiting on it, and leaves nothing cached */
    _Alignas(8) unsigned char bad[HANDLE_SIZE];
    memcpy(bad, ha, HANDLE_SIZE);
    bad[0] ^= 0x40;              /* another handle_id: a different handle of the same key */
    bad[HDR] ^= 1;               /* with provider data the provider rejects */
    for (int i = 0; i < NTHREADS; i++) {
        op[i] = (opener_t){hq, (umf_ipc_handle_t)bad, NULL, NULL, UMF_RESULT_SUCCESS};
        pthread_create(&t[i], NULL, open_one, &op[i]);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK_RESULT(op[i].rc, UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK(op[i].ptr == NULL);
    }
    CHECK_EQ(load(&cq.ipc_open_count), 2);
    CHECK_EQ(load(&cq.ipc_close_count), 1); /* it superseded ha's idle mapping, which was closed */

    /* a pool destroyed while an open runs through its handler waits for it */
    umf_ipc_handle_t hc = NULL;
    char *c = umfPoolMalloc(P, PAGE);
    REQUIRE(c != NULL);
    REQUIRE_OK(umfGetIPCHandle(c, &hc, &s));
    for (int i = 0; i < 2; i++) { /* the opener, and one waiting for its open */
        op[i] = (opener_t){hq, hc, NULL, NULL, UMF_RESULT_ERROR_UNKNOWN};
        pthread_create(&t[i], NULL, open_one, &op[i]);
    }
    usleep(50000);
    CHECK_OK(umfCloseIPCHandle(ob));
    CHECK_OK(umfPoolDestroy(Q)); /* waits for hc's open, then closes it and hb's (ha's went stale above) */
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        CHECK_OK(op[i].rc);
    }
    CHECK(op[0].ptr == op[1].ptr);
    CHECK_EQ(load(&cq.ipc_open_count), 3);
    CHECK_EQ(load(&cq.ipc_close_count), 3);
    CHECK_OK(umfPutIPCHandle(ha));
    CHECK_OK(umfPutIPCHandle(hb));
    CHECK_OK(umfPutIPCHandle(hc));
    CHECK_OK(umfPoolDestroy(P));
}

typedef struct busy_t {
    shared_t *sh;
    int stop; /* atomic */
} busy_t;

static void *busy_worker(void *arg) {
    busy_t *b = arg;
    size_t s = 0;
    while (!__atomic_load_n(&b->stop, __ATOMIC_RELAXED)) {
        for (int i = 0; i < NALLOCS; i++) {
            umf_ipc_handle_t h = NULL;
            void *o = NULL;
            if (umfGetIPCHandle(b->sh->bufs[i], &h, &s) == UMF_RESULT_SUCCESS) {
                if (umfOpenIPCHandle(b->sh->hq, h, &o) == UMF_RESULT_SUCCESS) {
                    umfCloseIPCHandle(o);
                }
                umfPutIPCHandle(h);
            }
        }
    }
    return NULL;
}

/* fork() while other threads are inside the IPC functions: the child can still use them. */
static void test_fork_while_busy(void) {
    test_provider_counters_t cp = {0}, cq = {0};
    shared_t sh = {0};
    sh.P = make_pool(&cp, 0);
    umf_memory_pool_handle_t Q = make_pool(&cq, 0);
    REQUIRE(sh.P != NULL && Q != NULL);
    sh.hq = handler_of(Q);
    for (int i = 0; i < NALLOCS; i++) {
        sh.bufs[i] = umfPoolMalloc(sh.P, PAGE);
        REQUIRE(sh.bufs[i] != NULL);
        sh.bufs[i][0] = (char)(i + 1);
    }
    /* handles made here, opened once so that the children find their mappings cached */
    umf_ipc_handle_t made[NALLOCS];
    for (int i = 0; i < NALLOCS; i++) {
        size_t s = 0;
        void *o = NULL;
        REQUIRE_OK(umfGetIPCHandle(sh.bufs[i], &made[i], &s));
        REQUIRE_OK(umfOpenIPCHandle(sh.hq, made[i], &o));
        REQUIRE_OK(umfCloseIPCHandle(o));
    }
    busy_t b = {&sh, 0};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        pthread_create(&t[i], NULL, busy_worker, &b);
    }
    int bad = 0;
    for (int k = 0; k < 40; k++) {
        fflush(stderr);
        pid_t pid = fork();
        if (pid == 0) {
            alarm(5); /* a lock left held across fork would hang here */
            int rc = 0;
            for (int i = 0; i < NALLOCS && rc == 0; i++) {
                umf_ipc_handle_t h = NULL;
                size_t s = 0;
                char *o = NULL;
                if (umfGetIPCHandle(sh.bufs[i], &h, &s) != UMF_RESULT_SUCCESS) {
                    rc = 1;
                } else if (header_of(h).pid != (int)getpid()) {
                    rc = 2;
                } else if (umfOpenIPCHandle(sh.hq, made[i], (void **)&o) != UMF_RESULT_SUCCESS ||
                           o[0] != (char)(i + 1)) {
                    rc = 3;
                } else if (umfCloseIPCHandle(o) != UMF_RESULT_SUCCESS || umfPutIPCHandle(h) != UMF_RESULT_SUCCESS) {
                    rc = 4;
                }
            }
            _exit(rc);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            bad++;
        }
    }
    __atomic_store_n(&b.stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
    }
    CHECK_EQ(bad, 0);
    for (int i = 0; i < NALLOCS; i++) {
        CHECK_OK(umfPutIPCHandle(made[i]));
    }
    CHECK_OK(umfPoolDestroy(Q));
    for (int i = 0; i < NALLOCS; i++) {
        CHECK_OK(umfPoolFree(sh.P, sh.bufs[i]));
    }
    CHECK_OK(umfPoolDestroy(sh.P));
}

/* ---------------------------------------------------------------------------------------------- */
/* UMF_MAX_OPENED_IPC_HANDLES: scenarios run in a child started with the variable set. */

static void limit_two(void) {
    test_provider_counters_t cp = {0}, cq = {0};
    umf_memory_pool_handle_t P = make_pool(&cp, 0), Q = make_pool(&cq, 0);
    REQUIRE(P != NULL && Q != NULL);
    umf_ipc_handler_handle_t hq = handler_of(Q);
    char *bufs[4];
    umf_ipc_handle_t h[4];
    size_t s = 0;
    for (int i = 0; i < 4; i++) {
        bufs[i] = umfPoolMalloc(P, PAGE);
        REQUIRE(bufs[i] != NULL);
        bufs[i][0] = (char)(i + 1);
        REQUIRE_OK(umfGetIPCHandle(bufs[i], &h[i], &s));
    }
    char *o[4] = {0};
    CHECK_OK(umfOpenIPCHandle(hq, h[0], (void **)&o[0]));
    CHECK_OK(umfCloseIPCHandle(o[0]));
    CHECK_OK(umfOpenIPCHandle(hq, h[1], (void **)&o[1]));
    CHECK_OK(umfCloseIPCHandle(o[1]));
    CHECK_EQ(load(&cq.ipc_close_count), 0); /* two idle mappings: within the limit */
    CHECK_OK(umfOpenIPCHandle(hq, h[2], (void **)&o[2]));
    CHECK_EQ(load(&cq.ipc_close_count), 1); /* h[0], the least recently used, was evicted */
    CHECK_OK(umfCloseIPCHandle(o[2]));
    CHECK_OK(umfOpenIPCHandle(hq, h[1], (void **)&o[1])); /* still cached: a hit */
    CHECK_EQ(load(&cq.ipc_open_count), 3);
    CHECK_OK(umfCloseIPCHandle(o[1]));
    CHECK_OK(umfOpenIPCHandle(hq, h[0], (void **)&o[0])); /* evicted: opened again, evicting h[2] */
    CHECK_EQ(o[0][0], 1);
    CHECK_EQ(load(&cq.ipc_open_count), 4);
    CHECK_EQ(load(&cq.ipc_close_count), 2);
    /* in-use mappings are never evicted: the limit is exceeded instead */
    CHECK_OK(umfOpenIPCHandle(hq, h[1], (void **)&o[1]));
    CHECK_OK(umfOpenIPCHandle(hq, h[3], (void **)&o[3]));
    CHECK_EQ(load(&cq.ipc_open_count), 5);
    CHECK_EQ(load(&cq.ipc_close_count), 2);
    CHECK_EQ(o[0][0], 1);
    CHECK_EQ(o[1][0], 2);
    CHECK_EQ(o[3][0], 4);
    /* back under the limit as soon as one is released */
    CHECK_OK(umfCloseIPCHandle(o[3]));
    CHECK_EQ(load(&cq.ipc_close_count), 3);
    CHECK_OK(umfCloseIPCHandle(o[0]));
    CHECK_OK(umfCloseIPCHandle(o[1]));
    CHECK_EQ(load(&cq.ipc_close_count), 3);
    CHECK_OK(umfPoolDestroy(Q));
    CHECK_EQ(load(&cq.ipc_close_count), load(&cq.ipc_open_count));
    for (int i = 0; i < 4; i++) {
        CHECK_OK(umfPutIPCHandle(h[i]));
        CHECK_OK(umfPoolFree(P, bufs[i]));
    }
    CHECK_OK(umfPoolDestroy(P));
}

/* One LRU over all handlers: with a limit of 2, a third mapping evicts the oldest whoever opened it. */
static void limit_global(void) {
    test_provider_counters_t cp = {0}, c1 = {0}, c2 = {0};
    umf_memory_pool_handle_t P = make_pool(&cp, 0), Q1 = make_pool(&c1, 0), Q2 = make_pool(&c2, 0);
    REQUIRE(P != NULL && Q1 != NULL && Q2 != NULL);
    umf_ipc_handler_handle_t h1 = handler_of(Q1), h2 = handler_of(Q2);
    char *bufs[4];
    umf_ipc_handle_t h[4];
    size_t s = 0;
    for (int i = 0; i < 4; i++) {
        bufs[i] = umfPoolMalloc(P, PAGE);
        REQUIRE(bufs[i] != NULL);
        REQUIRE_OK(umfGetIPCHandle(bufs[i], &h[i], &s));
    }
    void *o = NULL;
    CHECK_OK(umfOpenIPCHandle(h1, h[0], &o));
    CHECK_OK(umfCloseIPCHandle(o));
    CHECK_OK(umfOpenIPCHandle(h2, h[1], &o));
    CHECK_OK(umfCloseIPCHandle(o));
    CHECK_OK(umfOpenIPCHandle(h2, h[2], &o)); /* evicts h[0], which Q1 opened */
    CHECK_OK(umfCloseIPCHandle(o));
    CHECK_EQ(load(&c1.ipc_close_count), 1);
    CHECK_EQ(load(&c2.ipc_close_count), 0);
    CHECK_OK(umfOpenIPCHandle(h1, h[3], &o)); /* evicts h[1], Q2's */
    CHECK_OK(umfCloseIPCHandle(o));
    CHECK_EQ(load(&c1.ipc_close_count), 1);
    CHECK_EQ(load(&c2.ipc_close_count), 1);
    CHECK_OK(umfPoolDestroy(Q1));
    CHECK_OK(umfPoolDestroy(Q2));
    CHECK_EQ(load(&c1.ipc_close_count), load(&c1.ipc_open_count));
    CHECK_EQ(load(&c2.ipc_close_count), load(&c2.ipc_open_count));
    for (int i = 0; i < 4; i++) {
        CHECK_OK(umfPutIPCHandle(h[i]));
        CHECK_OK(umfPoolFree(P, bufs[i]));
    }
    CHECK_OK(umfPoolDestroy(P));
}

static void limit_none(void) {
    test_provider_counters_t cp = {0}, cq = {0};
    umf_memory_pool_handle_t P = make_pool(&cp, 0), Q = make_pool(&cq, 0);
    REQUIRE(P != NULL && Q != NULL);
    umf_ipc_handler_handle_t hq = handler_of(Q);
    for (int i = 0; i < 6; i++) {
        char *b = umfPoolMalloc(P, PAGE);
        umf_ipc_handle_t h = NULL;
        size_t s = 0;
        REQUIRE(b != NULL);
        REQUIRE_OK(umfGetIPCHandle(b, &h, &s));
        void *o = NULL;
        CHECK_OK(umfOpenIPCHandle(hq, h, &o));
        CHECK_OK(umfCloseIPCHandle(o));
        CHECK_OK(umfPutIPCHandle(h));
    }
    CHECK_EQ(load(&cq.ipc_open_count), 6);
    CHECK_EQ(load(&cq.ipc_close_count), 0); /* nothing evicted */
    CHECK_OK(umfPoolDestroy(Q));
    CHECK_EQ(load(&cq.ipc_close_count), 6);
    CHECK_OK(umfPoolDestroy(P));
}

/* Runs this program again as a child with the variable set; returns its exit status, stderr in err. */
static int run_child(const char *scenario, const char *limit, const char *log, char *err, size_t errlen) {
    int fds[2];
    if (pipe(fds) != 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        if (limit) {
            setenv("UMF_MAX_OPENED_IPC_HANDLES", limit, 1);
        } else {
            unsetenv("UMF_MAX_OPENED_IPC_HANDLES");
        }
        if (log) {
            setenv("UMF_LOG", log, 1);
        } else {
            unsetenv("UMF_LOG");
        }
        execl("/proc/self/exe", "ipc", "--child", scenario, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t got = 0;
    for (;;) {
        char tmp[512];
        ssize_t n = read(fds[0], tmp, sizeof(tmp));
        if (n <= 0) {
            break;
        }
        size_t room = errlen - 1 - got;
        size_t take = (size_t)n < room ? (size_t)n : room;
        memcpy(err + got, tmp, take);
        got += take;
    }
    err[got] = '\0';
    close(fds[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_limit_env(void) {
    static char err[65536];
    CHECK_EQ(run_child("limit_two", "2", NULL, err, sizeof(err)), 0);
    if (strstr(err, "not ok") != NULL) {
        fprintf(stderr, "%s", err);
    }
    CHECK(strstr(err, "ok limit_two") != NULL);
    CHECK_EQ(run_child("limit_global", "2", NULL, err, sizeof(err)), 0);
    CHECK(strstr(err, "ok limit_global") != NULL);
    CHECK_EQ(run_child("limit_none", "0", NULL, err, sizeof(err)), 0);
    CHECK(strstr(err, "ok limit_none") != NULL);
    CHECK_EQ(run_child("limit_none", NULL, NULL, err, sizeof(err)), 0);
    CHECK(strstr(err, "ok limit_none") != NULL);
    /* an invalid value means no limit; it is reported only when UMF_LOG asks */
    const char *invalid[] = {"2abc", "-1", " 2", "", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        CHECK_EQ(run_child("limit_none", invalid[i], NULL, err, sizeof(err)), 0);
        CHECK(strstr(err, "ok limit_none") != NULL);
        CHECK(strstr(err, "UMF_MAX_OPENED_IPC_HANDLES") == NULL);
        CHECK_EQ(run_child("limit_none", invalid[i], "level:error;output:stderr", err, sizeof(err)), 0);
        CHECK(strstr(err, "UMF_MAX_OPENED_IPC_HANDLES") != NULL);
    }
}

int main(int argc, char **argv) {
    PAGE = (size_t)sysconf(_SC_PAGESIZE);
    if (argc == 3 && strcmp(argv[1], "--child") == 0) {
        if (strcmp(argv[2], "limit_two") == 0) {
            RUN_TEST(limit_two);
        } else if (strcmp(argv[2], "limit_global") == 0) {
            RUN_TEST(limit_global);
        } else if (strcmp(argv[2], "limit_none") == 0) {
            RUN_TEST(limit_none);
        } else {
            return 2;
        }
        return TEST_SUMMARY();
    }
    RUN_TEST(test_bad_arguments);
    RUN_TEST(test_provider_without_ipc);
    RUN_TEST(test_untracked_pool);
    RUN_TEST(test_round_trip);
    RUN_TEST(test_get_cache);
    RUN_TEST(test_open_cache);
    RUN_TEST(test_stale_handle);
    RUN_TEST(test_split_merge);
    RUN_TEST(test_wrong_handler);
    RUN_TEST(test_malformed_handles);
    RUN_TEST(test_threads);
    RUN_TEST(test_concurrent_first_get);
    RUN_TEST(test_concurrent_open);
    RUN_TEST(test_fork_while_busy);
    RUN_TEST(test_limit_env);
    RUN_TEST(test_fuzz);
    return TEST_SUMMARY();
}
