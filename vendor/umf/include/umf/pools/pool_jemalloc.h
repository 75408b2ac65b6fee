/*
 * umf/pools/pool_jemalloc.h - a pool that runs jemalloc arenas over memory from its provider.
 */
#ifndef UMF_JEMALLOC_MEMORY_POOL_H
#define UMF_JEMALLOC_MEMORY_POOL_H 1

#include <umf/memory_pool.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Opaque handle to the params of the jemalloc pool.
typedef struct umf_jemalloc_pool_params_t *umf_jemalloc_pool_params_handle_t;

/// @brief Creates params with the defaults: the default number of arenas and the name "jemalloc".
/// @param hParams receives the params
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_NOT_SUPPORTED when the jemalloc pool is not built in
umf_result_t umfJemallocPoolParamsCreate(umf_jemalloc_pool_params_handle_t *hParams);

/// @brief Destroys params (NULL is allowed).
/// @param hParams the params
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfJemallocPoolParamsDestroy(umf_jemalloc_pool_params_handle_t hParams);

/// @brief Sets how many jemalloc arenas the pool spreads its threads over.
/// @param hParams the params
/// @param numArenas the number of arenas; 0 means four per CPU (the default); at most 4095
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfJemallocPoolParamsSetNumArenas(umf_jemalloc_pool_params_handle_t hParams, size_t numArenas);

/// @brief Sets the pool's name (default "jemalloc").
/// @param hParams the params
/// @param name the name, 1 to 63 characters; copied
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfJemallocPoolParamsSetName(umf_jemalloc_pool_params_handle_t hParams, const char *name);

/// @brief The operations of the jemalloc pool; its params are umf_jemalloc_pool_params_handle_t (NULL: defaults).
///        The provider must support umfMemoryProviderAllocationSplit(). Returns NULL when the pool is not built in.
/// @return the operations, or NULL
const umf_memory_pool_ops_t *umfJemallocPoolOps(void);

#ifdef __cplusplus
}
#endif

#endif /* UMF_JEMALLOC_MEMORY_POOL_H */
