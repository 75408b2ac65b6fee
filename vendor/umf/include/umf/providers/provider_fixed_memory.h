/*
 * umf/providers/provider_fixed_memory.h - a provider that hands out pieces of one buffer the caller owns.
 */
#ifndef UMF_FIXED_MEMORY_PROVIDER_H
#define UMF_FIXED_MEMORY_PROVIDER_H 1

#include <umf/memory_provider.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief The first native error code of the fixed memory provider.
#define UMF_FIXED_RESULTS_START_FROM 4000

/// @brief Opaque handle to the params of the fixed memory provider.
typedef struct umf_fixed_memory_provider_params_t *umf_fixed_memory_provider_params_handle_t;

/// @brief Creates params over the buffer [ptr, ptr + size); the provider never frees the buffer.
/// @param ptr start of the buffer (not NULL)
/// @param size size of the buffer in bytes (more than 0)
/// @param hParams receives the params
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfFixedMemoryProviderParamsCreate(void *ptr, size_t size, umf_fixed_memory_provider_params_handle_t *hParams);

/// @brief Replaces the buffer the params describe.
/// @param hParams the params
/// @param ptr start of the buffer (not NULL)
/// @param size size of the buffer in bytes (more than 0)
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfFixedMemoryProviderParamsSetMemory(umf_fixed_memory_provider_params_handle_t hParams, void *ptr, size_t size);

/// @brief Destroys params (NULL is allowed).
/// @param hParams the params
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfFixedMemoryProviderParamsDestroy(umf_fixed_memory_provider_params_handle_t hParams);

/// @brief Native error codes of the fixed memory provider.
typedef enum umf_fixed_memory_provider_native_error {
    UMF_FIXED_RESULT_SUCCESS = UMF_FIXED_RESULTS_START_FROM, ///< Success.
    UMF_FIXED_RESULT_ERROR_PURGE_FORCE_FAILED                ///< A forced purge failed.
} umf_fixed_memory_provider_native_error_t;

/// @brief The operations of the fixed memory provider; its params are umf_fixed_memory_provider_params_handle_t.
/// @return the operations
const umf_memory_provider_ops_t *umfFixedMemoryProviderOps(void);

/// @brief Sets the provider's name (default "FIXED").
/// @param hParams the params
/// @param name the name; copied
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfFixedMemoryProviderParamsSetName(umf_fixed_memory_provider_params_handle_t hParams, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* UMF_FIXED_MEMORY_PROVIDER_H */
