/*
 * umf/providers/provider_file_memory.h - a provider that maps memory from a file (Linux).
 */
#ifndef UMF_FILE_MEMORY_PROVIDER_H
#define UMF_FILE_MEMORY_PROVIDER_H 1

#include <umf/memory_provider.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief The first native error code of the file memory provider.
#define UMF_FILE_RESULTS_START_FROM 3000

/// @brief Opaque handle to the params of the file memory provider.
typedef struct umf_file_memory_provider_params_t *umf_file_memory_provider_params_handle_t;

/// @brief Creates params with the defaults: read and write, private.
/// @param path the file, created when missing (not NULL, not empty); copied
/// @param hParams receives the params
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfFileMemoryProviderParamsCreate(const char *path, umf_file_memory_provider_params_handle_t *hParams);

/// @brief Destroys params (NULL is allowed).
/// @param hParams the params
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfFileMemoryProviderParamsDestroy(umf_file_memory_provider_params_handle_t hParams);

/// @brief Sets the file.
/// @param hParams the params
/// @param path the file (not NULL, not empty); copied
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfFileMemoryProviderParamsSetPath(umf_file_memory_provider_params_handle_t hParams, const char *path);

/// @brief Sets the memory protection, a combination of umf_mem_protection_flag_t values.
/// @param hParams the params
/// @param protection the protection
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfFileMemoryProviderParamsSetProtection(umf_file_memory_provider_params_handle_t hParams, unsigned protection);

/// @brief Sets whether the file is mapped private (copy on write) or shared (writes reach the file).
/// @param hParams the params
/// @param visibility the visibility
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfFileMemoryProviderParamsSetVisibility(umf_file_memory_provider_params_handle_t hParams, umf_memory_visibility_t visibility);

/// @brief Native error codes of the file memory provider.
typedef enum umf_file_memory_provider_native_error {
    UMF_FILE_RESULT_SUCCESS = UMF_FILE_RESULTS_START_FROM, ///< Success.
    UMF_FILE_RESULT_ERROR_ALLOC_FAILED,                    ///< Growing or mapping the file failed.
    UMF_FILE_RESULT_ERROR_FREE_FAILED,                     ///< Freeing memory failed.
    UMF_FILE_RESULT_ERROR_PURGE_FORCE_FAILED               ///< A forced purge failed.
} umf_file_memory_provider_native_error_t;

/// @brief The operations of the file memory provider; its params are umf_file_memory_provider_params_handle_t.
/// @return the operations
const umf_memory_provider_ops_t *umfFileMemoryProviderOps(void);

/// @brief Sets the provider's name (default "FILE").
/// @param hParams the params
/// @param name the name; copied
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfFileMemoryProviderParamsSetName(umf_file_memory_provider_params_handle_t hParams, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* UMF_FILE_MEMORY_PROVIDER_H */
