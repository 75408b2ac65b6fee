/*
 * umf/experimental/mempolicy.h - how memory from a memspace is spread over its targets.
 */
#ifndef UMF_MEMPOLICY_H
#define UMF_MEMPOLICY_H 1

#include <stddef.h>

#include <umf/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Opaque handle to a memory policy.
typedef struct umf_mempolicy_t *umf_mempolicy_handle_t;
/// @brief Read-only handle to a memory policy.
typedef const struct umf_mempolicy_t *umf_const_mempolicy_handle_t;

/// @brief How memory is placed on the targets of a memspace.
typedef enum umf_mempolicy_membind_t {
    UMF_MEMPOLICY_INTERLEAVE = 0, ///< Spread over the targets, page by page or part by part.
    UMF_MEMPOLICY_BIND = 1,       ///< Only on the targets.
    UMF_MEMPOLICY_PREFERRED = 2,  ///< On the targets while they have room, else elsewhere.
    UMF_MEMPOLICY_SPLIT = 3       ///< Each allocation divided among the targets by weight.
} umf_mempolicy_membind_t;

/// @brief One share of an allocation under UMF_MEMPOLICY_SPLIT.
typedef struct umf_mempolicy_split_partition_t {
    /// @brief Relative size of the share (more than 0).
    unsigned weight;
    /// @brief The id of the target (NUMA node) of the share; it must be in the memspace.
    unsigned target;
} umf_mempolicy_split_partition_t;

/// @brief Creates a memory policy.
/// @param bind how memory is placed
/// @param hPolicy receives the policy
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL hPolicy or an unknown bind,
///         or UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY
umf_result_t umfMempolicyCreate(umf_mempolicy_membind_t bind, umf_mempolicy_handle_t *hPolicy);

/// @brief Destroys a memory policy.
/// @param hPolicy the policy
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT when hPolicy is NULL
umf_result_t umfMempolicyDestroy(umf_mempolicy_handle_t hPolicy);

/// @brief Sets the size of the parts an UMF_MEMPOLICY_INTERLEAVE policy deals out to each target in turn.
/// @details 0 leaves it to the kernel (page by page); other sizes are rounded up to whole pages.
/// @param hPolicy the policy
/// @param partSize the part size in bytes
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT when hPolicy is NULL or not an interleave policy
umf_result_t umfMempolicySetInterleavePartSize(umf_mempolicy_handle_t hPolicy, size_t partSize);

/// @brief Sets the shares of an UMF_MEMPOLICY_SPLIT policy (without them, every target gets an equal share).
/// @details The list is copied. Weights and targets are checked when a provider is created from the policy.
/// @param hPolicy the policy
/// @param partList the shares
/// @param partListLen how many shares partList holds
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT when hPolicy or partList is NULL, partListLen is 0
///         or the policy is not a split policy, or UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY
umf_result_t umfMempolicySetCustomSplitPartitions(umf_mempolicy_handle_t hPolicy, umf_mempolicy_split_partition_t *partList, size_t partListLen);

#ifdef __cplusplus
}
#endif

#endif /* UMF_MEMPOLICY_H */
