/* Providers and pools that place memory on the targets of a memspace (umf/experimental/memspace.h). */
#include <stdint.h>
#include <stdlib.h>

#include <umf/pools/pool_disjoint.h>
#include <umf/providers/provider_os_memory.h>

#include "base/log.h"
#include "memspace/memspace_internal.h"

/* The OS provider's NUMA mode for a policy; the enums differ in values, so map them one by one. */
static umf_numa_mode_t numa_mode_of(const struct umf_mempolicy_t *policy) {
    switch (policy->type) {
    case UMF_MEMPOLICY_INTERLEAVE:
        return UMF_NUMA_MODE_INTERLEAVE;
    case UMF_MEMPOLICY_PREFERRED:
        return UMF_NUMA_MODE_PREFERRED;
    case UMF_MEMPOLICY_SPLIT:
        return UMF_NUMA_MODE_SPLIT;
    case UMF_MEMPOLICY_BIND:
    default:
        return UMF_NUMA_MODE_BIND;
    }
}

static umf_result_t fill_params(umf_os_memory_provider_params_handle_t params, const struct umf_memspace_t *ms,
                                const struct umf_mempolicy_t *policy) {
    /* HostAll without a policy is "anywhere": the system's own placement, nothing bound. */
    if (policy == NULL && umf_memspace_is_host_all(ms)) {
        return umfOsMemoryProviderParamsSetNumaMode(params, UMF_NUMA_MODE_DEFAULT);
    }
    /* HighestCapacity is a ranking; memory goes to the largest node. */
    size_t len = umf_memspace_is_highest_capacity(ms) ? 1 : ms->len;
    if (len > UINT32_MAX) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    unsigned *ids = malloc(sizeof(*ids) * len);
    if (ids == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    for (size_t i = 0; i < len; i++) {
        ids[i] = ms->targets[i]->id;
    }
    umf_result_t rc = umfOsMemoryProviderParamsSetNumaList(params, ids, (unsigned)len);
    free(ids);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    rc = umfOsMemoryProviderParamsSetNumaMode(params, policy ? numa_mode_of(policy) : UMF_NUMA_MODE_BIND);
    if (rc == UMF_RESULT_SUCCESS && policy != NULL && policy->type == UMF_MEMPOLICY_INTERLEAVE) {
        rc = umfOsMemoryProviderParamsSetPartSize(params, policy->part_size);
    }
    if (rc == UMF_RESULT_SUCCESS && policy != NULL && policy->type == UMF_MEMPOLICY_SPLIT && policy->parts_len > 0) {
        /* same layout (two unsigned), checked by the OS provider when it is created */
        _Static_assert(sizeof(umf_mempolicy_split_partition_t) == sizeof(umf_numa_split_partition_t), "layout");
        rc = umfOsMemoryProviderParamsSetPartitions(params, (umf_numa_split_partition_t *)policy->parts,
                                                    (unsigned)policy->parts_len);
    }
    return rc;
}

static umf_result_t check_args(umf_const_memspace_handle_t hMemspace, const void *out, const char *what) {
    if (hMemspace == NULL || out == NULL) {
        LOG_ERR("%s: hMemspace or the result pointer is NULL", what);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (hMemspace->len == 0) {
        LOG_ERR("%s: the memspace is empty", what);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfMemoryProviderCreateFromMemspace(umf_const_memspace_handle_t hMemspace, umf_const_mempolicy_handle_t hPolicy,
                                                 umf_memory_provider_handle_t *hProvider) {
    umf_result_t rc = check_args(hMemspace, hProvider, "umfMemoryProviderCreateFromMemspace");
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    umf_os_memory_provider_params_handle_t params = NULL;
    rc = umfOsMemoryProviderParamsCreate(&params);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    rc = fill_params(params, hMemspace, hPolicy);
    if (rc == UMF_RESULT_SUCCESS) {
        rc = umfMemoryProviderCreate(umfOsMemoryProviderOps(), params, hProvider);
    }
    umfOsMemoryProviderParamsDestroy(params);
    return rc;
}

umf_result_t umfPoolCreateFromMemspace(umf_const_memspace_handle_t hMemspace, umf_const_mempolicy_handle_t hPolicy,
                                       umf_memory_pool_handle_t *hPool) {
    umf_result_t rc = check_args(hMemspace, hPool, "umfPoolCreateFromMemspace");
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    umf_memory_provider_handle_t provider = NULL;
    rc = umfMemoryProviderCreateFromMemspace(hMemspace, hPolicy, &provider);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    umf_disjoint_pool_params_handle_t params = NULL;
    rc = umfDisjointPoolParamsCreate(&params);
    if (rc == UMF_RESULT_SUCCESS) {
        /* the pool owns the provider: one handle for the caller to destroy */
        rc = umfPoolCreate(umfDisjointPoolOps(), provider, params, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, hPool);
        umfDisjointPoolParamsDestroy(params);
    }
    if (rc != UMF_RESULT_SUCCESS) {
        umfMemoryProviderDestroy(provider);
    }
    return rc;
}
