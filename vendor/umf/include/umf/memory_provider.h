/*
 * umf/memory_provider.h - creating memory providers and calling their operations.
 */
#ifndef UMF_MEMORY_PROVIDER_H
#define UMF_MEMORY_PROVIDER_H 1

#include <umf/base.h>
#include <umf/memory_provider_ops.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Opaque handle to a memory provider.
typedef struct umf_memory_provider_t *umf_memory_provider_handle_t;

/// @brief Whether mapped memory can be shared with other processes.
typedef enum umf_memory_visibility_t {
    UMF_MEM_MAP_PRIVATE = 1, ///< Private to this process.
    UMF_MEM_MAP_SHARED = 2   ///< Shareable with other processes (Linux only).
} umf_memory_visibility_t;

/// @brief Protection of mapped memory; combine the flags with a bitwise or.
typedef enum umf_mem_protection_flag_t {
    UMF_PROTECTION_NONE = 1,  ///< No access.
    UMF_PROTECTION_READ = 2,  ///< Readable.
    UMF_PROTECTION_WRITE = 4, ///< Writable.
    UMF_PROTECTION_EXEC = 8,  ///< Executable.
    UMF_PROTECTION_MAX = 9    ///< One past the highest flag bit's enumerator.
} umf_mem_protection_flag_t;

/// @brief Creates a memory provider from its operations and params.
/// @param ops the operations; the framework copies them
/// @param params params passed to ops->initialize
/// @param hProvider receives the provider
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderCreate(const umf_memory_provider_ops_t *ops, const void *params, umf_memory_provider_handle_t *hProvider);

/// @brief Destroys a memory provider (NULL is allowed and does nothing).
/// @param hProvider the provider
/// @return UMF_RESULT_SUCCESS or the error its finalize returned
umf_result_t umfMemoryProviderDestroy(umf_memory_provider_handle_t hProvider);

/// @brief Allocates memory from a provider.
/// @param hProvider the provider
/// @param size bytes to allocate
/// @param alignment required alignment, 0 for the provider's default
/// @param ptr receives the allocation
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderAlloc(umf_memory_provider_handle_t hProvider, size_t size, size_t alignment, void **ptr);

/// @brief Frees memory allocated from a provider.
/// @param hProvider the provider
/// @param ptr the allocation
/// @param size its size
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderFree(umf_memory_provider_handle_t hProvider, void *ptr, size_t size);

/// @brief Reports the last native error of a provider on the calling thread.
/// @details Meaningful after a call on this thread returned UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC.
/// @param hProvider the provider
/// @param ppMessage receives a message, valid until the next call on this thread
/// @param pError receives the provider's native code
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderGetLastNativeError(umf_memory_provider_handle_t hProvider, const char **ppMessage, int32_t *pError);

/// @brief Reports the page size that suits an allocation of size bytes.
/// @param hProvider the provider
/// @param size an allocation size
/// @param pageSize receives the page size
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderGetRecommendedPageSize(umf_memory_provider_handle_t hProvider, size_t size, size_t *pageSize);

/// @brief Reports the smallest page size of the memory at ptr, or of the provider when ptr is NULL.
/// @param hProvider the provider
/// @param ptr an allocation or NULL
/// @param pageSize receives the page size
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderGetMinPageSize(umf_memory_provider_handle_t hProvider, const void *ptr, size_t *pageSize);

/// @brief Lets the provider drop the pages of a range when it needs them.
/// @param hProvider the provider
/// @param ptr start of the range, page-aligned
/// @param size size of the range
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderPurgeLazy(umf_memory_provider_handle_t hProvider, void *ptr, size_t size);

/// @brief Drops the pages of a range at once.
/// @param hProvider the provider
/// @param ptr start of the range, page-aligned
/// @param size size of the range
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderPurgeForce(umf_memory_provider_handle_t hProvider, void *ptr, size_t size);

/// @brief Reports the size of the provider's IPC data.
/// @param hProvider the provider
/// @param size receives the size
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderGetIPCHandleSize(umf_memory_provider_handle_t hProvider, size_t *size);

/// @brief Fills providerIpcData so that another process can map the allocation at ptr.
/// @param hProvider the provider
/// @param ptr the allocation
/// @param size its size
/// @param providerIpcData a buffer of umfMemoryProviderGetIPCHandleSize() bytes
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderGetIPCHandle(umf_memory_provider_handle_t hProvider, const void *ptr, size_t size, void *providerIpcData);

/// @brief Releases what umfMemoryProviderGetIPCHandle() set up.
/// @param hProvider the provider
/// @param providerIpcData the IPC data
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderPutIPCHandle(umf_memory_provider_handle_t hProvider, void *providerIpcData);

/// @brief Maps the memory that IPC data from another process describes.
/// @param hProvider the provider
/// @param providerIpcData the IPC data
/// @param ptr receives the mapping
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderOpenIPCHandle(umf_memory_provider_handle_t hProvider, void *providerIpcData, void **ptr);

/// @brief Unmaps memory that umfMemoryProviderOpenIPCHandle() mapped.
/// @param hProvider the provider
/// @param ptr the mapping
/// @param size its size
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderCloseIPCHandle(umf_memory_provider_handle_t hProvider, void *ptr, size_t size);

/// @brief Reports the name of a provider.
/// @param hProvider the provider
/// @param name receives the name
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderGetName(umf_memory_provider_handle_t hProvider, const char **name);

/// @brief Reports the provider whose operation last failed on the calling thread.
/// @param provider receives the provider, or NULL when none failed
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfGetLastFailedMemoryProvider(umf_memory_provider_handle_t *provider);

/// @brief Splits one allocation in two, at firstSize bytes from its start.
/// @param hProvider the provider
/// @param ptr the allocation
/// @param totalSize its size
/// @param firstSize the size of the first part, between 0 and totalSize exclusive
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderAllocationSplit(umf_memory_provider_handle_t hProvider, void *ptr, size_t totalSize, size_t firstSize);

/// @brief Merges two adjacent allocations into one.
/// @param hProvider the provider
/// @param lowPtr the lower allocation
/// @param highPtr the higher allocation, which must start where the lower one ends
/// @param totalSize the size of both together
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfMemoryProviderAllocationMerge(umf_memory_provider_handle_t hProvider, void *lowPtr, void *highPtr, size_t totalSize);

#ifdef __cplusplus
}
#endif

#endif /* UMF_MEMORY_PROVIDER_H */
