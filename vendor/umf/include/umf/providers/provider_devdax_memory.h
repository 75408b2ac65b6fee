/*
 * umf/providers/provider_devdax_memory.h - a provider over a device DAX (persistent memory) device (Linux).
 */
#ifndef UMF_DEVDAX_MEMORY_PROVIDER_H
#define UMF_DEVDAX_MEMORY_PROVIDER_H 1

#include <umf/memory_provider.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief The first native error code of the DevDax memory provider.
#define UMF_DEVDAX_RESULTS_START_FROM 2000

/// @brief Opaque handle to the params of the DevDax memory provider.
typedef struct umf_devdax_memory_provider_params_t *umf_devdax_memory_provider_params_handle_t;

/// @brief Creates params with the default protection (read and write).
/// @param path the device, e.g. /dev/dax0.0 (not NULL, not empty); copied
/// @param size the bytes of the device to map (more than 0 when the provider is created)
/// @param hParams receives the params
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDevDaxMemoryProviderParamsCreate(const char *path, size_t size, umf_devdax_memory_provider_params_handle_t *hParams);

/// @brief Destroys params (NULL is allowed).
/// @param hParams the params
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDevDaxMemoryProviderParamsDestroy(umf_devdax_memory_provider_params_handle_t hParams);

/// @brief Sets the device and the bytes of it to map.
/// @param hParams the params
/// @param path the device (not NULL, not empty); copied
/// @param size the bytes to map
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDevDaxMemoryProviderParamsSetDeviceDax(umf_devdax_memory_provider_params_handle_t hParams, const char *path, size_t size);

/// @brief Sets the memory protection, a combination of umf_mem_protection_flag_t values.
/// @param hParams the params
/// @param protection the protection
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDevDaxMemoryProviderParamsSetProtection(umf_devdax_memory_provider_params_handle_t hParams, unsigned protection);

/// @brief Sets the provider's name (default "DEVDAX").
/// @param hParams the params
/// @param name the name; copied
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfDevDaxMemoryProviderParamsSetName(umf_devdax_memory_provider_params_handle_t hParams, const char *name);

/// @brief Native error codes of the DevDax memory provider.
typedef enum umf_devdax_memory_provider_native_error {
    UMF_DEVDAX_RESULT_SUCCESS = UMF_DEVDAX_RESULTS_START_FROM, ///< Success.
    UMF_DEVDAX_RESULT_ERROR_ALLOC_FAILED,                      ///< Allocating memory failed.
    UMF_DEVDAX_RESULT_ERROR_ADDRESS_NOT_ALIGNED,               ///< The memory was not aligned as asked.
    UMF_DEVDAX_RESULT_ERROR_FREE_FAILED,                       ///< Freeing memory failed.
    UMF_DEVDAX_RESULT_ERROR_PURGE_FORCE_FAILED                 ///< A forced purge failed.
} umf_devdax_memory_provider_native_error_t;

/// @brief The operations of the DevDax memory provider; its params are umf_devdax_memory_provider_params_handle_t.
/// @return the operations
const umf_memory_provider_ops_t *umfDevDaxMemoryProviderOps(void);

#ifdef __cplusplus
}
#endif

#endif /* UMF_DEVDAX_MEMORY_PROVIDER_H */
