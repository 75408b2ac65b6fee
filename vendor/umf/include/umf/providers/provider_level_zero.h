/*
 * umf/providers/provider_level_zero.h - a provider of Level Zero host, device and shared memory.
 *
 * The Level Zero loader (libze_loader.so.1) is loaded at run time; building needs no Level Zero SDK.
 * Native errors of this provider are the loader's ze_result_t codes.
 */
#ifndef UMF_PROVIDER_LEVEL_ZERO_H
#define UMF_PROVIDER_LEVEL_ZERO_H 1

#include <stdbool.h>
#include <stdint.h>

#include <umf/memory_provider.h>
#include <umf/memory_provider_gpu.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _ze_device_handle_t *ze_device_handle_t;
typedef struct _ze_context_handle_t *ze_context_handle_t;

/// @brief Opaque handle to the params of the Level Zero memory provider.
typedef struct umf_level_zero_memory_provider_params_t *umf_level_zero_memory_provider_params_handle_t;

/// @brief How the provider frees memory.
typedef enum umf_level_zero_memory_provider_free_policy_t {
    UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFAULT = 0,       ///< zeMemFree
    UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_BLOCKING_FREE = 1, ///< zeMemFreeExt, waiting for the device's use to end
    UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFER_FREE = 2,    ///< zeMemFreeExt, freed once the device is done
} umf_level_zero_memory_provider_free_policy_t;

/// @brief Creates params with the defaults: no context or device, memory type UMF_MEMORY_TYPE_UNKNOWN (must be
/// set), no resident devices, free policy DEFAULT, device ordinal 0, name "LEVEL_ZERO".
/// @param hParams receives the params
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL hParams or
/// UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY
umf_result_t umfLevelZeroMemoryProviderParamsCreate(umf_level_zero_memory_provider_params_handle_t *hParams);

/// @brief Destroys params (NULL is allowed).
/// @param hParams the params
/// @return UMF_RESULT_SUCCESS
umf_result_t umfLevelZeroMemoryProviderParamsDestroy(umf_level_zero_memory_provider_params_handle_t hParams);

/// @brief Sets the Level Zero context the provider allocates in (required).
/// @param hParams the params
/// @param hContext the context
/// @return UMF_RESULT_SUCCESS or UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL hParams or hContext
umf_result_t umfLevelZeroMemoryProviderParamsSetContext(umf_level_zero_memory_provider_params_handle_t hParams,
                                                        ze_context_handle_t hContext);

/// @brief Sets the device: required for device and shared memory, must stay NULL for host memory.
/// @param hParams the params
/// @param hDevice the device (NULL allowed)
/// @return UMF_RESULT_SUCCESS or UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL hParams
umf_result_t umfLevelZeroMemoryProviderParamsSetDevice(umf_level_zero_memory_provider_params_handle_t hParams,
                                                       ze_device_handle_t hDevice);

/// @brief Sets the memory type: UMF_MEMORY_TYPE_HOST, _DEVICE or _SHARED.
/// @param hParams the params
/// @param memoryType the type (checked when the provider is created)
/// @return UMF_RESULT_SUCCESS or UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL hParams
umf_result_t umfLevelZeroMemoryProviderParamsSetMemoryType(umf_level_zero_memory_provider_params_handle_t hParams,
                                                           umf_usm_memory_type_t memoryType);

/// @brief Sets the devices every allocation is made resident on. The array is not copied: it must stay valid
/// until the provider is created (which copies it).
/// @param hParams the params
/// @param hDevices the devices, no duplicates (NULL only when deviceCount is 0)
/// @param deviceCount how many
/// @return UMF_RESULT_SUCCESS or UMF_RESULT_ERROR_INVALID_ARGUMENT
umf_result_t umfLevelZeroMemoryProviderParamsSetResidentDevices(umf_level_zero_memory_provider_params_handle_t hParams,
                                                                ze_device_handle_t *hDevices, uint32_t deviceCount);

/// @brief Sets the free policy.
/// @param hParams the params
/// @param policy one of umf_level_zero_memory_provider_free_policy_t
/// @return UMF_RESULT_SUCCESS or UMF_RESULT_ERROR_INVALID_ARGUMENT
umf_result_t umfLevelZeroMemoryProviderParamsSetFreePolicy(umf_level_zero_memory_provider_params_handle_t hParams,
                                                           umf_level_zero_memory_provider_free_policy_t policy);

/// @brief Sets the ordinal of the device memory (ze_device_mem_alloc_desc_t.ordinal).
/// @param hParams the params
/// @param deviceOrdinal the ordinal
/// @return UMF_RESULT_SUCCESS or UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL hParams
umf_result_t umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(umf_level_zero_memory_provider_params_handle_t hParams,
                                                              uint32_t deviceOrdinal);

/// @brief Sets the provider's name (default "LEVEL_ZERO").
/// @param hParams the params
/// @param name the name; copied
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfLevelZeroMemoryProviderParamsSetName(umf_level_zero_memory_provider_params_handle_t hParams,
                                                     const char *name);

/// @brief Adds a device to (or removes one from) the provider's resident devices, and makes every live
/// allocation of the provider resident on it (or evicts it).
/// @param provider a Level Zero memory provider
/// @param device the device
/// @param is_adding true to add, false to remove
/// @return UMF_RESULT_SUCCESS; UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL or foreign provider, a NULL device,
/// adding a device already resident or removing one that is not; UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC when
/// the driver refuses
umf_result_t umfLevelZeroMemoryProviderResidentDeviceChange(umf_memory_provider_handle_t provider,
                                                            ze_device_handle_t device, bool is_adding);

/// @brief The operations of the Level Zero memory provider; its params are
/// umf_level_zero_memory_provider_params_handle_t.
/// @return the operations, or NULL when the provider is not built in
const umf_memory_provider_ops_t *umfLevelZeroMemoryProviderOps(void);

#ifdef __cplusplus
}
#endif

#endif /* UMF_PROVIDER_LEVEL_ZERO_H */
