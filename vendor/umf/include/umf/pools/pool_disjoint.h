/*
 * umf/pools/pool_disjoint.h - a pool that carves fixed-size chunks out of slabs taken from its provider.
 */
#ifndef UMF_DISJOINT_POOL_H
#define UMF_DISJOINT_POOL_H 1

#include <umf/memory_pool.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief The default size of the smallest bucket of the disjoint pool, in bytes.
#define UMF_DISJOINT_POOL_MIN_BUCKET_DEFAULT_SIZE ((size_t)8)

/// @brief Opaque handle to a limit shared by several disjoint pools.
typedef struct umf_disjoint_pool_shared_limits_t *umf_disjoint_pool_shared_limits_handle_t;

/// @brief Opaque handle to the params of the disjoint pool.
typedef struct umf_disjoint_pool_params_t *umf_disjoint_pool_params_handle_t;

/// @brief Creates a limit on the bytes of empty slabs that the pools sharing it keep cached together.
/// @param MaxSize the most bytes of empty slabs kept cached by all the pools sharing the limit
/// @param hSharedLimits receives the limit
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDisjointPoolSharedLimitsCreate(size_t MaxSize, umf_disjoint_pool_shared_limits_handle_t *hSharedLimits);

/// @brief Destroys a shared limit (NULL is allowed); no pool may use it any more.
/// @param hSharedLimits the limit
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDisjointPoolSharedLimitsDestroy(umf_disjoint_pool_shared_limits_handle_t hSharedLimits);

/// @brief Creates params with the defaults: slabs of at least 64 KiB, allocations up to 2 MiB pooled, 4 empty slabs kept per bucket, smallest bucket 8 bytes, no trace, no shared limit, name "disjoint".
/// @param hParams receives the params
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDisjointPoolParamsCreate(umf_disjoint_pool_params_handle_t *hParams);

/// @brief Destroys params (NULL is allowed).
/// @param hParams the params
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDisjointPoolParamsDestroy(umf_disjoint_pool_params_handle_t hParams);

/// @brief Sets the least size of a slab, the block the pool takes from its provider at once.
/// @param hParams the params
/// @param slabMinSize the size in bytes
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDisjointPoolParamsSetSlabMinSize(umf_disjoint_pool_params_handle_t hParams, size_t slabMinSize);

/// @brief Sets the largest allocation served from slabs; larger ones go straight to the provider.
/// @param hParams the params
/// @param maxPoolableSize the size in bytes (0: nothing is pooled)
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDisjointPoolParamsSetMaxPoolableSize(umf_disjoint_pool_params_handle_t hParams, size_t maxPoolableSize);

/// @brief Sets how many empty slabs each bucket keeps instead of giving them back to the provider.
/// @param hParams the params
/// @param maxCapacity the number of slabs
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDisjointPoolParamsSetCapacity(umf_disjoint_pool_params_handle_t hParams, size_t maxCapacity);

/// @brief Sets the size of the smallest bucket.
/// @param hParams the params
/// @param minBucketSize the size in bytes, a power of 2
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDisjointPoolParamsSetMinBucketSize(umf_disjoint_pool_params_handle_t hParams, size_t minBucketSize);

/// @brief Sets the trace level: 0 none, 1 slab counts, 2 allocation counts, 3 and more also logs each operation.
/// @param hParams the params
/// @param poolTrace the level
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDisjointPoolParamsSetTrace(umf_disjoint_pool_params_handle_t hParams, int poolTrace);

/// @brief Sets the shared limit the pool counts its cached empty slabs against (NULL: no limit).
/// @param hParams the params
/// @param hSharedLimits the limit, which must outlive the pool
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDisjointPoolParamsSetSharedLimits(umf_disjoint_pool_params_handle_t hParams, umf_disjoint_pool_shared_limits_handle_t hSharedLimits);

/// @brief Sets the pool's name, at most 63 characters; copied.
/// @param hParams the params
/// @param name the name
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDisjointPoolParamsSetName(umf_disjoint_pool_params_handle_t hParams, const char *name);

/// @brief The operations of the disjoint pool; its params are a umf_disjoint_pool_params_handle_t (NULL: the defaults).
/// @return the operations
const umf_memory_pool_ops_t *umfDisjointPoolOps(void);

#ifdef __cplusplus
}
#endif

#endif /* UMF_DISJOINT_POOL_H */
