/*
 * The CUDA memory provider through the public API. By default it runs on the stand-in
 * driver (test/fixtures/cuda_stand_in.c, loaded by absolute path before anything asks
 * for libcuda.so.1); with UMF_TEST_CUDA_DRIVER=real it runs on the real driver of an
 * NVIDIA GPU (scripts/gpu-check.sh), leaving out what only the stand-in can do
 * (a missing driver, error injection, misaligned results, host access to device memory).
 */
#include <dlfcn.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/experimental/memory_properties.h>
#include <umf/ipc.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/experimental/ctl.h>
#include <umf/providers/provider_cuda.h>

#include "test_common.h"

#define REQUIRE_OK(call) REQUIRE((call) == UMF_RESULT_SUCCESS)

/* The driver calls a test needs beyond the provider's (to get a context and check memory). */
typedef int (*cu_init_fn)(unsigned);
typedef int (*cu_retain_fn)(void **, int);
typedef int (*cu_set_fn)(void *);
typedef int (*cu_get_fn)(void **);
typedef int (*cu_attr_fn)(void *, int, uint64_t);
typedef long (*live_fn)(void);

static int real_driver;
static void *drv;
static cu_set_fn cu_set_current;
static cu_get_fn cu_get_current;
static cu_attr_fn cu_pointer_attribute;
static live_fn stand_in_live; /* stand-in only */
static void *ctx0;            /* device 0's primary context */
static size_t granularity;

static void *sym(const char *name) {
    void *f = dlsym(drv, name);
    if (f == NULL) {
        fprintf(stderr, "the driver lacks %s\n", name);
        exit(2);
    }
    return f;
}

/* Loads the driver (the stand-in by absolute path) and makes device 0's primary context current. */
static void load_driver(void) {
    drv = real_driver ? dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL)
                      : dlopen(UMF_TEST_CUDA_STAND_IN, RTLD_NOW | RTLD_GLOBAL);
    if (drv == NULL) {
        fprintf(stderr, "cannot load the driver: %s\n", dlerror());
        exit(2);
    }
    cu_set_current = (cu_set_fn)sym("cuCtxSetCurrent");
    cu_get_current = (cu_get_fn)sym("cuCtxGetCurrent");
    cu_pointer_attribute = (cu_attr_fn)sym("cuPointerGetAttribute");
    if (!real_driver) {
        stand_in_live = (live_fn)sym("cuStandInLiveAllocations");
    }
    if (((cu_init_fn)sym("cuInit"))(0) != 0 || ((cu_retain_fn)sym("cuDevicePrimaryCtxRetain"))(&ctx0, 0) != 0 ||
        cu_set_current(ctx0) != 0) {
        fprintf(stderr, "cannot get a CUDA context on device 0\n");
        exit(2);
    }
}

static umf_cuda_memory_provider_params_handle_t params_of(umf_usm_memory_type_t type, unsigned flags) {
    umf_cuda_memory_provider_params_handle_t p = NULL;
    if (umfCUDAMemoryProviderParamsCreate(&p) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umfCUDAMemoryProviderParamsSetMemoryType(p, type);
    umfCUDAMemoryProviderParamsSetAllocFlags(p, flags);
    return p;
}

static umf_result_t make_provider(umf_usm_memory_type_t type, unsigned flags, umf_memory_provider_handle_t *out) {
    umf_cuda_memory_provider_params_handle_t p = params_of(type, flags);
    if (p == NULL) {
        return UMF_RESULT_ERROR_UNKNOWN;
    }
    umf_result_t rc = umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), p, out);
    umfCUDAMemoryProviderParamsDestroy(p);
    return rc;
}

static umf_memory_pool_handle_t make_pool(umf_usm_memory_type_t type) {
    umf_memory_provider_handle_t prov = NULL;
    umf_memory_pool_handle_t pool = NULL;
    if (make_provider(type, 0, &prov) != UMF_RESULT_SUCCESS ||
        umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool) != UMF_RESULT_SUCCESS) {
        umfMemoryProviderDestroy(prov);
        return NULL;
    }
    return pool;
}

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + 3); }

/* ----------------------------------------------------------------------------- the tests */

/* Before the stand-in is loaded nothing provides libcuda.so.1. */
static void test_missing_driver_stand_in(void) {
    umf_cuda_memory_provider_params_handle_t p = NULL;
    CHECK_EQ(umfCUDAMemoryProviderParamsCreate(&p), UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE);
    CHECK(p == NULL);
    CHECK_EQ(umfCUDAMemoryProviderParamsCreate(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(umfCUDAMemoryProviderOps() != NULL);
}

static void test_params(void) {
    const umf_memory_provider_ops_t *ops = umfCUDAMemoryProviderOps();
    REQUIRE(ops != NULL);
    CHECK_EQ(ops->version, UMF_PROVIDER_OPS_VERSION_CURRENT);
    const char *name = NULL;
    CHECK_OK(ops->get_name(NULL, &name));
    CHECK(name && strcmp(name, "CUDA") == 0);
    CHECK(ops->ext_purge_lazy == NULL && ops->ext_purge_force == NULL && ops->ext_allocation_split == NULL);

    CHECK_EQ(umfCUDAMemoryProviderParamsSetContext(NULL, ctx0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfCUDAMemoryProviderParamsSetDevice(NULL, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfCUDAMemoryProviderParamsSetMemoryType(NULL, UMF_MEMORY_TYPE_HOST), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfCUDAMemoryProviderParamsSetAllocFlags(NULL, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfCUDAMemoryProviderParamsSetName(NULL, "x"), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfCUDAMemoryProviderParamsDestroy(NULL));

    umf_memory_provider_handle_t h = NULL;
    /* the type has no default */
    CHECK_EQ(make_provider(UMF_MEMORY_TYPE_UNKNOWN, 0, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(make_provider((umf_usm_memory_type_t)7, 0, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemoryProviderCreate(ops, NULL, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_cuda_memory_provider_params_handle_t p = params_of(UMF_MEMORY_TYPE_DEVICE, 0);
    REQUIRE(p != NULL);
    CHECK_OK(umfCUDAMemoryProviderParamsSetDevice(p, -1));
    CHECK_EQ(umfMemoryProviderCreate(ops, p, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfCUDAMemoryProviderParamsSetDevice(p, 0));
    CHECK_OK(umfCUDAMemoryProviderParamsSetContext(p, NULL));
    CHECK_EQ(umfMemoryProviderCreate(ops, p, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfCUDAMemoryProviderParamsSetContext(p, ctx0));
    CHECK_OK(umfCUDAMemoryProviderParamsSetName(p, "my_cuda"));
    REQUIRE_OK(umfMemoryProviderCreate(ops, p, &h));
    const char *got = NULL;
    CHECK_OK(umfMemoryProviderGetName(h, &got));
    CHECK(got != NULL && strcmp(got, "my_cuda") == 0);
    CHECK_OK(umfMemoryProviderDestroy(h));
    umfCUDAMemoryProviderParamsDestroy(p);

    /* without a current context the defaults give no context: creation needs one set */
    REQUIRE(cu_set_current(NULL) == 0);
    p = params_of(UMF_MEMORY_TYPE_HOST, 0);
    REQUIRE(p != NULL);
    CHECK_EQ(umfMemoryProviderCreate(ops, p, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfCUDAMemoryProviderParamsSetContext(p, ctx0));
    CHECK_EQ(umfMemoryProviderCreate(ops, p, &h), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* device still -1 */
    CHECK_OK(umfCUDAMemoryProviderParamsSetDevice(p, 0));
    REQUIRE_OK(umfMemoryProviderCreate(ops, p, &h));
    CHECK_OK(umfMemoryProviderDestroy(h));
    umfCUDAMemoryProviderParamsDestroy(p);
    REQUIRE(cu_set_current(ctx0) == 0);
}

/* Each memory type comes from its own driver call, in the provider's context, and the caller's context is restored. */
static void alloc_one_type(umf_usm_memory_type_t type, unsigned expect_cu_type, unsigned expect_managed) {
    umf_memory_provider_handle_t h = NULL;
    REQUIRE_OK(make_provider(type, 0, &h));
    size_t min = 0, rec = 0;
    CHECK_OK(umfMemoryProviderGetMinPageSize(h, NULL, &min));
    CHECK_OK(umfMemoryProviderGetRecommendedPageSize(h, 1, &rec));
    CHECK(min > 0 && rec >= min);
    if (!real_driver) {
        CHECK_EQ(min, (size_t)sysconf(_SC_PAGESIZE));
        CHECK_EQ(rec, (size_t)2 << 20);
    }
    granularity = min;

    REQUIRE(cu_set_current(NULL) == 0); /* the provider makes its own context current */
    unsigned char *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, 3 * min + 11, 0, (void **)&ptr));
    void *now = (void *)1;
    CHECK(cu_get_current(&now) == 0 && now == NULL);
    REQUIRE(ptr != NULL);
    REQUIRE(cu_set_current(ctx0) == 0);
    void *ctx = NULL;
    unsigned cu_type = 0, managed = 9;
    CHECK(cu_pointer_attribute(&ctx, 1, (uint64_t)(uintptr_t)ptr) == 0 && ctx == ctx0);
    CHECK(cu_pointer_attribute(&cu_type, 2, (uint64_t)(uintptr_t)ptr) == 0);
    CHECK_EQ(cu_type, expect_cu_type);
    CHECK(cu_pointer_attribute(&managed, 8, (uint64_t)(uintptr_t)ptr) == 0);
    CHECK_EQ(managed, expect_managed);
    if (type != UMF_MEMORY_TYPE_DEVICE || !real_driver) {
        for (size_t i = 0; i < 3 * min + 11; i++) {
            ptr[i] = pattern(i);
        }
        CHECK_EQ(ptr[3 * min + 10], pattern(3 * min + 10));
    }
    /* the statistics every built-in provider has, through CTL (sizes exact) */
    size_t allocated = 0, peak = 0;
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.stats.allocated_memory", &allocated, sizeof(allocated), h));
    CHECK(allocated >= 3 * min + 11);
    /* a wrong size: by_handle answers SUCCESS whatever the provider said (as UMF 1.1), but nothing is written */
    uint32_t small = 0;
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.stats.allocated_memory", &small, sizeof(small), h));
    CHECK_EQ(small, 0);
    CHECK_OK(umfMemoryProviderFree(h, ptr, 3 * min + 11));
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.stats.allocated_memory", &allocated, sizeof(allocated), h));
    CHECK_EQ(allocated, 0);
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.stats.peak_memory", &peak, sizeof(peak), h));
    CHECK(peak >= 3 * min + 11);
    CHECK_OK(umfCtlExec("umf.provider.by_handle.{}.stats.peak_memory.reset", NULL, 0, h));
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.stats.peak_memory", &peak, sizeof(peak), h));
    CHECK_EQ(peak, 0);
    CHECK_OK(umfMemoryProviderFree(h, NULL, 0));
    CHECK_OK(umfMemoryProviderDestroy(h));
    if (stand_in_live) {
        CHECK_EQ(stand_in_live(), 0);
    }
}

static void test_host_memory(void) { alloc_one_type(UMF_MEMORY_TYPE_HOST, 1, 0); }
static void test_device_memory(void) { alloc_one_type(UMF_MEMORY_TYPE_DEVICE, 2, 0); }
/* flags 0 become CU_MEM_ATTACH_GLOBAL: the driver refuses managed memory without an attach flag */
static void test_shared_memory(void) { alloc_one_type(UMF_MEMORY_TYPE_SHARED, 2, 1); }

static void test_alignment(void) {
    umf_memory_provider_handle_t h = NULL;
    REQUIRE_OK(make_provider(UMF_MEMORY_TYPE_DEVICE, 0, &h));
    void *ptr = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, 100, granularity * 2, &ptr), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK(ptr == NULL);
    CHECK_EQ(umfMemoryProviderAlloc(h, 100, 3, &ptr), UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    REQUIRE_OK(umfMemoryProviderAlloc(h, 100, granularity, &ptr));
    CHECK(((uintptr_t)ptr % granularity) == 0);
    CHECK_OK(umfMemoryProviderFree(h, ptr, 100));
    if (!real_driver) {
        /* a result the driver misaligned is freed and refused */
        setenv("CUDA_STAND_IN_MISALIGN", "1", 1);
        ptr = NULL;
        CHECK_EQ(umfMemoryProviderAlloc(h, 100, granularity, &ptr), UMF_RESULT_ERROR_INVALID_ALIGNMENT);
        CHECK(ptr == NULL);
        CHECK_EQ(stand_in_live(), 0);
        REQUIRE_OK(umfMemoryProviderAlloc(h, 100, 64, &ptr)); /* 64-byte aligned is all that was asked */
        CHECK_OK(umfMemoryProviderFree(h, ptr, 100));
        unsetenv("CUDA_STAND_IN_MISALIGN");
    }
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* A driver failure: the umf_result_t UMF maps it to, and the native error with the driver's name and text. */
static void expect_failure(umf_memory_provider_handle_t h, const char *inject, umf_result_t expect, int32_t code,
                           const char *msg) {
    setenv("CUDA_STAND_IN_FAIL", inject, 1);
    void *ptr = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, 4096, 0, &ptr), expect);
    CHECK(ptr == NULL);
    unsetenv("CUDA_STAND_IN_FAIL");
    const char *text = NULL;
    int32_t err = 0;
    umfMemoryProviderGetLastNativeError(h, &text, &err);
    CHECK_EQ(err, code);
    CHECK(text != NULL && strcmp(text, msg) == 0);
    umf_memory_provider_handle_t failed = NULL;
    CHECK_OK(umfGetLastFailedMemoryProvider(&failed));
    CHECK(failed == h);
}

static void test_errors_stand_in(void) {
    umf_memory_provider_handle_t h = NULL;
    REQUIRE_OK(make_provider(UMF_MEMORY_TYPE_DEVICE, 0, &h));
    expect_failure(h, "cuMemAlloc_v2=2", UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY, 2,
                   "CUDA_ERROR_OUT_OF_MEMORY - out of memory");
    expect_failure(h, "cuMemAlloc_v2=1", UMF_RESULT_ERROR_INVALID_ARGUMENT, 1,
                   "CUDA_ERROR_INVALID_VALUE - invalid argument");
    expect_failure(h, "cuMemAlloc_v2=400", UMF_RESULT_ERROR_INVALID_ARGUMENT, 400,
                   "CUDA_ERROR_INVALID_HANDLE - invalid resource handle");
    expect_failure(h, "cuMemAlloc_v2=4", UMF_RESULT_ERROR_OUT_OF_RESOURCES, 4,
                   "CUDA_ERROR_DEINITIALIZED - driver shutting down");
    expect_failure(h, "cuMemAlloc_v2=801", UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC, 801,
                   "CUDA_ERROR_NOT_SUPPORTED - operation not supported");
    /* a code the driver has no name for */
    expect_failure(h, "cuMemAlloc_v2=12345", UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC, 12345,
                   "CUDA_ERROR_UNKNOWN_CODE - unknown error");
    /* failing to switch to the provider's context fails the allocation */
    REQUIRE(cu_set_current(NULL) == 0);
    expect_failure(h, "cuCtxSetCurrent=201", UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC, 201,
                   "CUDA_ERROR_INVALID_CONTEXT - invalid device context");
    REQUIRE(cu_set_current(ctx0) == 0);
    /* size 0 is the driver's INVALID_VALUE */
    void *ptr = NULL;
    CHECK_EQ(umfMemoryProviderAlloc(h, 0, 0, &ptr), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* freeing what the driver never gave */
    int local = 0;
    CHECK_EQ(umfMemoryProviderFree(h, &local, sizeof(local)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    setenv("CUDA_STAND_IN_FAIL", "cuMemFree_v2=2", 1);
    REQUIRE_OK(umfMemoryProviderAlloc(h, 64, 0, &ptr));
    CHECK_EQ(umfMemoryProviderFree(h, ptr, 64), UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    unsetenv("CUDA_STAND_IN_FAIL");
    CHECK_OK(umfMemoryProviderFree(h, ptr, 64));
    CHECK_OK(umfMemoryProviderDestroy(h));

    /* the granularity query at creation */
    setenv("CUDA_STAND_IN_FAIL", "cuMemGetAllocationGranularity=801", 1);
    h = NULL;
    CHECK_EQ(make_provider(UMF_MEMORY_TYPE_HOST, 0, &h), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    CHECK(h == NULL);
    unsetenv("CUDA_STAND_IN_FAIL");
    /* a device the driver does not have */
    umf_cuda_memory_provider_params_handle_t p = params_of(UMF_MEMORY_TYPE_HOST, 0);
    REQUIRE(p != NULL);
    CHECK_OK(umfCUDAMemoryProviderParamsSetDevice(p, 5));
    CHECK_EQ(umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), p, &h), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    umfCUDAMemoryProviderParamsDestroy(p);
    CHECK_EQ(stand_in_live(), 0);
}

/* Alloc flags reach the driver as they are (bad ones are its INVALID_VALUE). */
static void test_alloc_flags(void) {
    umf_memory_provider_handle_t h = NULL;
    void *ptr = NULL;
    REQUIRE_OK(make_provider(UMF_MEMORY_TYPE_SHARED, 0x4, &h));
    CHECK_EQ(umfMemoryProviderAlloc(h, 64, 0, &ptr), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemoryProviderDestroy(h));
    REQUIRE_OK(make_provider(UMF_MEMORY_TYPE_SHARED, 0x2, &h)); /* CU_MEM_ATTACH_HOST */
    REQUIRE_OK(umfMemoryProviderAlloc(h, 64, 0, &ptr));
    CHECK_OK(umfMemoryProviderFree(h, ptr, 64));
    CHECK_OK(umfMemoryProviderDestroy(h));
    REQUIRE_OK(make_provider(UMF_MEMORY_TYPE_HOST, 0x1, &h)); /* CU_MEMHOSTALLOC_PORTABLE */
    REQUIRE_OK(umfMemoryProviderAlloc(h, 64, 0, &ptr));
    CHECK_OK(umfMemoryProviderFree(h, ptr, 64));
    CHECK_OK(umfMemoryProviderDestroy(h));
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
        void *ctx = NULL;
        size_t size = 0;
        CHECK_OK(umfGetMemoryPropertySize(props, UMF_MEMORY_PROPERTY_CONTEXT, &size));
        CHECK_EQ(size, sizeof(void *));
        CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_CONTEXT, &ctx, sizeof(ctx)));
        CHECK(ctx == ctx0);
        int dev = -1;
        CHECK_OK(umfGetMemoryPropertySize(props, UMF_MEMORY_PROPERTY_DEVICE, &size));
        CHECK_EQ(size, sizeof(int));
        CHECK_OK(umfGetMemoryProperty(props, UMF_MEMORY_PROPERTY_DEVICE, &dev, sizeof(dev)));
        CHECK_EQ(dev, 0);
        uint64_t other = 0;
        CHECK_EQ(umfGetMemoryProperty(props, (umf_memory_property_id_t)0x500, &other, sizeof(other)),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK_EQ(umfGetMemoryPropertySize(props, (umf_memory_property_id_t)0x500, &size),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK_OK(umfPoolFree(pool, ptr));
        CHECK_OK(umfPoolDestroy(pool));
    }
}

/* ------------------------------------------------------------------ IPC across processes */

static void to_hex(const void *data, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", ((const unsigned char *)data)[i]);
    }
}

/* The consumer (a fresh process): opens the handle, checks the producer's bytes, answers, closes. */
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
    if (!real_driver) {
        for (size_t i = 0; i < len; i++) {
            if (p[i] != pattern(i)) return 13;
        }
        snprintf((char *)p, 64, "answer %d", (int)getpid());
        if (stand_in_live() != 1) return 14; /* the opened mapping */
    }
    if (umfCloseIPCHandle(p) != UMF_RESULT_SUCCESS) return 15;
    if (umfPoolDestroy(pool) != UMF_RESULT_SUCCESS) return 16;
    free(handle);
    return 0;
}

static int run_consumer(umf_ipc_handle_t h, size_t hsize, size_t len, pid_t *child) {
    char *hex = malloc(2 * hsize + 1);
    to_hex(h, hsize, hex);
    char lenarg[32];
    snprintf(lenarg, sizeof(lenarg), "%zu", len);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", "provider_cuda", "--consumer", hex, lenarg, (char *)NULL);
        _exit(127);
    }
    free(hex);
    *child = pid;
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_ipc_two_processes(void) {
    umf_memory_pool_handle_t pool = make_pool(UMF_MEMORY_TYPE_DEVICE);
    REQUIRE(pool != NULL);
    size_t len = 3 * granularity + 17;
    unsigned char *buf = umfPoolMalloc(pool, len);
    REQUIRE(buf != NULL);
    if (!real_driver) {
        for (size_t i = 0; i < len; i++) buf[i] = pattern(i);
    }
    umf_ipc_handle_t h = NULL;
    size_t hsize = 0, expect = 0;
    REQUIRE_OK(umfGetIPCHandle(buf, &h, &hsize));
    CHECK_OK(umfPoolGetIPCHandleSize(pool, &expect));
    CHECK_EQ(hsize, expect);
    CHECK_EQ(expect, 40 + 64); /* the IPC header and a raw CUipcMemHandle */
    pid_t child = 0;
    CHECK_EQ(run_consumer(h, hsize, len, &child), 0);
    if (!real_driver) {
        char answer[64];
        snprintf(answer, sizeof(answer), "answer %d", (int)child);
        CHECK(strcmp((char *)buf, answer) == 0);
    }
    CHECK_OK(umfPutIPCHandle(h));
    CHECK_OK(umfPoolFree(pool, buf));
    CHECK_OK(umfPoolDestroy(pool));
}

static void test_ipc_errors_stand_in(void) {
    /* host memory has no IPC handle in CUDA */
    umf_memory_pool_handle_t host = make_pool(UMF_MEMORY_TYPE_HOST);
    REQUIRE(host != NULL);
    void *hp = umfPoolMalloc(host, 100);
    REQUIRE(hp != NULL);
    umf_ipc_handle_t h = NULL;
    size_t hsize = 0;
    CHECK_EQ(umfGetIPCHandle(hp, &h, &hsize), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfPoolFree(host, hp));
    CHECK_OK(umfPoolDestroy(host));

    umf_memory_pool_handle_t pool = make_pool(UMF_MEMORY_TYPE_DEVICE);
    REQUIRE(pool != NULL);
    char *buf = umfPoolMalloc(pool, 100);
    REQUIRE(buf != NULL);
    setenv("CUDA_STAND_IN_FAIL", "cuIpcGetMemHandle=801", 1);
    CHECK_EQ(umfGetIPCHandle(buf, &h, &hsize), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    unsetenv("CUDA_STAND_IN_FAIL");
    REQUIRE_OK(umfGetIPCHandle(buf, &h, &hsize));
    umf_ipc_handler_handle_t handler = NULL;
    REQUIRE_OK(umfPoolGetIPCHandler(pool, &handler));
    void *opened = NULL;
    setenv("CUDA_STAND_IN_FAIL", "cuIpcOpenMemHandle_v2=201", 1);
    CHECK_EQ(umfOpenIPCHandle(handler, h, &opened), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    unsetenv("CUDA_STAND_IN_FAIL");
    /* the stand-in lets a process open its own handle: a second mapping of the same pages */
    REQUIRE_OK(umfOpenIPCHandle(handler, h, &opened));
    CHECK(opened != buf);
    strcpy(buf, "same pages");
    CHECK(strcmp(opened, "same pages") == 0);
    CHECK_OK(umfCloseIPCHandle(opened));
    CHECK_OK(umfPutIPCHandle(h));
    CHECK_OK(umfPoolFree(pool, buf));
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_EQ(stand_in_live(), 0);
}

int main(int argc, char **argv) {
    const char *mode = getenv("UMF_TEST_CUDA_DRIVER");
    real_driver = mode != NULL && strcmp(mode, "real") == 0;
    if (argc == 4 && strcmp(argv[1], "--consumer") == 0) {
        load_driver();
        return consumer(argv[2], strtoull(argv[3], NULL, 10));
    }
    fprintf(stderr, "provider_cuda on the %s driver\n", real_driver ? "real" : "stand-in");
    if (!real_driver) {
        RUN_TEST(test_missing_driver_stand_in);
    }
    load_driver();
    RUN_TEST(test_params);
    RUN_TEST(test_host_memory);
    RUN_TEST(test_device_memory);
    RUN_TEST(test_shared_memory);
    RUN_TEST(test_alignment);
    RUN_TEST(test_alloc_flags);
    RUN_TEST(test_memory_properties);
    RUN_TEST(test_ipc_two_processes);
    if (!real_driver) {
        RUN_TEST(test_errors_stand_in);
        RUN_TEST(test_ipc_errors_stand_in);
    }
    return TEST_SUMMARY();
}
