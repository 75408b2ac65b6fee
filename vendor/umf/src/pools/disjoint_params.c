/* The disjoint pool's params object and shared limits (the public API of umf/pools/pool_disjoint.h). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/utils.h"
#include "pools/disjoint_internal.h"

void dp_params_defaults(struct umf_disjoint_pool_params_t *p) {
    memset(p, 0, sizeof(*p));
    p->slab_min_size = DP_DEFAULT_SLAB_MIN_SIZE;
    p->max_poolable_size = DP_DEFAULT_MAX_POOLABLE_SIZE;
    p->capacity = DP_DEFAULT_CAPACITY;
    p->min_bucket_size = UMF_DISJOINT_POOL_MIN_BUCKET_DEFAULT_SIZE;
    p->pool_trace = 0;
    p->shared_limits = NULL;
    umf_strlcpy(p->name, DP_DEFAULT_NAME, sizeof(p->name));
}

umf_result_t umfDisjointPoolSharedLimitsCreate(size_t MaxSize, umf_disjoint_pool_shared_limits_handle_t *hSharedLimits) {
    if (hSharedLimits == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct umf_disjoint_pool_shared_limits_t *l = malloc(sizeof(*l));
    if (l == NULL) {
        *hSharedLimits = NULL;
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    l->max_size = MaxSize;
    atomic_init(&l->total_size, 0);
    *hSharedLimits = l;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDisjointPoolSharedLimitsDestroy(umf_disjoint_pool_shared_limits_handle_t hSharedLimits) {
    free(hSharedLimits);
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDisjointPoolParamsCreate(umf_disjoint_pool_params_handle_t *hParams) {
    if (hParams == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct umf_disjoint_pool_params_t *p = malloc(sizeof(*p));
    if (p == NULL) {
        *hParams = NULL;
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    dp_params_defaults(p);
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDisjointPoolParamsDestroy(umf_disjoint_pool_params_handle_t hParams) {
    free(hParams);
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDisjointPoolParamsSetSlabMinSize(umf_disjoint_pool_params_handle_t hParams, size_t slabMinSize) {
    if (hParams == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->slab_min_size = slabMinSize;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDisjointPoolParamsSetMaxPoolableSize(umf_disjoint_pool_params_handle_t hParams, size_t maxPoolableSize) {
    if (hParams == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->max_poolable_size = maxPoolableSize;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDisjointPoolParamsSetCapacity(umf_disjoint_pool_params_handle_t hParams, size_t maxCapacity) {
    if (hParams == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->capacity = maxCapacity;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDisjointPoolParamsSetMinBucketSize(umf_disjoint_pool_params_handle_t hParams, size_t minBucketSize) {
    if (hParams == NULL || !IS_POWER_OF_2(minBucketSize)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->min_bucket_size = minBucketSize;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDisjointPoolParamsSetTrace(umf_disjoint_pool_params_handle_t hParams, int poolTrace) {
    if (hParams == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->pool_trace = poolTrace;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDisjointPoolParamsSetSharedLimits(umf_disjoint_pool_params_handle_t hParams,
                                                  umf_disjoint_pool_shared_limits_handle_t hSharedLimits) {
    if (hParams == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->shared_limits = hSharedLimits;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfDisjointPoolParamsSetName(umf_disjoint_pool_params_handle_t hParams, const char *name) {
    CHECK_PARAMS_HANDLE(hParams);
    return umf_params_set_name(hParams->name, sizeof(hParams->name), name, false);
}
