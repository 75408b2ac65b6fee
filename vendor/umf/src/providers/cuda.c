/*
 * The CUDA memory provider: host (cuMemHostAlloc), device (cuMemAlloc) or shared
 * (cuMemAllocManaged) memory of one CUDA context and device, through the driver
 * API loaded at run time (cuda_driver.c).
 *
 * Every driver call that needs a context runs with the provider's context made
 * current and the caller's restored afterwards. A failing CUresult becomes the
 * thread's native error ("<cuGetErrorName> - <cuGetErrorString>", code = the
 * CUresult) and maps to a umf_result_t as UMF 1.1 maps it.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf/memory_provider_ops.h>
#include <umf/providers/provider_cuda.h>

#include "base/utils.h"
#include "base/ctl_value.h"
#include "providers/cuda_driver.h"
#include "providers/provider_stats.h"

#define CUDA_DEFAULT_NAME "CUDA"
#define CUDA_NAME_SIZE 64

struct umf_cuda_memory_provider_params_t {
    cu_context_t context;
    int device;
    umf_usm_memory_type_t memory_type;
    unsigned int alloc_flags;
    char name[CUDA_NAME_SIZE];
};

#ifndef UMF_HAVE_CUDA

umf_result_t umfCUDAMemoryProviderParamsCreate(umf_cuda_memory_provider_params_handle_t *hParams) {
    LOG_ERR("the CUDA provider is not built in (UMF_WITH_CUDA=OFF)");
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

umf_result_t umfCUDAMemoryProviderParamsDestroy(umf_cuda_memory_provider_params_handle_t hParams) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

umf_result_t umfCUDAMemoryProviderParamsSetContext(umf_cuda_memory_provider_params_handle_t hParams, void *hContext) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

umf_result_t umfCUDAMemoryProviderParamsSetDevice(umf_cuda_memory_provider_params_handle_t hParams, int hDevice) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

umf_result_t umfCUDAMemoryProviderParamsSetMemoryType(umf_cuda_memory_provider_params_handle_t hParams,
                                                      umf_usm_memory_type_t memoryType) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

umf_result_t umfCUDAMemoryProviderParamsSetAllocFlags(umf_cuda_memory_provider_params_handle_t hParams,
                                                      unsigned int flags) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

umf_result_t umfCUDAMemoryProviderParamsSetName(umf_cuda_memory_provider_params_handle_t hParams, const char *name) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

const umf_memory_provider_ops_t *umfCUDAMemoryProviderOps(void) { return NULL; }

#else /* UMF_HAVE_CUDA */

/* ---------------------------------------------------------------- params */

umf_result_t umfCUDAMemoryProviderParamsCreate(umf_cuda_memory_provider_params_handle_t *hParams) {
    if (hParams == NULL) {
        LOG_ERR("hParams is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const cu_api_t *cu = umf_cuda_load();
    if (cu == NULL) {
        return UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
    }
    struct umf_cuda_memory_provider_params_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        LOG_ERR("out of memory for CUDA provider params");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    /* defaults from the calling thread's current context, when it has one */
    cu_context_t ctx = NULL;
    if (cu->cuCtxGetCurrent(&ctx) != CU_SUCCESS) {
        ctx = NULL;
    }
    cu_device_t dev = -1;
    if (ctx == NULL || cu->cuCtxGetDevice(&dev) != CU_SUCCESS) {
        dev = -1;
    }
    p->context = ctx;
    p->device = dev;
    p->memory_type = UMF_MEMORY_TYPE_UNKNOWN;
    p->alloc_flags = 0;
    umf_strlcpy(p->name, CUDA_DEFAULT_NAME, sizeof(p->name));
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfCUDAMemoryProviderParamsDestroy(umf_cuda_memory_provider_params_handle_t hParams) {
    free(hParams);
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfCUDAMemoryProviderParamsSetContext(umf_cuda_memory_provider_params_handle_t hParams, void *hContext) {
    CHECK_PARAMS_HANDLE(hParams);
    hParams->context = hContext; /* checked when the provider is created */
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfCUDAMemoryProviderParamsSetDevice(umf_cuda_memory_provider_params_handle_t hParams, int hDevice) {
    CHECK_PARAMS_HANDLE(hParams);
    hParams->device = hDevice; /* checked when the provider is created */
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfCUDAMemoryProviderParamsSetMemoryType(umf_cuda_memory_provider_params_handle_t hParams,
                                                      umf_usm_memory_type_t memoryType) {
    CHECK_PARAMS_HANDLE(hParams);
    hParams->memory_type = memoryType; /* checked when the provider is created */
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfCUDAMemoryProviderParamsSetAllocFlags(umf_cuda_memory_provider_params_handle_t hParams,
                                                      unsigned int flags) {
    CHECK_PARAMS_HANDLE(hParams);
    hParams->alloc_flags = flags; /* the driver judges them */
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfCUDAMemoryProviderParamsSetName(umf_cuda_memory_provider_params_handle_t hParams, const char *name) {
    CHECK_PARAMS_HANDLE(hParams);
    return umf_params_set_name(hParams->name, sizeof(hParams->name), name, false);
}

/* ------------------------------------------------------------- provider */

static __thread umf_native_error_t cuda_last_error;

typedef struct cuda_provider_t {
    const cu_api_t *cu;
    cu_context_t context;
    cu_device_t device;
    umf_usm_memory_type_t memory_type;
    unsigned int alloc_flags;
    size_t min_alignment; /* granularity MINIMUM, set by post_initialize */
    size_t recommended;   /* granularity RECOMMENDED */
    provider_stats_t stats;
    char name[CUDA_NAME_SIZE];
} cuda_provider_t;

/* Records a failed driver call as the native error and maps it to a umf_result_t. */
static umf_result_t cuda_fail(const cuda_provider_t *p, cu_result_t res, const char *call) {
    const char *ename = NULL;
    const char *etext = NULL;
    if (p->cu->cuGetErrorName(res, &ename) != CU_SUCCESS || ename == NULL) {
        ename = "CUDA_ERROR_UNKNOWN_CODE";
    }
    if (p->cu->cuGetErrorString(res, &etext) != CU_SUCCESS || etext == NULL) {
        etext = "unknown error";
    }
    char msg[UMF_NATIVE_ERROR_MSG_SIZE];
    snprintf(msg, sizeof(msg), "%s - %s", ename, etext);
    umf_native_error_set(&cuda_last_error, (int32_t)res, 0, msg);
    LOG_ERR("CUDA provider: %s failed: %s (%d)", call, msg, res);
    switch (res) {
    case CU_ERROR_OUT_OF_MEMORY:
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    case CU_ERROR_INVALID_VALUE:
    case CU_ERROR_INVALID_HANDLE:
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    case CU_ERROR_DEINITIALIZED:
        return UMF_RESULT_ERROR_OUT_OF_RESOURCES;
    default:
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
}

/* Makes the provider's context current; *saved gets the caller's, for cuda_ctx_leave. */
static umf_result_t cuda_ctx_enter(const cuda_provider_t *p, cu_context_t *saved) {
    cu_result_t res = p->cu->cuCtxGetCurrent(saved);
    if (res != CU_SUCCESS) {
        return cuda_fail(p, res, "cuCtxGetCurrent");
    }
    if (*saved != p->context && (res = p->cu->cuCtxSetCurrent(p->context)) != CU_SUCCESS) {
        return cuda_fail(p, res, "cuCtxSetCurrent");
    }
    return UMF_RESULT_SUCCESS;
}

static void cuda_ctx_leave(const cuda_provider_t *p, cu_context_t saved) {
    if (saved != p->context && p->cu->cuCtxSetCurrent(saved) != CU_SUCCESS) {
        LOG_ERR("CUDA provider: cannot restore the caller's CUDA context %p", saved);
    }
}

static umf_result_t cuda_initialize(const void *params, void **provider) {
    if (params == NULL || provider == NULL) {
        LOG_ERR("params or provider is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const struct umf_cuda_memory_provider_params_t *in = params;
    if (in->memory_type != UMF_MEMORY_TYPE_HOST && in->memory_type != UMF_MEMORY_TYPE_DEVICE &&
        in->memory_type != UMF_MEMORY_TYPE_SHARED) {
        LOG_ERR("CUDA provider: memory type %d is not HOST, DEVICE or SHARED", (int)in->memory_type);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (in->context == NULL) {
        LOG_ERR("CUDA provider: no CUDA context (none was current and none was set)");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (in->device < 0) {
        LOG_ERR("CUDA provider: invalid CUDA device %d", in->device);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const cu_api_t *cu = umf_cuda_load();
    if (cu == NULL) {
        return UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
    }
    cuda_provider_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->cu = cu;
    p->context = in->context;
    p->device = in->device;
    p->memory_type = in->memory_type;
    p->alloc_flags = in->alloc_flags;
    umf_strlcpy(p->name, in->name, sizeof(p->name));
    *provider = p;
    return UMF_RESULT_SUCCESS;
}

/* The granularity step of creation (runnable CTL post_initialize, as in UMF 1.1). */
static umf_result_t cuda_post_initialize(cuda_provider_t *p) {
    cu_mem_allocation_prop_t prop;
    memset(&prop, 0, sizeof(prop));
    prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
    prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    prop.location.id = p->device;
    size_t min = 0;
    size_t rec = 0;
    cu_result_t res = p->cu->cuMemGetAllocationGranularity(&min, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM);
    if (res == CU_SUCCESS) {
        res = p->cu->cuMemGetAllocationGranularity(&rec, &prop, CU_MEM_ALLOC_GRANULARITY_RECOMMENDED);
    }
    if (res != CU_SUCCESS) {
        return cuda_fail(p, res, "cuMemGetAllocationGranularity");
    }
    p->min_alignment = min;
    p->recommended = rec;
    if (p->memory_type == UMF_MEMORY_TYPE_SHARED && p->alloc_flags == 0) {
        p->alloc_flags = CU_MEM_ATTACH_GLOBAL; /* the driver refuses managed memory with no attach flag */
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t cuda_finalize(void *provider) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    free(provider);
    return UMF_RESULT_SUCCESS;
}

/* Frees ptr with the call that matches the provider's memory type. */
static cu_result_t cuda_driver_free(const cuda_provider_t *p, void *ptr) {
    if (p->memory_type == UMF_MEMORY_TYPE_HOST) {
        return p->cu->cuMemFreeHost(ptr);
    }
    return p->cu->cuMemFree_v2((cu_deviceptr_t)(uintptr_t)ptr);
}

static umf_result_t cuda_alloc(void *provider, size_t size, size_t alignment, void **resultPtr) {
    if (provider == NULL || resultPtr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *resultPtr = NULL;
    cuda_provider_t *p = provider;
    if (alignment > p->min_alignment) {
        LOG_ERR("CUDA provider: alignment %zu is above the driver's granularity %zu", alignment, p->min_alignment);
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    if (alignment != 0 && !IS_POWER_OF_2(alignment)) {
        LOG_ERR("CUDA provider: alignment %zu is not a power of 2", alignment);
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    cu_context_t saved = NULL;
    umf_result_t rc = cuda_ctx_enter(p, &saved);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    void *ptr = NULL;
    cu_result_t res;
    const char *call;
    switch (p->memory_type) {
    case UMF_MEMORY_TYPE_HOST:
        call = "cuMemHostAlloc";
        res = p->cu->cuMemHostAlloc(&ptr, size, p->alloc_flags);
        break;
    case UMF_MEMORY_TYPE_DEVICE: {
        call = "cuMemAlloc_v2";
        cu_deviceptr_t d = 0;
        res = p->cu->cuMemAlloc_v2(&d, size);
        ptr = (void *)(uintptr_t)d;
        break;
    }
    default: {
        call = "cuMemAllocManaged";
        cu_deviceptr_t d = 0;
        res = p->cu->cuMemAllocManaged(&d, size, p->alloc_flags);
        ptr = (void *)(uintptr_t)d;
        break;
    }
    }
    if (res != CU_SUCCESS) {
        rc = cuda_fail(p, res, call);
    } else if (alignment != 0 && !IS_ALIGNED(ptr, alignment)) {
        LOG_ERR("CUDA provider: %s returned %p, not aligned to %zu", call, ptr, alignment);
        (void)cuda_driver_free(p, ptr);
        rc = UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    } else {
        provider_stats_add(&p->stats, size);
        *resultPtr = ptr;
    }
    cuda_ctx_leave(p, saved);
    return rc;
}

static umf_result_t cuda_free(void *provider, void *ptr, size_t size) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ptr == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    cuda_provider_t *p = provider;
    cu_context_t saved = NULL;
    umf_result_t rc = cuda_ctx_enter(p, &saved);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    cu_result_t res = cuda_driver_free(p, ptr);
    if (res != CU_SUCCESS) {
        rc = cuda_fail(p, res, p->memory_type == UMF_MEMORY_TYPE_HOST ? "cuMemFreeHost" : "cuMemFree_v2");
    } else {
        provider_stats_sub(&p->stats, size);
    }
    cuda_ctx_leave(p, saved);
    return rc;
}

static umf_result_t cuda_get_last_native_error(void *provider, const char **ppMessage, int32_t *pError) {
    (void)provider;
    return umf_native_error_get(&cuda_last_error, ppMessage, pError);
}

static umf_result_t cuda_get_recommended_page_size(void *provider, size_t size, size_t *pageSize) {
    (void)size;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = ((cuda_provider_t *)provider)->recommended;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t cuda_get_min_page_size(void *provider, const void *ptr, size_t *pageSize) {
    (void)ptr;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = ((cuda_provider_t *)provider)->min_alignment;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t cuda_get_name(void *provider, const char **name) {
    if (name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *name = provider ? ((cuda_provider_t *)provider)->name : CUDA_DEFAULT_NAME;
    return UMF_RESULT_SUCCESS;
}

/* CTL: the granularity step (post_initialize) and the statistics every built-in provider has. */
static umf_result_t cuda_ctl(void *provider, umf_ctl_query_source_t source, const char *name, void *arg,
                             size_t size, umf_ctl_query_type_t queryType, va_list args) {
    (void)source;
    char path[UMF_CTL_PATH_MAX];
    if (provider == NULL || name == NULL || !umf_ctl_resolve_path(name, args, path, sizeof(path))) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    cuda_provider_t *p = provider;
    if (strcmp(path, "post_initialize") == 0 && queryType == CTL_QUERY_RUNNABLE) {
        return cuda_post_initialize(p);
    }
    return provider_stats_ctl(&p->stats, path, arg, size, queryType);
}

/* ------------------------------------------------------------------ IPC */

static umf_result_t cuda_get_ipc_handle_size(void *provider, size_t *size) {
    if (provider == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *size = sizeof(cu_ipc_mem_handle_t); /* the raw CUipcMemHandle, as UMF 1.1 sends it */
    return UMF_RESULT_SUCCESS;
}

static umf_result_t cuda_get_ipc_handle(void *provider, const void *ptr, size_t size, void *providerIpcData) {
    (void)size;
    if (provider == NULL || ptr == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    cuda_provider_t *p = provider;
    cu_context_t saved = NULL;
    umf_result_t rc = cuda_ctx_enter(p, &saved);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    cu_result_t res = p->cu->cuIpcGetMemHandle(providerIpcData, (cu_deviceptr_t)(uintptr_t)ptr);
    if (res != CU_SUCCESS) {
        rc = cuda_fail(p, res, "cuIpcGetMemHandle");
    }
    cuda_ctx_leave(p, saved);
    return rc;
}

static umf_result_t cuda_put_ipc_handle(void *provider, void *providerIpcData) {
    if (provider == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS; /* a CUipcMemHandle holds nothing to release */
}

static umf_result_t cuda_open_ipc_handle(void *provider, void *providerIpcData, void **ptr) {
    if (provider == NULL || providerIpcData == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    cuda_provider_t *p = provider;
    cu_ipc_mem_handle_t handle;
    memcpy(&handle, providerIpcData, sizeof(handle));
    cu_context_t saved = NULL;
    umf_result_t rc = cuda_ctx_enter(p, &saved);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    cu_deviceptr_t d = 0;
    cu_result_t res = p->cu->cuIpcOpenMemHandle_v2(&d, handle, CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS);
    if (res != CU_SUCCESS) {
        rc = cuda_fail(p, res, "cuIpcOpenMemHandle_v2");
    } else {
        *ptr = (void *)(uintptr_t)d;
    }
    cuda_ctx_leave(p, saved);
    return rc;
}

static umf_result_t cuda_close_ipc_handle(void *provider, void *ptr, size_t size) {
    (void)size;
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    cuda_provider_t *p = provider;
    cu_context_t saved = NULL;
    umf_result_t rc = cuda_ctx_enter(p, &saved);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    cu_result_t res = p->cu->cuIpcCloseMemHandle((cu_deviceptr_t)(uintptr_t)ptr);
    if (res != CU_SUCCESS) {
        rc = cuda_fail(p, res, "cuIpcCloseMemHandle");
    }
    cuda_ctx_leave(p, saved);
    return rc;
}

/* ------------------------------------------------------ memory properties */

static umf_result_t cuda_get_allocation_properties_size(void *provider, umf_memory_property_id_t id, size_t *size) {
    if (provider == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    switch (id) {
    case UMF_MEMORY_PROPERTY_POINTER_TYPE:
        *size = sizeof(umf_usm_memory_type_t);
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_CONTEXT:
        *size = sizeof(cu_context_t);
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_DEVICE:
        *size = sizeof(cu_device_t);
        return UMF_RESULT_SUCCESS;
    default:
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
}

/* Every allocation of a provider shares its memory type, context and device. */
static umf_result_t cuda_get_allocation_properties(void *provider, const void *ptr, umf_memory_property_id_t id,
                                                   void *value) {
    (void)ptr;
    if (provider == NULL || value == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const cuda_provider_t *p = provider;
    switch (id) {
    case UMF_MEMORY_PROPERTY_POINTER_TYPE:
        memcpy(value, &p->memory_type, sizeof(p->memory_type));
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_CONTEXT:
        memcpy(value, &p->context, sizeof(p->context));
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_DEVICE:
        memcpy(value, &p->device, sizeof(p->device));
        return UMF_RESULT_SUCCESS;
    default:
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
}

static const umf_memory_provider_ops_t CUDA_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = cuda_initialize,
    .finalize = cuda_finalize,
    .alloc = cuda_alloc,
    .free = cuda_free,
    .get_last_native_error = cuda_get_last_native_error,
    .get_recommended_page_size = cuda_get_recommended_page_size,
    .get_min_page_size = cuda_get_min_page_size,
    .get_name = cuda_get_name,
    .ext_get_ipc_handle_size = cuda_get_ipc_handle_size,
    .ext_get_ipc_handle = cuda_get_ipc_handle,
    .ext_put_ipc_handle = cuda_put_ipc_handle,
    .ext_open_ipc_handle = cuda_open_ipc_handle,
    .ext_close_ipc_handle = cuda_close_ipc_handle,
    .ext_ctl = cuda_ctl,
    .ext_get_allocation_properties = cuda_get_allocation_properties,
    .ext_get_allocation_properties_size = cuda_get_allocation_properties_size,
};

const umf_memory_provider_ops_t *umfCUDAMemoryProviderOps(void) { return &CUDA_OPS; }

#endif /* UMF_HAVE_CUDA */
