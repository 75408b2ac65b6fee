/*
 * The Level Zero memory provider through the public API, on the real Level Zero loader
 * (libze1) with the fixture driver (test/fixtures/ze_fixture_driver.c) selected by
 * ZE_ENABLE_ALT_DRIVERS, which this program sets before it loads the loader.
 *
 * With UMF_TEST_ZE_DRIVER=real it runs on whatever driver the loader finds by itself (a GPU's, as
 * scripts/gpu-check.sh does; ZE_ENABLE_ALT_DRIVERS is left as the environment has it): the checks
 * that need the fixture (injected errors, the residency and free calls it records, its page size)
 * are left out, and the host touches only host and shared memory. Without a driver with a device it
 * says so and exits 2.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/experimental/ctl.h>
#include <umf/experimental/memory_properties.h>
#include <umf/ipc.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_level_zero.h>
#include <umf/providers/provider_os_memory.h>

#include "test_common.h"

#define REQUIRE_OK(call) REQUIRE((call) == UMF_RESULT_SUCCESS)

typedef struct _ze_driver_handle_t *ze_driver_handle_t;
typedef uint32_t (*ze_init_fn)(uint32_t);
typedef uint32_t (*ze_driver_get_fn)(uint32_t *, ze_driver_handle_t *);
typedef uint32_t (*ze_device_get_fn)(ze_driver_handle_t, uint32_t *, ze_device_handle_t *);
typedef uint32_t (*ze_context_create_fn)(ze_driver_handle_t, const void *, ze_context_handle_t *);

static void *fixture; /* the fixture driver, for its zeFixture* queries (NULL on a real driver) */
static int real_driver; /* UMF_TEST_ZE_DRIVER=real */
static ze_context_handle_t ctx;
static ze_device_handle_t dev[2];
static uint32_t n_dev; /* devices found (at most 2 kept) */

/* A check of something only the fixture driver records or does; skipped on a real driver. */
#define CHECK_FX(cond)                                                                             \
    do {                                                                                           \
        if (!real_driver) CHECK(cond);                                                             \
    } while (0)
#define CHECK_EQ_FX(a, b)                                                                          \
    do {                                                                                           \
        if (!real_driver) CHECK_EQ(a, b);                                                          \
    } while (0)

static void *sym(void *lib, const char *name) {
    void *f = dlsym(lib, name);
    if (f == NULL) {
        fprintf(stderr, "missing %s\n", name);
        exit(2);
    }
    return f;
}

#define FX(name, type) ((type)sym(fixture, name))
static long live(void) { return FX("zeFixtureLiveAllocations", long (*)(void))(); }
static int resident_mask(const void *p) { return FX("zeFixtureResidentMask", int (*)(const void *))(p); }
static int last_free_policy(void) { return FX("zeFixtureLastFreePolicy", int (*)(void))(); }
static int last_relaxed(void) { return FX("zeFixtureLastRelaxed", int (*)(void))(); }
static int last_export(void) { return FX("zeFixtureLastExport", int (*)(void))(); }
static unsigned last_ordinal(void) { return FX("zeFixtureLastOrdinal", unsigned (*)(void))(); }

/* A real driver that is not there: say so and exit 2 (nothing was tested). */
static void no_real_driver(const char *why, uint32_t rc) {
    fprintf(stderr, "provider_level_zero: no Level Zero driver with a device (%s returned 0x%x): nothing to test "
                    "in real-driver mode\n", why, (unsigned)rc);
    exit(2);
}

/* zeInit through the loader, then the first driver's devices (two on the fixture) and a context. */
static void load_loader(void) {
    if (!real_driver) {
        setenv("ZE_ENABLE_ALT_DRIVERS", UMF_TEST_ZE_FIXTURE, 1);
    }
    void *ze = dlopen("libze_loader.so.1", RTLD_NOW | RTLD_GLOBAL);
    if (ze == NULL && real_driver) {
        fprintf(stderr, "provider_level_zero: cannot load libze_loader.so.1: %s\n", dlerror());
        exit(2);
    }
    REQUIRE(ze != NULL);
    uint32_t rc = ((ze_init_fn)sym(ze, "zeInit"))(0);
    if (rc != 0 && real_driver) no_real_driver("zeInit", rc);
    REQUIRE(rc == 0);
    uint32_t n = 1;
    ze_driver_handle_t drv = NULL;
    rc = ((ze_driver_get_fn)sym(ze, "zeDriverGet"))(&n, &drv);
    if ((rc != 0 || n == 0) && real_driver) no_real_driver("zeDriverGet", rc);
    REQUIRE(rc == 0 && n == 1);
    n = 2;
    rc = ((ze_device_get_fn)sym(ze, "zeDeviceGet"))(drv, &n, dev);
    if ((rc != 0 || n == 0) && real_driver) no_real_driver("zeDeviceGet", rc);
    REQUIRE(rc == 0 && (real_driver ? n >= 1 : n == 2));
    n_dev = n;
    struct {
        uint32_t stype;
        const void *next;
        uint32_t flags;
    } desc = {0xd, NULL, 0}; /* ZE_STRUCTURE_TYPE_CONTEXT_DESC */
    REQUIRE(((ze_context_create_fn)sym(ze, "zeContextCreate"))(drv, &desc, &ctx) == 0);
    if (!real_driver) {
        fixture = dlopen(UMF_TEST_ZE_FIXTURE, RTLD_NOW | RTLD_NOLOAD);
        REQUIRE(fixture != NULL);
    }
}

static umf_level_zero_memory_provider_params_handle_t params_of(umf_usm_memory_type_t type) {
    umf_level_zero_memory_provider_params_handle_t p = NULL;
    if (umfLevelZeroMemoryProviderParamsCreate(&p) != UMF_RESULT_SUCCESS) return NULL;
    umfLevelZeroMemoryProviderParamsSetContext(p, ctx);
    umfLevelZeroMemoryProviderParamsSetMemoryType(p, type);
    if (type != UMF_MEMORY_TYPE_HOST) umfLevelZeroMemoryProviderParamsSetDevice(p, dev[0]);
    return p;
}

static umf_result_t make_provider(umf_level_zero_memory_provider_params_handle_t p, umf_memory_provider_handle_t *h) {
    umf_result_t rc = umfMemoryProviderCreate(umfLevelZeroMemoryProviderOps(), p, h);
    umfLevelZeroMemoryProviderParamsDestroy(p);
    return rc;
}

static umf_memory_pool_handle_t make_pool(umf_usm_memory_type_t type) {
    umf_memory_provider_handle_t prov = NULL;
    umf_memory_pool_handle_t pool = NULL;
    if (make_provider(params_of(type), &prov) != UMF_RESULT_SUCCESS ||
        umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool) != UMF_RESULT_SUCCESS) {
        umfMemoryProviderDestroy(prov);
        return NULL;
    }
    return pool;
}

static unsigned char pattern(size_t i) { return (unsigned char)(i * 5 + 1); }

/* ------------------------------------------------------------------------- tests */

/* Ours loads the loader itself; without zeInit (no driver) allocations fail with an error code. */
static void test_loader_not_initialized(void) {
    umf_level_zero_memory_provider_params_handle_t p = NULL;
    REQUIRE_OK(umfLevelZeroMemoryProviderParamsCreate(&p));
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetContext(p, (ze_context_handle_t)0x10));
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetMemoryType(p, UMF_MEMORY_TYPE_HOST));
    umf_memory_provider_handle_t h = NULL;
    /* the page-size probe allocates: the uninitialized loader refuses */
    CHECK_EQ(umfMemoryProviderCreate(umfLevelZeroMemoryProviderOps(), p, &h), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    CHECK(h == NULL);
    umfLevelZeroMemoryProviderParamsDestroy(p);
}

/* A loader name that does not load (UMF_ZE_LOADER_LIB_NAME) is DEPENDENCY_UNAVAILABLE. */
static void test_missing_loader(void) {
    setenv("UMF_ZE_LOADER_LIB_NAME", "libze_loader_missing.so.1", 1);
    umf_level_zero_memory_provider_params_handle_t p = params_of(UMF_MEMORY_TYPE_HOST);
    REQUIRE(p != NULL);
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetContext(p, (ze_context_handle_t)0x10));
    umf_memory_provider_handle_t h = NULL;
    CHECK_EQ(make_provider(p, &h), UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE);
    unsetenv("UMF_ZE_LOADER_LIB_NAME");
}

static void test_params(void) {
    const umf_memory_provider_ops_t *ops = umfLevelZeroMemoryProviderOps();
    REQUIRE(ops != NULL);
    const char *name = NULL;
    CHECK_OK(ops->get_name(NULL, &name));
    CHECK(name && strcmp(name, "LEVEL_ZERO") == 0);
    CHECK(ops->ext_purge_lazy == NULL && ops->ext_allocation_split == NULL && ops->ext_allocation_merge == NULL);
    CHECK_EQ(umfLevelZeroMemoryProviderParamsCreate(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfLevelZeroMemoryProviderParamsSetContext(NULL, ctx), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfLevelZeroMemoryProviderParamsSetDevice(NULL, dev[0]), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfLevelZeroMemoryProviderParamsSetMemoryType(NULL, UMF_MEMORY_TYPE_HOST), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfLevelZeroMemoryProviderParamsSetResidentDevices(NULL, dev, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfLevelZeroMemoryProviderParamsSetFreePolicy(NULL, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(NULL, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfLevelZeroMemoryProviderParamsSetName(NULL, "x"), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfLevelZeroMemoryProviderParamsDestroy(NULL));

    umf_level_zero_memory_provider_params_handle_t p = NULL;
    REQUIRE_OK(umfLevelZeroMemoryProviderParamsCreate(&p));
    CHECK_EQ(umfLevelZeroMemoryProviderParamsSetContext(p, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ze_device_handle_t twice[2] = {dev[0], dev[0]};
    CHECK_EQ(umfLevelZeroMemoryProviderParamsSetResidentDevices(p, twice, 2), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfLevelZeroMemoryProviderParamsSetResidentDevices(p, NULL, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetResidentDevices(p, NULL, 0));
    CHECK_EQ(umfLevelZeroMemoryProviderParamsSetFreePolicy(p, (umf_level_zero_memory_provider_free_policy_t)3),
             UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_memory_provider_handle_t h = NULL;
    /* no context, no type */
    CHECK_EQ(umfMemoryProviderCreate(ops, p, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetContext(p, ctx));
    CHECK_EQ(umfMemoryProviderCreate(ops, p, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* device memory needs a device; host memory takes none */
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetMemoryType(p, UMF_MEMORY_TYPE_DEVICE));
    CHECK_EQ(umfMemoryProviderCreate(ops, p, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetMemoryType(p, UMF_MEMORY_TYPE_HOST));
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetDevice(p, dev[0]));
    CHECK_EQ(umfMemoryProviderCreate(ops, p, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetMemoryType(p, (umf_usm_memory_type_t)9));
    CHECK_EQ(umfMemoryProviderCreate(ops, p, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetMemoryType(p, UMF_MEMORY_TYPE_SHARED));
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetName(p, "my_l0"));
    REQUIRE_OK(umfMemoryProviderCreate(ops, p, &h));
    const char *got = NULL;
    CHECK_OK(umfMemoryProviderGetName(h, &got));
    CHECK(got && strcmp(got, "my_l0") == 0);
    CHECK_OK(umfMemoryProviderDestroy(h));
    CHECK_EQ(umfMemoryProviderCreate(ops, NULL, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfLevelZeroMemoryProviderParamsDestroy(p);
    CHECK_EQ_FX(live(), 0);
}

static void alloc_one_type(umf_usm_memory_type_t type) {
    umf_level_zero_memory_provider_params_handle_t p = params_of(type);
    REQUIRE(p != NULL);
    /* the fixture records the ordinal; a real device has only the ordinals it has */
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(p, real_driver ? 0 : 3));
    umf_memory_provider_handle_t h = NULL;
    REQUIRE_OK(make_provider(p, &h));
    size_t min = 0, rec = 0;
    CHECK_OK(umfMemoryProviderGetMinPageSize(h, NULL, &min));
    CHECK_OK(umfMemoryProviderGetRecommendedPageSize(h, 1, &rec));
    CHECK_EQ_FX(min, (size_t)64 << 10); /* the fixture's pageSize, probed by a 1-byte allocation */
    CHECK(min > 0 && (min & (min - 1)) == 0);
    CHECK_EQ(rec, min);
    unsigned char *ptr = NULL;
    size_t len = 3 * 4096 + 11;
    REQUIRE_OK(umfMemoryProviderAlloc(h, len, 0, (void **)&ptr));
    if (type != UMF_MEMORY_TYPE_HOST) {
        CHECK_EQ_FX(last_ordinal(), 3);
    }
    /* the fixture's device memory is host memory; a GPU's need not be */
    if (type != UMF_MEMORY_TYPE_DEVICE || !real_driver) {
        for (size_t i = 0; i < len; i++) ptr[i] = pattern(i);
        CHECK_EQ(ptr[len - 1], pattern(len - 1));
    }
    CHECK_EQ_FX(live(), 1);
    CHECK_EQ_FX(resident_mask(ptr), 0); /* no resident devices */
    size_t allocated = 0, peak = 0;
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.stats.allocated_memory", &allocated, sizeof(allocated), h));
    CHECK_EQ(allocated, len);
    void *aligned = NULL;
    REQUIRE_OK(umfMemoryProviderAlloc(h, 100, 1 << 20, &aligned));
    CHECK(((uintptr_t)aligned & ((1 << 20) - 1)) == 0);
    CHECK_OK(umfMemoryProviderFree(h, aligned, 100));
    CHECK_EQ(umfMemoryProviderAlloc(h, 100, 3, &aligned), UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    CHECK_OK(umfMemoryProviderFree(h, ptr, len));
    CHECK_EQ_FX(last_free_policy(), -1); /* zeMemFree */
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.stats.allocated_memory", &allocated, sizeof(allocated), h));
    CHECK_EQ(allocated, 0);
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.stats.peak_memory", &peak, sizeof(peak), h));
    CHECK_EQ(peak, len + 100); /* with the aligned allocation */
    CHECK_OK(umfMemoryProviderFree(h, NULL, 0));
    CHECK_OK(umfMemoryProviderDestroy(h));
    CHECK_EQ_FX(live(), 0);
}

static void test_host_memory(void) { alloc_one_type(UMF_MEMORY_TYPE_HOST); }
static void test_device_memory(void) { alloc_one_type(UMF_MEMORY_TYPE_DEVICE); }
static void test_shared_memory(void) { alloc_one_type(UMF_MEMORY_TYPE_SHARED); }

/* Above the device's maxMemAllocSize only with the relaxed-limits descriptor, which ours adds. */
static void test_relaxed_limits_fixture(void) {
    setenv("ZE_FIXTURE_MAX_ALLOC", "65536", 1);
    umf_memory_provider_handle_t h = NULL;
    REQUIRE_OK(make_provider(params_of(UMF_MEMORY_TYPE_DEVICE), &h));
    void *ptr = NULL;
    REQUIRE_OK(umfMemoryProviderAlloc(h, 65536, 0, &ptr));
    CHECK_EQ(last_relaxed(), 0);
    CHECK_OK(umfMemoryProviderFree(h, ptr, 65536));
    REQUIRE_OK(umfMemoryProviderAlloc(h, 65537, 0, &ptr));
    CHECK_EQ(last_relaxed(), 1);
    CHECK_OK(umfMemoryProviderFree(h, ptr, 65537));
    CHECK_OK(umfMemoryProviderDestroy(h));
    unsetenv("ZE_FIXTURE_MAX_ALLOC");
}

static void free_policy(umf_level_zero_memory_provider_free_policy_t policy, int expect) {
    umf_level_zero_memory_provider_params_handle_t p = params_of(UMF_MEMORY_TYPE_DEVICE);
    REQUIRE(p != NULL);
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetFreePolicy(p, policy));
    umf_memory_provider_handle_t h = NULL;
    REQUIRE_OK(make_provider(p, &h));
    void *ptr = NULL;
    REQUIRE_OK(umfMemoryProviderAlloc(h, 100, 0, &ptr));
    CHECK_OK(umfMemoryProviderFree(h, ptr, 100));
    CHECK_EQ_FX(last_free_policy(), expect);
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_free_policies(void) {
    free_policy(UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFAULT, -1);
    free_policy(UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_BLOCKING_FREE, 1);
    free_policy(UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFER_FREE, 2);
}

/* Every allocation is resident on the resident devices; a failed residency frees it. */
static void test_residency(void) {
    ze_device_handle_t both[2] = {dev[0], dev[1]};
    umf_level_zero_memory_provider_params_handle_t p = params_of(UMF_MEMORY_TYPE_SHARED);
    REQUIRE(p != NULL);
    CHECK_OK(umfLevelZeroMemoryProviderParamsSetResidentDevices(p, both, n_dev < 2 ? 1 : 2));
    umf_memory_provider_handle_t h = NULL;
    REQUIRE_OK(make_provider(p, &h));
    void *ptr = NULL;
    REQUIRE_OK(umfMemoryProviderAlloc(h, 100, 0, &ptr));
    CHECK_EQ_FX(resident_mask(ptr), 3);
    CHECK_OK(umfMemoryProviderFree(h, ptr, 100));
    if (real_driver) { /* the rest injects a failure */
        CHECK_OK(umfMemoryProviderDestroy(h));
        return;
    }
    setenv("ZE_FIXTURE_FAIL", "zeContextMakeMemoryResident=0x70000003", 1);
    ptr = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, 100, 0, &ptr), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    CHECK(ptr == NULL);
    unsetenv("ZE_FIXTURE_FAIL");
    CHECK_EQ(live(), 0);
    const char *msg = NULL;
    int32_t code = 0;
    umfMemoryProviderGetLastNativeError(h, &msg, &code);
    CHECK_EQ((uint32_t)code, 0x70000003u);
    CHECK(msg && strcmp(msg, "ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY") == 0);
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* ResidentDeviceChange walks the provider's live pool allocations, and only this provider's. */
static void test_resident_device_change_fixture(void) {
    umf_memory_pool_handle_t pool = make_pool(UMF_MEMORY_TYPE_DEVICE);
    umf_memory_pool_handle_t other = make_pool(UMF_MEMORY_TYPE_DEVICE);
    REQUIRE(pool != NULL && other != NULL);
    umf_memory_provider_handle_t h = NULL;
    REQUIRE_OK(umfPoolGetMemoryProvider(pool, &h));
    void *a = umfPoolMalloc(pool, 1000);
    void *b = umfPoolMalloc(pool, 5000);
    void *c = umfPoolMalloc(other, 100);
    REQUIRE(a && b && c);
    CHECK_OK(umfLevelZeroMemoryProviderResidentDeviceChange(h, dev[1], true));
    CHECK_EQ(resident_mask(a), 2);
    CHECK_EQ(resident_mask(b), 2);
    CHECK_EQ(resident_mask(c), 0);
    void *d = umfPoolMalloc(pool, 10); /* new allocations follow the new list */
    CHECK_EQ(resident_mask(d), 2);
    CHECK_EQ(umfLevelZeroMemoryProviderResidentDeviceChange(h, dev[1], true), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfLevelZeroMemoryProviderResidentDeviceChange(h, dev[0], false), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfLevelZeroMemoryProviderResidentDeviceChange(h, NULL, true), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfLevelZeroMemoryProviderResidentDeviceChange(NULL, dev[0], true), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    setenv("ZE_FIXTURE_FAIL", "zeContextEvictMemory=0x78000004", 1);
    CHECK_EQ(umfLevelZeroMemoryProviderResidentDeviceChange(h, dev[1], false), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    unsetenv("ZE_FIXTURE_FAIL");
    /* the device left the list, though the driver kept the memory resident */
    CHECK_EQ(resident_mask(a), 2);
    CHECK_OK(umfLevelZeroMemoryProviderResidentDeviceChange(h, dev[1], true));
    CHECK_OK(umfLevelZeroMemoryProviderResidentDeviceChange(h, dev[0], true));
    CHECK_EQ(resident_mask(a), 3);
    CHECK_OK(umfLevelZeroMemoryProviderResidentDeviceChange(h, dev[1], false));
    CHECK_OK(umfLevelZeroMemoryProviderResidentDeviceChange(h, dev[0], false));
    CHECK_EQ(resident_mask(a), 0);
    CHECK_EQ(resident_mask(c), 0);
    /* a provider of another kind */
    umf_os_memory_provider_params_handle_t op = NULL;
    umf_memory_provider_handle_t os = NULL;
    REQUIRE_OK(umfOsMemoryProviderParamsCreate(&op));
    REQUIRE_OK(umfMemoryProviderCreate(umfOsMemoryProviderOps(), op, &os));
    CHECK_EQ(umfLevelZeroMemoryProviderResidentDeviceChange(os, dev[0], true), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderDestroy(os));
    umfOsMemoryProviderParamsDestroy(op);
    CHECK_OK(umfPoolFree(pool, a));
    CHECK_OK(umfPoolFree(pool, b));
    CHECK_OK(umfPoolFree(pool, d));
    CHECK_OK(umfPoolFree(other, c));
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfPoolDestroy(other));
    CHECK_EQ(live(), 0);
}

static void expect_alloc_failure(const char *inject, umf_result_t expect, uint32_t code, const char *msg) {
    umf_memory_provider_handle_t h = NULL;
    REQUIRE_OK(make_provider(params_of(UMF_MEMORY_TYPE_DEVICE), &h));
    setenv("ZE_FIXTURE_FAIL", inject, 1);
    void *ptr = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, 4096, 0, &ptr), expect);
    unsetenv("ZE_FIXTURE_FAIL");
    CHECK(ptr == NULL);
    const char *text = NULL;
    int32_t err = 0;
    umfMemoryProviderGetLastNativeError(h, &text, &err);
    CHECK_EQ((uint32_t)err, code);
    CHECK(text && strcmp(text, msg) == 0);
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static void test_errors_fixture(void) {
    expect_alloc_failure("zeMemAllocDevice=0x70000002", UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY, 0x70000002u,
                         "ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY");
    expect_alloc_failure("zeMemAllocDevice=0x78000004", UMF_RESULT_ERROR_INVALID_ARGUMENT, 0x78000004u,
                         "ZE_RESULT_ERROR_INVALID_ARGUMENT");
    expect_alloc_failure("zeMemAllocDevice=0x70000001", UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC, 0x70000001u,
                         "ZE_RESULT_ERROR_DEVICE_LOST");
    expect_alloc_failure("zeMemAllocDevice=0x12345", UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC, 0x12345u,
                         "ZE_RESULT 0x12345");
    umf_memory_provider_handle_t h = NULL;
    setenv("ZE_FIXTURE_FAIL", "zeDeviceGetProperties=0x70000001", 1);
    CHECK_EQ(make_provider(params_of(UMF_MEMORY_TYPE_DEVICE), &h), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    setenv("ZE_FIXTURE_FAIL", "zeMemGetAllocProperties=0x70000001", 1);
    CHECK_EQ(make_provider(params_of(UMF_MEMORY_TYPE_DEVICE), &h), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    unsetenv("ZE_FIXTURE_FAIL");
    CHECK_EQ(live(), 0); /* the probe was freed */
    REQUIRE_OK(make_provider(params_of(UMF_MEMORY_TYPE_DEVICE), &h));
    void *ptr = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, 0, 0, &ptr), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC); /* UNSUPPORTED_SIZE */
    int local = 0;
    CHECK_EQ(umfMemoryProviderFree(h, &local, sizeof(local)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    REQUIRE_OK(umfMemoryProviderAlloc(h, 64, 0, &ptr));
    setenv("ZE_FIXTURE_FAIL", "zeMemFree=0x70000001", 1);
    CHECK_EQ(umfMemoryProviderFree(h, ptr, 64), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    unsetenv("ZE_FIXTURE_FAIL");
    CHECK_OK(umfMemoryProviderFree(h, ptr, 64));
    CHECK_OK(umfMemoryProviderDestroy(h));
    CHECK_EQ(live(), 0);
}

static void test_memory_properties(void) {
    const umf_usm_memory_type_t types[] = {UMF_MEMORY_TYPE_HOST, UMF_MEMORY_TYPE_DEVICE, UMF_MEMORY_TYPE_SHARED};
    for (size_t t = 0; t < 3; t++) {
        umf_memory_pool_handle_t pool = make_pool(types[t]);
        REQUIRE(pool != NULL);
        char *ptr = umfPoolMalloc(pool, 1000);
        REQUIRE(ptr != NULL);
        umf_memory_properties_handle_t props = NULL;
        REQUIRE_OK(umfGetMemoryPropertiesHandle(ptr + 10, &props));
        umf_usm_memory_type_t type = UMF_MEMORY_TYPE_UNKNOWN;
        CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_POINTER_TYPE, &type, sizeof(type)));
        CHECK_EQ(type, types[t]);
        ze_context_handle_t c = NULL;
        CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_CONTEXT, &c, sizeof(c)));
        CHECK(c == ctx);
        ze_device_handle_t d = (ze_device_handle_t)1;
        size_t size = 0;
        CHECK_OK(umfGetMemoryPropertySize(props, UMF_MEMORY_PROPERTY_DEVICE, &size));
        CHECK_EQ(size, sizeof(void *));
        CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_DEVICE, &d, sizeof(d)));
        CHECK(d == (types[t] == UMF_MEMORY_TYPE_HOST ? NULL : dev[0]));
        CHECK_OK(umfPoolFree(pool, ptr));
        CHECK_OK(umfPoolDestroy(pool));
    }
}

/* params.use_import_export_for_IPC: read, written per provider and as a default for later ones. */
static void test_ctl_import_export(void) {
    umf_memory_provider_handle_t h = NULL;
    REQUIRE_OK(make_provider(params_of(UMF_MEMORY_TYPE_DEVICE), &h));
    int v = 7;
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.params.use_import_export_for_IPC", &v, sizeof(v), h));
    CHECK_EQ(v, 0);
    void *ptr = NULL;
    if (!real_driver) {
        REQUIRE_OK(umfMemoryProviderAlloc(h, 64, 0, &ptr));
        CHECK_EQ(last_export(), 0);
        CHECK_OK(umfMemoryProviderFree(h, ptr, 64));
    }
    v = 1;
    CHECK_OK(umfCtlSet("umf.provider.by_handle.{}.params.use_import_export_for_IPC", &v, sizeof(v), h));
    v = 0;
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.params.use_import_export_for_IPC", &v, sizeof(v), h));
    CHECK_EQ(v, 1);
    if (!real_driver) { /* the export descriptor is the fixture's to record (a GPU may refuse it) */
        REQUIRE_OK(umfMemoryProviderAlloc(h, 64, 0, &ptr));
        CHECK_EQ(last_export(), 1);
        CHECK_OK(umfMemoryProviderFree(h, ptr, 64));
    }
    CHECK_OK(umfMemoryProviderDestroy(h));
    v = 1;
    CHECK_OK(umfCtlSet("umf.provider.default.LEVEL_ZERO.params.use_import_export_for_IPC", &v, sizeof(v)));
    REQUIRE_OK(make_provider(params_of(UMF_MEMORY_TYPE_DEVICE), &h));
    v = 0;
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.params.use_import_export_for_IPC", &v, sizeof(v), h));
    CHECK_EQ(v, 1);
    CHECK_OK(umfMemoryProviderDestroy(h));
    v = 0;
    CHECK_OK(umfCtlSet("umf.provider.default.LEVEL_ZERO.params.use_import_export_for_IPC", &v, sizeof(v)));
}

/* ------------------------------------------------------------------ IPC across processes */

static void to_hex(const void *data, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", ((const unsigned char *)data)[i]);
}

static int consumer(const char *hex, size_t len) {
    size_t n = strlen(hex) / 2;
    unsigned char *handle = malloc(n);
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        handle[i] = (unsigned char)v;
    }
    umf_memory_pool_handle_t pool = make_pool(UMF_MEMORY_TYPE_DEVICE);
    if (pool == NULL) return 10;
    umf_ipc_handler_handle_t handler = NULL;
    if (umfPoolGetIPCHandler(pool, &handler) != UMF_RESULT_SUCCESS) return 11;
    unsigned char *p = NULL;
    if (umfOpenIPCHandle(handler, (umf_ipc_handle_t)handle, (void **)&p) != UMF_RESULT_SUCCESS) return 12;
    if (!real_driver) { /* a GPU's device memory is not for the host to read: there, opening is the check */
        for (size_t i = 0; i < len; i++) {
            if (p[i] != pattern(i)) return 13;
        }
        snprintf((char *)p, 64, "answer %d", (int)getpid());
    }
    if (umfCloseIPCHandle(p) != UMF_RESULT_SUCCESS) return 15;
    if (umfPoolDestroy(pool) != UMF_RESULT_SUCCESS) return 16;
    free(handle);
    return real_driver || live() == 0 ? 0 : 17;
}

static void test_ipc_two_processes(void) {
    umf_memory_pool_handle_t pool = make_pool(UMF_MEMORY_TYPE_DEVICE);
    REQUIRE(pool != NULL);
    size_t len = 3 * 4096 + 17;
    unsigned char *buf = umfPoolMalloc(pool, len);
    REQUIRE(buf != NULL);
    if (!real_driver) {
        for (size_t i = 0; i < len; i++) buf[i] = pattern(i);
    }
    umf_ipc_handle_t h = NULL;
    size_t hsize = 0;
    REQUIRE_OK(umfGetIPCHandle(buf, &h, &hsize));
    CHECK_EQ(hsize, 40 + 80); /* the IPC header and UMF 1.1's ze_ipc_data_t */
    char *hex = malloc(2 * hsize + 1);
    to_hex(h, hsize, hex);
    char lenarg[32];
    snprintf(lenarg, sizeof(lenarg), "%zu", len);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", "provider_level_zero", "--consumer", hex, lenarg, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    REQUIRE(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    char answer[64];
    snprintf(answer, sizeof(answer), "answer %d", (int)pid);
    CHECK_FX(strcmp((char *)buf, answer) == 0);
    free(hex);
    CHECK_OK(umfPutIPCHandle(h));
    CHECK_OK(umfPoolFree(pool, buf));
    CHECK_OK(umfPoolDestroy(pool));
}

static void test_ipc_errors_fixture(void) {
    umf_memory_pool_handle_t pool = make_pool(UMF_MEMORY_TYPE_SHARED);
    REQUIRE(pool != NULL);
    char *buf = umfPoolMalloc(pool, 100);
    REQUIRE(buf != NULL);
    umf_ipc_handle_t h = NULL;
    size_t hsize = 0;
    setenv("ZE_FIXTURE_FAIL", "zeMemGetIpcHandle=0x70000001", 1);
    CHECK_EQ(umfGetIPCHandle(buf, &h, &hsize), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    unsetenv("ZE_FIXTURE_FAIL");
    REQUIRE_OK(umfGetIPCHandle(buf, &h, &hsize));
    umf_ipc_handler_handle_t handler = NULL;
    REQUIRE_OK(umfPoolGetIPCHandler(pool, &handler));
    void *opened = NULL;
    setenv("ZE_FIXTURE_FAIL", "zeMemOpenIpcHandle=0x70000001", 1);
    CHECK_EQ(umfOpenIPCHandle(handler, h, &opened), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    unsetenv("ZE_FIXTURE_FAIL");
    /* this process may open its own handle: a second mapping of the same pages */
    REQUIRE_OK(umfOpenIPCHandle(handler, h, &opened));
    CHECK(opened != buf);
    strcpy(buf, "same pages");
    CHECK(strcmp(opened, "same pages") == 0);
    CHECK_OK(umfCloseIPCHandle(opened));
    CHECK_OK(umfPutIPCHandle(h));
    CHECK_OK(umfPoolFree(pool, buf));
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_EQ(live(), 0);
}

int main(int argc, char **argv) {
    const char *mode = getenv("UMF_TEST_ZE_DRIVER");
    real_driver = mode != NULL && strcmp(mode, "real") == 0;
    if (argc == 4 && strcmp(argv[1], "--consumer") == 0) {
        load_loader();
        return consumer(argv[2], strtoull(argv[3], NULL, 10));
    }
    fprintf(stderr, "provider_level_zero on the %s driver\n", real_driver ? "real" : "fixture");
    RUN_TEST(test_missing_loader);
    RUN_TEST(test_loader_not_initialized);
    load_loader();
    RUN_TEST(test_params);
    RUN_TEST(test_host_memory);
    RUN_TEST(test_device_memory);
    RUN_TEST(test_shared_memory);
    RUN_TEST(test_free_policies);
    RUN_TEST(test_residency);
    RUN_TEST(test_memory_properties);
    RUN_TEST(test_ctl_import_export);
    RUN_TEST(test_ipc_two_processes);
    if (!real_driver) { /* injected errors, recorded calls and limits of the fixture driver */
        RUN_TEST(test_relaxed_limits_fixture);
        RUN_TEST(test_resident_device_change_fixture);
        RUN_TEST(test_errors_fixture);
        RUN_TEST(test_ipc_errors_fixture);
    }
    return TEST_SUMMARY();
}
