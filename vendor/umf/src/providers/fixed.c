/*
 * The fixed memory provider: pieces of one buffer that the caller owns and
 * keeps alive for the provider's lifetime, handed out by the coarse allocator.
 * The provider never maps or unmaps anything; purge_force drops the pages of a
 * range with MADV_DONTNEED (so the buffer should be page-aligned memory of a
 * private mapping for that to be meaningful).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <umf/memory_provider_ops.h>
#include <umf/providers/provider_fixed_memory.h>

#include "base/ctl_value.h"
#include "base/utils.h"
#include "providers/coarse.h"

#define FIXED_DEFAULT_NAME "FIXED"
#define FIXED_NAME_SIZE 64

/* ---------------------------------------------------------------- params */

struct umf_fixed_memory_provider_params_t {
    void *ptr;
    size_t size;
    char name[FIXED_NAME_SIZE];
};

umf_result_t umfFixedMemoryProviderParamsCreate(void *ptr, size_t size,
                                                umf_fixed_memory_provider_params_handle_t *hParams) {
    if (hParams == NULL) {
        LOG_ERR("hParams is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ptr == NULL || size == 0) {
        LOG_ERR("the buffer is empty (ptr %p, size %zu)", ptr, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct umf_fixed_memory_provider_params_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        LOG_ERR("out of memory for fixed provider params");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->ptr = ptr;
    p->size = size;
    umf_strlcpy(p->name, FIXED_DEFAULT_NAME, sizeof(p->name));
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfFixedMemoryProviderParamsSetMemory(umf_fixed_memory_provider_params_handle_t hParams, void *ptr,
                                                   size_t size) {
    if (hParams == NULL) {
        LOG_ERR("params handle is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ptr == NULL || size == 0) {
        LOG_ERR("the buffer is empty (ptr %p, size %zu)", ptr, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->ptr = ptr;
    hParams->size = size;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfFixedMemoryProviderParamsDestroy(umf_fixed_memory_provider_params_handle_t hParams) {
    free(hParams);
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfFixedMemoryProviderParamsSetName(umf_fixed_memory_provider_params_handle_t hParams,
                                                 const char *name) {
    CHECK_PARAMS_HANDLE(hParams);
    return umf_params_set_name(hParams->name, sizeof(hParams->name), name, false);
}

/* ------------------------------------------------------------- provider */

static __thread umf_native_error_t fixed_last_error;

typedef struct fixed_provider_t {
    char *base;
    size_t size;
    coarse_t *coarse;
    char name[FIXED_NAME_SIZE];
} fixed_provider_t;

static umf_result_t fixed_initialize(const void *params, void **provider) {
    if (params == NULL || provider == NULL) {
        LOG_ERR("params or provider is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const struct umf_fixed_memory_provider_params_t *in = params;
    if (in->ptr == NULL || in->size == 0 || (uintptr_t)in->ptr + in->size < (uintptr_t)in->ptr) {
        LOG_ERR("the buffer is not valid (ptr %p, size %zu)", in->ptr, in->size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    fixed_provider_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->base = in->ptr;
    p->size = in->size;
    umf_strlcpy(p->name, in->name, sizeof(p->name));
    umf_result_t rc = coarse_create(NULL, &p->coarse);
    if (rc == UMF_RESULT_SUCCESS) {
        rc = coarse_add_region(p->coarse, in->ptr, in->size, 0);
    }
    if (rc != UMF_RESULT_SUCCESS) {
        coarse_destroy(p->coarse);
        free(p);
        return rc;
    }
    *provider = p;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t fixed_finalize(void *provider) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    fixed_provider_t *p = provider;
    coarse_stats_t st;
    coarse_get_stats(p->coarse, &st);
    if (st.used_size != 0) {
        LOG_DEBUG("fixed provider destroyed with %zu bytes still allocated", st.used_size);
    }
    coarse_destroy(p->coarse);
    free(p);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t fixed_alloc(void *provider, size_t size, size_t alignment, void **ptr) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *ptr = NULL;
    fixed_provider_t *p = provider;
    if (coarse_provider_alignment(&alignment, umf_page_size()) != UMF_RESULT_SUCCESS) {
        LOG_ERR("alignment %zu is not a power of 2 dividing or multiple of the page size", alignment);
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    if (size == 0) {
        LOG_ERR("size is 0");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = coarse_alloc(p->coarse, size, alignment, ptr);
    if (rc == UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY) {
        LOG_DEBUG("fixed provider: no room for %zu bytes aligned to %zu", size, alignment);
    }
    return rc;
}

static umf_result_t fixed_free(void *provider, void *ptr, size_t size) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_provider_free(((fixed_provider_t *)provider)->coarse, ptr, size, "fixed provider");
}

static umf_result_t fixed_get_last_native_error(void *provider, const char **ppMessage, int32_t *pError) {
    (void)provider;
    return umf_native_error_get(&fixed_last_error, ppMessage, pError);
}

static umf_result_t fixed_get_recommended_page_size(void *provider, size_t size, size_t *pageSize) {
    (void)size;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = umf_page_size();
    return UMF_RESULT_SUCCESS;
}

static umf_result_t fixed_get_min_page_size(void *provider, const void *ptr, size_t *pageSize) {
    (void)ptr;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = umf_page_size();
    return UMF_RESULT_SUCCESS;
}

static umf_result_t fixed_get_name(void *provider, const char **name) {
    if (name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *name = provider ? ((fixed_provider_t *)provider)->name : FIXED_DEFAULT_NAME;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t fixed_purge_lazy(void *provider, void *ptr, size_t size) {
    (void)ptr;
    (void)size;
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

static umf_result_t fixed_purge_force(void *provider, void *ptr, size_t size) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    fixed_provider_t *p = provider;
    uintptr_t a = (uintptr_t)ptr;
    if (a < (uintptr_t)p->base || size > p->size || a - (uintptr_t)p->base > p->size - size) {
        LOG_ERR("purge of %p (%zu bytes) is outside the fixed buffer", ptr, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (size == 0) {
        return UMF_RESULT_SUCCESS;
    }
    if (madvise(ptr, size, MADV_DONTNEED) != 0) {
        umf_native_error_set(&fixed_last_error, UMF_FIXED_RESULT_ERROR_PURGE_FORCE_FAILED, errno,
                             "forced purge (madvise) failed");
        LOG_ERR("fixed provider: %s", fixed_last_error.msg);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t fixed_allocation_split(void *provider, void *ptr, size_t totalSize, size_t firstSize) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_provider_split(((fixed_provider_t *)provider)->coarse, ptr, totalSize, firstSize);
}

static umf_result_t fixed_allocation_merge(void *provider, void *lowPtr, void *highPtr, size_t totalSize) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_provider_merge(((fixed_provider_t *)provider)->coarse, lowPtr, highPtr, totalSize);
}

static umf_result_t fixed_ctl(void *provider, umf_ctl_query_source_t source, const char *name, void *arg,
                              size_t size, umf_ctl_query_type_t queryType, va_list args) {
    (void)source;
    char path[UMF_CTL_PATH_MAX];
    if (provider == NULL || name == NULL || !umf_ctl_resolve_path(name, args, path, sizeof(path))) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_provider_ctl(((fixed_provider_t *)provider)->coarse, path, arg, size, queryType);
}

static const umf_memory_provider_ops_t FIXED_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = fixed_initialize,
    .finalize = fixed_finalize,
    .alloc = fixed_alloc,
    .free = fixed_free,
    .get_last_native_error = fixed_get_last_native_error,
    .get_recommended_page_size = fixed_get_recommended_page_size,
    .get_min_page_size = fixed_get_min_page_size,
    .get_name = fixed_get_name,
    .ext_purge_lazy = fixed_purge_lazy,
    .ext_purge_force = fixed_purge_force,
    .ext_allocation_merge = fixed_allocation_merge,
    .ext_allocation_split = fixed_allocation_split,
    .ext_ctl = fixed_ctl,
};

const umf_memory_provider_ops_t *umfFixedMemoryProviderOps(void) { return &FIXED_OPS; }
