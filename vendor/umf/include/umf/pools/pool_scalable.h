/*
 * umf/pools/pool_scalable.h - a pool that runs oneTBB's scalable allocator (tbbmalloc) over memory from its provider.
 */
#ifndef UMF_SCALABLE_MEMORY_POOL_H
#define UMF_SCALABLE_MEMORY_POOL_H 1

#include <stdbool.h>

#include <umf/memory_pool.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Opaque handle to the params of the scalable pool.
typedef struct umf_scalable_pool_params_t *umf_scalable_pool_params_handle_t;

/// @brief Creates params with the defaults: granularity 2 MiB, memory given back when free, name "scalable".
/// @param hParams receives the params
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_NOT_SUPPORTED when the scalable pool is not built in
umf_result_t umfScalablePoolParamsCreate(umf_scalable_pool_params_handle_t *hParams);

/// @brief Destroys params (NULL is allowed).
/// @param hParams the params
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfScalablePoolParamsDestroy(umf_scalable_pool_params_handle_t hParams);

/// @brief Sets the smallest amount of memory the pool asks its provider for at once.
/// @param hParams the params
/// @param granularity bytes, more than 0 (default 2 MiB)
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfScalablePoolParamsSetGranularity(umf_scalable_pool_params_handle_t hParams, size_t granularity);

/// @brief Sets whether the pool keeps all memory it got until it is destroyed instead of giving free memory back.
/// @param hParams the params
/// @param keepAllMemory true to keep all memory (default false)
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfScalablePoolParamsSetKeepAllMemory(umf_scalable_pool_params_handle_t hParams, bool keepAllMemory);

/// @brief Sets the pool's name (default "scalable").
/// @param hParams the params
/// @param name the name, 1 to 63 characters; copied
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfScalablePoolParamsSetName(umf_scalable_pool_params_handle_t hParams, const char *name);

/// @brief The operations of the scalable pool; its params are umf_scalable_pool_params_handle_t (NULL: defaults).
///        libtbbmalloc.so.2 is loaded when the first pool is created (UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE if missing).
/// @return the operations, or NULL when the pool is not built in
const umf_memory_pool_ops_t *umfScalablePoolOps(void);

#ifdef __cplusplus
}
#endif

#endif /* UMF_SCALABLE_MEMORY_POOL_H */
