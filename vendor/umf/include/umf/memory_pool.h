/*
 * umf/memory_pool.h - creating memory pools and allocating from them.
 */
#ifndef UMF_MEMORY_POOL_H
#define UMF_MEMORY_POOL_H 1

#include <umf/base.h>
#include <umf/memory_pool_ops.h>
#include <umf/memory_provider.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Opaque handle to a memory pool.
typedef struct umf_memory_pool_t *umf_memory_pool_handle_t;

/// @brief Flags for umfPoolCreate().
typedef enum umf_pool_create_flag_t {
    UMF_POOL_CREATE_FLAG_NONE = 0,             ///< No flags.
    UMF_POOL_CREATE_FLAG_OWN_PROVIDER = 1,     ///< The pool destroys its provider when it is destroyed.
    UMF_POOL_CREATE_FLAG_DISABLE_TRACKING = 2, ///< Do not track the pool's allocations (umfFree, umfPoolByPtr and IPC then do not find them).
    UMF_POOL_CREATE_FLAG_FORCE_UINT32 = 0x7fffffff ///< Keeps the enum 32 bits wide.
} umf_pool_create_flag_t;

/// @brief A combination of umf_pool_create_flag_t values.
typedef uint32_t umf_pool_create_flags_t;

/// @brief Creates a memory pool over a provider.
/// @param ops the pool's operations; the framework copies them
/// @param provider the provider the pool takes memory from
/// @param params params passed to ops->initialize
/// @param flags a combination of umf_pool_create_flag_t values
/// @param hPool receives the pool
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfPoolCreate(const umf_memory_pool_ops_t *ops, umf_memory_provider_handle_t provider, const void *params, umf_pool_create_flags_t flags, umf_memory_pool_handle_t *hPool);

/// @brief Destroys a memory pool, and its provider when it owns it.
/// @param hPool the pool
/// @return UMF_RESULT_SUCCESS or the first error met
umf_result_t umfPoolDestroy(umf_memory_pool_handle_t hPool);

/// @brief Allocates size bytes from a pool.
/// @param hPool the pool
/// @param size bytes to allocate
/// @return the allocation, or NULL (umfPoolGetLastAllocationError() tells why)
void *umfPoolMalloc(umf_memory_pool_handle_t hPool, size_t size);

/// @brief Allocates size bytes aligned to alignment from a pool.
/// @param hPool the pool
/// @param size bytes to allocate
/// @param alignment a power of 2
/// @return the allocation, or NULL (umfPoolGetLastAllocationError() tells why)
void *umfPoolAlignedMalloc(umf_memory_pool_handle_t hPool, size_t size, size_t alignment);

/// @brief Allocates num elements of size bytes from a pool, zeroed.
/// @param hPool the pool
/// @param num number of elements
/// @param size size of one element
/// @return the allocation, or NULL (umfPoolGetLastAllocationError() tells why)
void *umfPoolCalloc(umf_memory_pool_handle_t hPool, size_t num, size_t size);

/// @brief Changes the size of an allocation of a pool, keeping its contents.
/// @param hPool the pool
/// @param ptr the allocation, or NULL to allocate
/// @param size the new size, or 0 to free
/// @return the allocation, or NULL (umfPoolGetLastAllocationError() tells why)
void *umfPoolRealloc(umf_memory_pool_handle_t hPool, void *ptr, size_t size);

/// @brief Reports how many bytes of an allocation can be used.
/// @param hPool the pool
/// @param ptr the allocation
/// @param size receives the usable size
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfPoolMallocUsableSize(umf_memory_pool_handle_t hPool, const void *ptr, size_t *size);

/// @brief Frees an allocation of a pool.
/// @param hPool the pool
/// @param ptr the allocation (NULL is allowed)
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfPoolFree(umf_memory_pool_handle_t hPool, void *ptr);

/// @brief Frees an allocation of whichever tracked pool it belongs to.
/// @param ptr the allocation
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT when no tracked pool holds ptr
umf_result_t umfFree(void *ptr);

/// @brief Reports why the last allocation from a pool on the calling thread failed.
/// @param hPool the pool
/// @return the error code
umf_result_t umfPoolGetLastAllocationError(umf_memory_pool_handle_t hPool);

/// @brief Finds the tracked pool an address belongs to (any address inside an allocation works).
/// @param ptr the address
/// @param pool receives the pool, or NULL when none holds ptr
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT when no tracked pool holds ptr
umf_result_t umfPoolByPtr(const void *ptr, umf_memory_pool_handle_t *pool);

/// @brief Reports the provider a pool was created with.
/// @param hPool the pool
/// @param hProvider receives the provider
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfPoolGetMemoryProvider(umf_memory_pool_handle_t hPool, umf_memory_provider_handle_t *hProvider);

/// @brief Reports the name of a pool.
/// @param pool the pool
/// @param name receives the name
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfPoolGetName(umf_memory_pool_handle_t pool, const char **name);

/// @brief Attaches a user value to a pool.
/// @param hPool the pool
/// @param tag the new value
/// @param oldTag receives the previous value (may be NULL)
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfPoolSetTag(umf_memory_pool_handle_t hPool, void *tag, void **oldTag);

/// @brief Reads the user value attached to a pool (NULL until one is set).
/// @param hPool the pool
/// @param tag receives the value
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfPoolGetTag(umf_memory_pool_handle_t hPool, void **tag);

/// @brief Gives memory the pool caches back to its provider, keeping at least minBytesToKeep.
/// @param hPool the pool
/// @param minBytesToKeep bytes the pool may keep
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfPoolTrimMemory(umf_memory_pool_handle_t hPool, size_t minBytesToKeep);

#ifdef __cplusplus
}
#endif

#endif /* UMF_MEMORY_POOL_H */
