/* Memory policies (umf/experimental/mempolicy.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "memspace/memspace_internal.h"

umf_result_t umfMempolicyCreate(umf_mempolicy_membind_t bind, umf_mempolicy_handle_t *hPolicy) {
    if (hPolicy == NULL) {
        LOG_ERR("hPolicy is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    /* UMF 1.1 takes any value here and fails later; an unknown mode is refused now. */
    if ((unsigned)bind > UMF_MEMPOLICY_SPLIT) {
        LOG_ERR("unknown memory policy %d", (int)bind);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct umf_mempolicy_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->type = bind;
    *hPolicy = p;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfMempolicyDestroy(umf_mempolicy_handle_t hPolicy) {
    if (hPolicy == NULL) {
        LOG_ERR("hPolicy is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    free(hPolicy->parts);
    free(hPolicy);
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfMempolicySetInterleavePartSize(umf_mempolicy_handle_t hPolicy, size_t partSize) {
    if (hPolicy == NULL) {
        LOG_ERR("hPolicy is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (hPolicy->type != UMF_MEMPOLICY_INTERLEAVE) {
        LOG_ERR("a part size is only for UMF_MEMPOLICY_INTERLEAVE");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hPolicy->part_size = partSize;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfMempolicySetCustomSplitPartitions(umf_mempolicy_handle_t hPolicy,
                                                  umf_mempolicy_split_partition_t *partList, size_t partListLen) {
    if (hPolicy == NULL || partList == NULL || partListLen == 0) {
        LOG_ERR("hPolicy or partList is NULL, or partListLen is 0");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (hPolicy->type != UMF_MEMPOLICY_SPLIT) {
        LOG_ERR("partitions are only for UMF_MEMPOLICY_SPLIT");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    /* The OS provider takes an unsigned count. */
    if (partListLen > UINT32_MAX || partListLen > SIZE_MAX / sizeof(*partList)) {
        LOG_ERR("too many partitions (%zu)", partListLen);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    /* UMF 1.1 keeps the caller's pointer; a copy cannot dangle. */
    umf_mempolicy_split_partition_t *copy = malloc(sizeof(*copy) * partListLen);
    if (copy == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    memcpy(copy, partList, sizeof(*copy) * partListLen);
    free(hPolicy->parts);
    hPolicy->parts = copy;
    hPolicy->parts_len = partListLen;
    return UMF_RESULT_SUCCESS;
}
