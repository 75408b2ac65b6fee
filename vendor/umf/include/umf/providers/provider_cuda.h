/*
 * umf/providers/provider_cuda.h - a provider of CUDA host, device and shared (managed) memory.
 *
 * The CUDA driver (libcuda.so.1) is loaded at run time; building needs no CUDA SDK.
 * Native errors of this provider are the driver's CUresult codes.
 */
#ifndef UMF_PROVIDER_CUDA_H
#define UMF_PROVIDER_CUDA_H 1

#include <umf/memory_provider.h>
#include <umf/memory_provider_gpu.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Opaque handle to the params of the CUDA memory provider.
typedef struct umf_cuda_memory_provider_params_t *umf_cuda_memory_provider_params_handle_t;

/// @brief Creates params with the defaults: the calling thread's current CUDA context (or NULL) and its
/// device (or -1), memory type UMF_MEMORY_TYPE_UNKNOWN (must be set), alloc flags 0, name "CUDA".
/// Loads libcuda.so.1 when it is not loaded yet.
/// @param hParams receives the params
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL hParams,
/// UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE when the CUDA driver cannot be loaded
umf_result_t umfCUDAMemoryProviderParamsCreate(umf_cuda_memory_provider_params_handle_t *hParams);

/// @brief Destroys params (NULL is allowed).
/// @param hParams the params
/// @return UMF_RESULT_SUCCESS
umf_result_t umfCUDAMemoryProviderParamsDestroy(umf_cuda_memory_provider_params_handle_t hParams);

/// @brief Sets the CUDA context (a CUcontext) the provider allocates in.
/// @param hParams the params
/// @param hContext the context; a provider needs a non-NULL one
/// @return UMF_RESULT_SUCCESS or UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL hParams
umf_result_t umfCUDAMemoryProviderParamsSetContext(umf_cuda_memory_provider_params_handle_t hParams, void *hContext);

/// @brief Sets the CUDA device (a CUdevice ordinal handle).
/// @param hParams the params
/// @param hDevice the device; a provider needs one >= 0
/// @return UMF_RESULT_SUCCESS or UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL hParams
umf_result_t umfCUDAMemoryProviderParamsSetDevice(umf_cuda_memory_provider_params_handle_t hParams, int hDevice);

/// @brief Sets the memory type: UMF_MEMORY_TYPE_HOST, _DEVICE or _SHARED.
/// @param hParams the params
/// @param memoryType the type (checked when the provider is created)
/// @return UMF_RESULT_SUCCESS or UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL hParams
umf_result_t umfCUDAMemoryProviderParamsSetMemoryType(umf_cuda_memory_provider_params_handle_t hParams,
                                                      umf_usm_memory_type_t memoryType);

/// @brief Sets the flags of the driver's allocation call: CU_MEMHOSTALLOC_* for host memory,
/// CU_MEM_ATTACH_* for shared memory (0 means CU_MEM_ATTACH_GLOBAL); unused for device memory.
/// @param hParams the params
/// @param flags the flags, passed to the driver as they are
/// @return UMF_RESULT_SUCCESS or UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL hParams
umf_result_t umfCUDAMemoryProviderParamsSetAllocFlags(umf_cuda_memory_provider_params_handle_t hParams,
                                                      unsigned int flags);

/// @brief Sets the provider's name (default "CUDA").
/// @param hParams the params
/// @param name the name; copied
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfCUDAMemoryProviderParamsSetName(umf_cuda_memory_provider_params_handle_t hParams, const char *name);

/// @brief The operations of the CUDA memory provider; its params are umf_cuda_memory_provider_params_handle_t.
/// @return the operations, or NULL when the provider is not built in
const umf_memory_provider_ops_t *umfCUDAMemoryProviderOps(void);

#ifdef __cplusplus
}
#endif

#endif /* UMF_PROVIDER_CUDA_H */
