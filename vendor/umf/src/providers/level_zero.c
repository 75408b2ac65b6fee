/*
 * The Level Zero memory provider: host (zeMemAllocHost), device (zeMemAllocDevice) or
 * shared (zeMemAllocShared) memory of one context (and device), through the loader
 * loaded at run time (ze_driver.c). Every allocation is made resident on the resident
 * devices, a list that umfLevelZeroMemoryProviderResidentDeviceChange edits while
 * allocations live.
 *
 * A failing ze_result_t becomes the thread's native error ("<name>", code = the
 * ze_result_t; UMF 1.1 keeps none) and maps to a umf_result_t as UMF 1.1 maps it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <umf/memory_provider_ops.h>
#include <umf/providers/provider_level_zero.h>

#include "base/ctl_value.h"
#include "base/fd_copy.h"
#include "base/utils.h"
#include "core/core.h"
#include "providers/provider_stats.h"
#include "providers/ze_driver.h"

#define ZE_DEFAULT_NAME "LEVEL_ZERO"
#define ZE_NAME_SIZE 64

struct umf_level_zero_memory_provider_params_t {
    ze_context_handle_t context;
    ze_device_handle_t device;
    umf_usm_memory_type_t memory_type;
    ze_device_handle_t *resident; /* the caller's array, copied at create (as UMF 1.1) */
    uint32_t resident_count;
    umf_level_zero_memory_provider_free_policy_t free_policy;
    uint32_t ordinal;
    char name[ZE_NAME_SIZE];
};

#ifndef UMF_HAVE_LEVEL_ZERO

umf_result_t umfLevelZeroMemoryProviderParamsCreate(umf_level_zero_memory_provider_params_handle_t *hParams) {
    LOG_ERR("the Level Zero provider is not built in (UMF_WITH_LEVEL_ZERO=OFF)");
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
umf_result_t umfLevelZeroMemoryProviderParamsDestroy(umf_level_zero_memory_provider_params_handle_t hParams) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
umf_result_t umfLevelZeroMemoryProviderParamsSetContext(umf_level_zero_memory_provider_params_handle_t hParams,
                                                        ze_context_handle_t hContext) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
umf_result_t umfLevelZeroMemoryProviderParamsSetDevice(umf_level_zero_memory_provider_params_handle_t hParams,
                                                       ze_device_handle_t hDevice) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
umf_result_t umfLevelZeroMemoryProviderParamsSetMemoryType(umf_level_zero_memory_provider_params_handle_t hParams,
                                                           umf_usm_memory_type_t memoryType) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
umf_result_t umfLevelZeroMemoryProviderParamsSetResidentDevices(umf_level_zero_memory_provider_params_handle_t hParams,
                                                                ze_device_handle_t *hDevices, uint32_t deviceCount) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
umf_result_t umfLevelZeroMemoryProviderParamsSetFreePolicy(umf_level_zero_memory_provider_params_handle_t hParams,
                                                           umf_level_zero_memory_provider_free_policy_t policy) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
umf_result_t umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(umf_level_zero_memory_provider_params_handle_t hParams,
                                                              uint32_t deviceOrdinal) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
umf_result_t umfLevelZeroMemoryProviderParamsSetName(umf_level_zero_memory_provider_params_handle_t hParams,
                                                     const char *name) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
umf_result_t umfLevelZeroMemoryProviderResidentDeviceChange(umf_memory_provider_handle_t provider,
                                                            ze_device_handle_t device, bool is_adding) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
const umf_memory_provider_ops_t *umfLevelZeroMemoryProviderOps(void) { return NULL; }

#else /* UMF_HAVE_LEVEL_ZERO */

/* ---------------------------------------------------------------- params */

umf_result_t umfLevelZeroMemoryProviderParamsCreate(umf_level_zero_memory_provider_params_handle_t *hParams) {
    if (hParams == NULL) {
        LOG_ERR("hParams is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct umf_level_zero_memory_provider_params_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        LOG_ERR("out of memory for Level Zero provider params");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->memory_type = UMF_MEMORY_TYPE_UNKNOWN;
    p->free_policy = UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFAULT;
    umf_strlcpy(p->name, ZE_DEFAULT_NAME, sizeof(p->name));
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfLevelZeroMemoryProviderParamsDestroy(umf_level_zero_memory_provider_params_handle_t hParams) {
    free(hParams);
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfLevelZeroMemoryProviderParamsSetContext(umf_level_zero_memory_provider_params_handle_t hParams,
                                                        ze_context_handle_t hContext) {
    CHECK_PARAMS_HANDLE(hParams);
    if (hContext == NULL) {
        LOG_ERR("hContext is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->context = hContext;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfLevelZeroMemoryProviderParamsSetDevice(umf_level_zero_memory_provider_params_handle_t hParams,
                                                       ze_device_handle_t hDevice) {
    CHECK_PARAMS_HANDLE(hParams);
    hParams->device = hDevice; /* checked against the memory type when the provider is created */
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfLevelZeroMemoryProviderParamsSetMemoryType(umf_level_zero_memory_provider_params_handle_t hParams,
                                                           umf_usm_memory_type_t memoryType) {
    CHECK_PARAMS_HANDLE(hParams);
    hParams->memory_type = memoryType; /* checked when the provider is created */
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfLevelZeroMemoryProviderParamsSetResidentDevices(umf_level_zero_memory_provider_params_handle_t hParams,
                                                                ze_device_handle_t *hDevices, uint32_t deviceCount) {
    CHECK_PARAMS_HANDLE(hParams);
    if (deviceCount > 0 && hDevices == NULL) {
        LOG_ERR("hDevices is NULL but deviceCount is %u", deviceCount);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    for (uint32_t i = 0; i < deviceCount; i++) {
        for (uint32_t j = 0; j < i; j++) {
            if (hDevices[i] == hDevices[j]) {
                LOG_ERR("resident device %p is listed twice", (void *)hDevices[i]);
                return UMF_RESULT_ERROR_INVALID_ARGUMENT;
            }
        }
    }
    hParams->resident = hDevices;
    hParams->resident_count = deviceCount;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfLevelZeroMemoryProviderParamsSetFreePolicy(umf_level_zero_memory_provider_params_handle_t hParams,
                                                           umf_level_zero_memory_provider_free_policy_t policy) {
    CHECK_PARAMS_HANDLE(hParams);
    if ((unsigned)policy > UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFER_FREE) {
        LOG_ERR("unknown free policy %d", (int)policy);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->free_policy = policy;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(umf_level_zero_memory_provider_params_handle_t hParams,
                                                              uint32_t deviceOrdinal) {
    CHECK_PARAMS_HANDLE(hParams);
    hParams->ordinal = deviceOrdinal;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfLevelZeroMemoryProviderParamsSetName(umf_level_zero_memory_provider_params_handle_t hParams,
                                                     const char *name) {
    CHECK_PARAMS_HANDLE(hParams);
    return umf_params_set_name(hParams->name, sizeof(hParams->name), name, false);
}

/* ------------------------------------------------------------- provider */

static __thread umf_native_error_t ze_last_error;

typedef struct ze_provider_t {
    const ze_api_t *ze;
    ze_context_handle_t context;
    ze_device_handle_t device;
    umf_usm_memory_type_t memory_type;
    umf_level_zero_memory_provider_free_policy_t free_policy;
    uint32_t ordinal;
    uint64_t max_alloc; /* the device's maxMemAllocSize; 0 (no limit known) for host memory */
    size_t min_page;    /* probed by post_initialize */
    int use_import_export;
    pthread_mutex_t resident_lock; /* guards resident/resident_count; held across residency calls */
    ze_device_handle_t *resident;
    uint32_t resident_count;
    provider_stats_t stats;
    char name[ZE_NAME_SIZE];
} ze_provider_t;

/* Records a failed loader call as the native error and maps it to a umf_result_t. */
static umf_result_t ze_fail(ze_result_t res, const char *call) {
    const char *rname = umf_ze_result_name(res);
    char msg[UMF_NATIVE_ERROR_MSG_SIZE];
    if (rname != NULL) {
        snprintf(msg, sizeof(msg), "%s", rname);
    } else {
        snprintf(msg, sizeof(msg), "ZE_RESULT 0x%x", res);
    }
    umf_native_error_set(&ze_last_error, (int32_t)res, 0, msg);
    LOG_ERR("Level Zero provider: %s failed: %s (0x%x)", call, msg, res);
    switch (res) {
    case ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY:
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    case ZE_RESULT_ERROR_INVALID_ARGUMENT:
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    default:
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
}

static umf_result_t ze_initialize(const void *params, void **provider) {
    if (params == NULL || provider == NULL) {
        LOG_ERR("params or provider is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const struct umf_level_zero_memory_provider_params_t *in = params;
    if (in->memory_type != UMF_MEMORY_TYPE_HOST && in->memory_type != UMF_MEMORY_TYPE_DEVICE &&
        in->memory_type != UMF_MEMORY_TYPE_SHARED) {
        LOG_ERR("Level Zero provider: memory type %d is not HOST, DEVICE or SHARED", (int)in->memory_type);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (in->context == NULL) {
        LOG_ERR("Level Zero provider: no context was set");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if ((in->memory_type == UMF_MEMORY_TYPE_HOST) != (in->device == NULL)) {
        LOG_ERR("Level Zero provider: host memory takes no device, device and shared memory need one");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const ze_api_t *ze = umf_ze_load();
    if (ze == NULL) {
        return UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
    }
    if (in->free_policy != UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFAULT && ze->zeMemFreeExt == NULL) {
        LOG_ERR("Level Zero provider: the loader lacks zeMemFreeExt, which free policies need");
        return UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
    }
    ze_provider_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    if (in->resident_count > 0) {
        p->resident = malloc(in->resident_count * sizeof(*p->resident));
        if (p->resident == NULL) {
            free(p);
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        memcpy(p->resident, in->resident, in->resident_count * sizeof(*p->resident));
        p->resident_count = in->resident_count;
    }
    if (in->device != NULL) {
        ze_device_properties_t props;
        memset(&props, 0, sizeof(props));
        props.stype = ZE_STYPE_DEVICE_PROPERTIES;
        ze_result_t res = ze->zeDeviceGetProperties(in->device, &props);
        if (res != ZE_RESULT_SUCCESS) {
            free(p->resident);
            free(p);
            return ze_fail(res, "zeDeviceGetProperties");
        }
        p->max_alloc = props.maxMemAllocSize;
    }
    pthread_mutex_init(&p->resident_lock, NULL);
    p->ze = ze;
    p->context = in->context;
    p->device = in->device;
    p->memory_type = in->memory_type;
    p->free_policy = in->free_policy;
    p->ordinal = in->ordinal;
    umf_strlcpy(p->name, in->name, sizeof(p->name));
    *provider = p;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t ze_finalize(void *provider) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    ze_provider_t *p = provider;
    pthread_mutex_destroy(&p->resident_lock);
    free(p->resident);
    free(p);
    return UMF_RESULT_SUCCESS;
}

/* The loader's allocation call for the provider's memory type, with the descriptor chain it needs. */
static ze_result_t ze_driver_alloc(const ze_provider_t *p, size_t size, size_t alignment, void **ptr,
                                   const char **call) {
    ze_flags_desc_t relaxed = {ZE_STYPE_RELAXED_ALLOCATION_LIMITS_EXP_DESC, NULL,
                               ZE_RELAXED_ALLOCATION_LIMITS_EXP_FLAG_MAX_SIZE, 0};
    ze_flags_desc_t exported = {ZE_STYPE_EXTERNAL_MEMORY_EXPORT_DESC, NULL, ZE_EXTERNAL_MEMORY_TYPE_FLAG_DMA_BUF, 0};
    const void *chain = NULL;
    if (p->use_import_export) {
        exported.pNext = chain;
        chain = &exported;
    }
    /* above the device's maximum only with relaxed limits (host memory has no device maximum) */
    if (p->max_alloc != 0 && size > p->max_alloc) {
        relaxed.pNext = chain;
        chain = &relaxed;
    }
    ze_flags_desc_t host = {ZE_STYPE_HOST_MEM_ALLOC_DESC, NULL, 0, 0};
    ze_flags_desc_t dev = {ZE_STYPE_DEVICE_MEM_ALLOC_DESC, NULL, 0, p->ordinal};
    switch (p->memory_type) {
    case UMF_MEMORY_TYPE_HOST:
        *call = "zeMemAllocHost";
        host.pNext = chain;
        return p->ze->zeMemAllocHost(p->context, &host, size, alignment, ptr);
    case UMF_MEMORY_TYPE_DEVICE:
        *call = "zeMemAllocDevice";
        dev.pNext = chain;
        return p->ze->zeMemAllocDevice(p->context, &dev, size, alignment, p->device, ptr);
    default:
        *call = "zeMemAllocShared";
        dev.pNext = chain;
        return p->ze->zeMemAllocShared(p->context, &dev, &host, size, alignment, p->device, ptr);
    }
}

/* Frees ptr with the provider's free policy. */
static ze_result_t ze_driver_free(const ze_provider_t *p, void *ptr, const char **call) {
    if (p->free_policy == UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFAULT) {
        *call = "zeMemFree";
        return p->ze->zeMemFree(p->context, ptr);
    }
    ze_flags_desc_t desc = {ZE_STYPE_MEMORY_FREE_EXT_DESC, NULL,
                            p->free_policy == UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_BLOCKING_FREE
                                ? ZE_FREE_POLICY_FLAG_BLOCKING
                                : ZE_FREE_POLICY_FLAG_DEFER,
                            0};
    *call = "zeMemFreeExt";
    return p->ze->zeMemFreeExt(p->context, &desc, ptr);
}

static umf_result_t ze_alloc(void *provider, size_t size, size_t alignment, void **resultPtr) {
    if (provider == NULL || resultPtr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *resultPtr = NULL;
    ze_provider_t *p = provider;
    if (alignment != 0 && !IS_POWER_OF_2(alignment)) {
        LOG_ERR("Level Zero provider: alignment %zu is not a power of 2", alignment);
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    void *ptr = NULL;
    const char *call = NULL;
    ze_result_t res = ze_driver_alloc(p, size, alignment, &ptr, &call);
    if (res != ZE_RESULT_SUCCESS) {
        return ze_fail(res, call);
    }
    pthread_mutex_lock(&p->resident_lock);
    for (uint32_t i = 0; i < p->resident_count; i++) {
        res = p->ze->zeContextMakeMemoryResident(p->context, p->resident[i], ptr, size);
        if (res != ZE_RESULT_SUCCESS) {
            pthread_mutex_unlock(&p->resident_lock);
            umf_result_t rc = ze_fail(res, "zeContextMakeMemoryResident");
            const char *fcall = NULL;
            if (ze_driver_free(p, ptr, &fcall) != ZE_RESULT_SUCCESS) {
                LOG_ERR("Level Zero provider: %s of %p failed after a failed residency", fcall, ptr);
            }
            return rc;
        }
    }
    pthread_mutex_unlock(&p->resident_lock);
    provider_stats_add(&p->stats, size);
    *resultPtr = ptr;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t ze_free(void *provider, void *ptr, size_t size) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ptr == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    ze_provider_t *p = provider;
    const char *call = NULL;
    ze_result_t res = ze_driver_free(p, ptr, &call);
    if (res != ZE_RESULT_SUCCESS) {
        return ze_fail(res, call);
    }
    provider_stats_sub(&p->stats, size);
    return UMF_RESULT_SUCCESS;
}

/* The driver's page size of the allocation at ptr. */
static umf_result_t ze_page_size_of(const ze_provider_t *p, const void *ptr, size_t *pageSize) {
    ze_memory_allocation_properties_t props;
    memset(&props, 0, sizeof(props));
    props.stype = ZE_STYPE_MEMORY_ALLOCATION_PROPERTIES;
    ze_result_t res = p->ze->zeMemGetAllocProperties(p->context, ptr, &props, NULL);
    if (res != ZE_RESULT_SUCCESS) {
        return ze_fail(res, "zeMemGetAllocProperties");
    }
    *pageSize = (size_t)props.pageSize;
    return UMF_RESULT_SUCCESS;
}

/* The minimum page size, probed as UMF does: the page size of a 1-byte allocation. */
static umf_result_t ze_post_initialize(ze_provider_t *p) {
    void *probe = NULL;
    const char *call = NULL;
    ze_result_t res = ze_driver_alloc(p, 1, 0, &probe, &call);
    if (res != ZE_RESULT_SUCCESS) {
        return ze_fail(res, call);
    }
    size_t page = 0;
    umf_result_t rc = ze_page_size_of(p, probe, &page);
    res = ze_driver_free(p, probe, &call);
    if (rc == UMF_RESULT_SUCCESS && res != ZE_RESULT_SUCCESS) {
        rc = ze_fail(res, call);
    }
    if (rc == UMF_RESULT_SUCCESS) {
        p->min_page = page;
    }
    return rc;
}

static umf_result_t ze_get_last_native_error(void *provider, const char **ppMessage, int32_t *pError) {
    (void)provider;
    return umf_native_error_get(&ze_last_error, ppMessage, pError);
}

static umf_result_t ze_get_min_page_size(void *provider, const void *ptr, size_t *pageSize) {
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    ze_provider_t *p = provider;
    if (ptr == NULL) {
        *pageSize = p->min_page;
        return UMF_RESULT_SUCCESS;
    }
    return ze_page_size_of(p, ptr, pageSize);
}

static umf_result_t ze_get_recommended_page_size(void *provider, size_t size, size_t *pageSize) {
    (void)size;
    return ze_get_min_page_size(provider, NULL, pageSize);
}

static umf_result_t ze_get_name(void *provider, const char **name) {
    if (name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *name = provider ? ((ze_provider_t *)provider)->name : ZE_DEFAULT_NAME;
    return UMF_RESULT_SUCCESS;
}

/* CTL: post_initialize, params.use_import_export_for_IPC and the statistics of every built-in provider. */
static umf_result_t ze_ctl(void *provider, umf_ctl_query_source_t source, const char *name, void *arg, size_t size,
                           umf_ctl_query_type_t queryType, va_list args) {
    (void)source;
    char path[UMF_CTL_PATH_MAX];
    if (provider == NULL || name == NULL || !umf_ctl_resolve_path(name, args, path, sizeof(path))) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    ze_provider_t *p = provider;
    if (strcmp(path, "post_initialize") == 0 && queryType == CTL_QUERY_RUNNABLE) {
        return ze_post_initialize(p);
    }
    if (strcmp(path, "params.use_import_export_for_IPC") == 0) {
        if (queryType == CTL_QUERY_READ) {
            return umf_ctl_out_int(arg, size, p->use_import_export);
        }
        if (queryType == CTL_QUERY_WRITE) {
            if (arg == NULL || size != sizeof(int)) {
                return UMF_RESULT_ERROR_INVALID_ARGUMENT;
            }
            int v;
            memcpy(&v, arg, sizeof(v));
            p->use_import_export = v != 0;
            return UMF_RESULT_SUCCESS;
        }
    }
    return provider_stats_ctl(&p->stats, path, arg, size, queryType);
}

/* --------------------------------------------------------- resident devices */

typedef struct ze_range_t {
    void *base;
    size_t size;
} ze_range_t;

typedef struct ze_walk_t {
    umf_memory_provider_handle_t provider;
    ze_range_t *ranges;
    size_t count, cap;
} ze_walk_t;

/* Collects the pool allocations of one provider (the tracker's lock is held: no driver calls here). */
static int ze_collect(umf_alloc_info_t *entry, void *arg) {
    ze_walk_t *w = arg;
    if (entry->pool == NULL || entry->provider != w->provider) {
        return 0;
    }
    if (w->count == w->cap) {
        return 1; /* more than counted: cannot happen while the caller's count holds */
    }
    w->ranges[w->count].base = entry->base;
    w->ranges[w->count].size = entry->base_size;
    w->count++;
    return 0;
}

umf_result_t umfLevelZeroMemoryProviderResidentDeviceChange(umf_memory_provider_handle_t provider,
                                                            ze_device_handle_t device, bool is_adding) {
    if (provider == NULL || device == NULL) {
        LOG_ERR("provider or device is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (provider->ops.initialize != ze_initialize || provider->priv == NULL) {
        LOG_ERR("%p is not a Level Zero memory provider", (void *)provider);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    ze_provider_t *p = provider->priv;
    pthread_mutex_lock(&p->resident_lock);
    uint32_t at = p->resident_count;
    for (uint32_t i = 0; i < p->resident_count; i++) {
        if (p->resident[i] == device) {
            at = i;
        }
    }
    umf_result_t rc = UMF_RESULT_SUCCESS;
    if (is_adding == (at != p->resident_count)) {
        LOG_ERR("device %p is %s a resident device of this provider", (void *)device,
                is_adding ? "already" : "not");
        rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    if (is_adding) {
        ze_device_handle_t *grown = realloc(p->resident, (p->resident_count + 1) * sizeof(*grown));
        if (grown == NULL) {
            rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
            goto out;
        }
        grown[p->resident_count++] = device;
        p->resident = grown;
    } else {
        p->resident[at] = p->resident[--p->resident_count];
    }
    /* the allocations alive now; new ones see the new list, as the lock is held */
    umf_tracker_t *tracker = umf_global_tracker();
    ze_walk_t walk = {provider, NULL, 0, tracker ? umf_tracker_count(tracker) : 0};
    if (walk.cap > 0) {
        walk.ranges = malloc(walk.cap * sizeof(*walk.ranges));
        if (walk.ranges == NULL) {
            rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
            goto out;
        }
        umf_tracker_for_each(tracker, ze_collect, &walk);
    }
    for (size_t i = 0; i < walk.count; i++) {
        ze_result_t res =
            is_adding ? p->ze->zeContextMakeMemoryResident(p->context, device, walk.ranges[i].base, walk.ranges[i].size)
                      : p->ze->zeContextEvictMemory(p->context, device, walk.ranges[i].base, walk.ranges[i].size);
        if (res != ZE_RESULT_SUCCESS) {
            (void)ze_fail(res, is_adding ? "zeContextMakeMemoryResident" : "zeContextEvictMemory");
            rc = UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
            break;
        }
    }
    free(walk.ranges);
out:
    pthread_mutex_unlock(&p->resident_lock);
    return rc;
}

/* ------------------------------------------------------------------ IPC */

/* UMF 1.1's layout: the exporting pid, the size, and the driver's handle (fd first). */
typedef struct ze_ipc_data_t {
    int pid;
    size_t size;
    ze_ipc_mem_handle_t ze_handle;
} ze_ipc_data_t;
_Static_assert(sizeof(ze_ipc_data_t) == 80 && offsetof(ze_ipc_data_t, ze_handle) == 16,
               "ze_ipc_data_t must keep UMF 1.1's layout");

static umf_result_t ze_get_ipc_handle_size(void *provider, size_t *size) {
    if (provider == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *size = sizeof(ze_ipc_data_t);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t ze_get_ipc_handle(void *provider, const void *ptr, size_t size, void *providerIpcData) {
    if (provider == NULL || ptr == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    ze_provider_t *p = provider;
    ze_ipc_data_t *d = providerIpcData;
    ze_result_t res = p->ze->zeMemGetIpcHandle(p->context, ptr, &d->ze_handle);
    if (res != ZE_RESULT_SUCCESS) {
        return ze_fail(res, "zeMemGetIpcHandle");
    }
    umf_fd_allow_copy(); /* the opener copies the handle's fd out of this process */
    d->pid = (int)getpid();
    d->size = size;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t ze_put_ipc_handle(void *provider, void *providerIpcData) {
    if (provider == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    ze_provider_t *p = provider;
    if (p->ze->zeMemPutIpcHandle == NULL) {
        return UMF_RESULT_SUCCESS; /* loaders before 1.6 release nothing */
    }
    ze_ipc_data_t *d = providerIpcData;
    ze_result_t res = p->ze->zeMemPutIpcHandle(p->context, d->ze_handle);
    return res == ZE_RESULT_SUCCESS ? UMF_RESULT_SUCCESS : ze_fail(res, "zeMemPutIpcHandle");
}

static umf_result_t ze_open_ipc_handle(void *provider, void *providerIpcData, void **ptr) {
    if (provider == NULL || providerIpcData == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    ze_provider_t *p = provider;
    const ze_ipc_data_t *d = providerIpcData;
    ze_ipc_mem_handle_t handle = d->ze_handle;
    int local = -1;
    if (!p->use_import_export) {
        /* the handle names an fd of the exporting process: this process needs its own copy */
        int fd;
        memcpy(&fd, handle.data, sizeof(fd));
        if (d->pid <= 0 || fd < 0) {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        const char *failed = NULL;
        local = umf_fd_copy_from(d->pid, fd, &failed);
        if (local < 0) {
            int err = errno;
            LOG_ERR("Level Zero provider: %s for fd %d of process %d failed (errno %d)", failed, fd, d->pid, err);
            return err == ENOSYS ? UMF_RESULT_ERROR_NOT_SUPPORTED : UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        }
        memcpy(handle.data, &local, sizeof(local));
    }
    ze_result_t res = p->ze->zeMemOpenIpcHandle(p->context, p->device, handle, 0, ptr);
    if (local >= 0) {
        close(local); /* the driver's mapping keeps the memory */
    }
    return res == ZE_RESULT_SUCCESS ? UMF_RESULT_SUCCESS : ze_fail(res, "zeMemOpenIpcHandle");
}

static umf_result_t ze_close_ipc_handle(void *provider, void *ptr, size_t size) {
    (void)size;
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    ze_provider_t *p = provider;
    ze_result_t res = p->ze->zeMemCloseIpcHandle(p->context, ptr);
    return res == ZE_RESULT_SUCCESS ? UMF_RESULT_SUCCESS : ze_fail(res, "zeMemCloseIpcHandle");
}

/* ------------------------------------------------------ memory properties */

static umf_result_t ze_get_allocation_properties_size(void *provider, umf_memory_property_id_t id, size_t *size) {
    if (provider == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    switch (id) {
    case UMF_MEMORY_PROPERTY_POINTER_TYPE:
        *size = sizeof(umf_usm_memory_type_t);
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_CONTEXT:
        *size = sizeof(ze_context_handle_t);
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_DEVICE:
        *size = sizeof(ze_device_handle_t);
        return UMF_RESULT_SUCCESS;
    default:
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
}

/* Every allocation of a provider shares its memory type, context and device. */
static umf_result_t ze_get_allocation_properties(void *provider, const void *ptr, umf_memory_property_id_t id,
                                                 void *value) {
    (void)ptr;
    if (provider == NULL || value == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const ze_provider_t *p = provider;
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

static const umf_memory_provider_ops_t ZE_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = ze_initialize,
    .finalize = ze_finalize,
    .alloc = ze_alloc,
    .free = ze_free,
    .get_last_native_error = ze_get_last_native_error,
    .get_recommended_page_size = ze_get_recommended_page_size,
    .get_min_page_size = ze_get_min_page_size,
    .get_name = ze_get_name,
    .ext_get_ipc_handle_size = ze_get_ipc_handle_size,
    .ext_get_ipc_handle = ze_get_ipc_handle,
    .ext_put_ipc_handle = ze_put_ipc_handle,
    .ext_open_ipc_handle = ze_open_ipc_handle,
    .ext_close_ipc_handle = ze_close_ipc_handle,
    .ext_ctl = ze_ctl,
    .ext_get_allocation_properties = ze_get_allocation_properties,
    .ext_get_allocation_properties_size = ze_get_allocation_properties_size,
};

const umf_memory_provider_ops_t *umfLevelZeroMemoryProviderOps(void) { return &ZE_OPS; }

#endif /* UMF_HAVE_LEVEL_ZERO */
