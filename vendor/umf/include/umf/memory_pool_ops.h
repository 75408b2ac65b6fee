/*
 * umf/memory_pool_ops.h - the operations a memory pool implements.
 */
#ifndef UMF_MEMORY_POOL_OPS_H
#define UMF_MEMORY_POOL_OPS_H 1

#include <stdarg.h>

#include <umf/base.h>
#include <umf/memory_provider.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief The version of umf_memory_pool_ops_t this header describes.
#define UMF_POOL_OPS_VERSION_CURRENT UMF_MAKE_VERSION(1, 1)

/// @brief The operations of a memory pool.
/// @details Each operation gets the private state that initialize() returned. Allocation
///          operations return NULL on failure and keep the reason for get_last_allocation_error().
typedef struct umf_memory_pool_ops_t {
    /// @brief Must be UMF_POOL_OPS_VERSION_CURRENT; a 1.0 table is accepted too.
    uint32_t version;

    /// @brief Creates the pool's private state over a provider.
    /// @param provider the provider the pool takes memory from
    /// @param params the params given to umfPoolCreate()
    /// @param pool receives the private state
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*initialize)(umf_memory_provider_handle_t provider, const void *params, void **pool);

    /// @brief Frees the private state.
    /// @param pool the private state
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*finalize)(void *pool);

    /// @brief Allocates size bytes.
    /// @param pool the private state
    /// @param size bytes to allocate
    /// @return the allocation, or NULL
    void *(*malloc)(void *pool, size_t size);

    /// @brief Allocates num elements of size bytes, zeroed.
    /// @param pool the private state
    /// @param num number of elements
    /// @param size size of one element
    /// @return the allocation, or NULL
    void *(*calloc)(void *pool, size_t num, size_t size);

    /// @brief Changes the size of an allocation, keeping its contents.
    /// @param pool the private state
    /// @param ptr the allocation
    /// @param size the new size
    /// @return the allocation, or NULL
    void *(*realloc)(void *pool, void *ptr, size_t size);

    /// @brief Allocates size bytes aligned to alignment.
    /// @param pool the private state
    /// @param size bytes to allocate
    /// @param alignment a power of 2
    /// @return the allocation, or NULL
    void *(*aligned_malloc)(void *pool, size_t size, size_t alignment);

    /// @brief Reports how many bytes of an allocation can be used.
    /// @param pool the private state
    /// @param ptr the allocation
    /// @param size receives the usable size
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*malloc_usable_size)(void *pool, const void *ptr, size_t *size);

    /// @brief Frees an allocation.
    /// @param pool the private state
    /// @param ptr the allocation
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*free)(void *pool, void *ptr);

    /// @brief Reports why the last allocation on the calling thread failed.
    /// @param pool the private state
    /// @return the error code
    umf_result_t (*get_last_allocation_error)(void *pool);

    /// @brief Reports the pool's name; with pool NULL, the default name of its kind.
    /// @param pool the private state or NULL
    /// @param name receives the name
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*get_name)(void *pool, const char **name);

    /// @brief Answers a CTL query addressed to this pool (optional).
    /// @param pool the private state
    /// @param source where the query comes from
    /// @param name the path below the pool's node
    /// @param arg the value read or written
    /// @param size the size of arg
    /// @param queryType read, write or run
    /// @param args the query's remaining arguments
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_ctl)(void *pool, umf_ctl_query_source_t source, const char *name, void *arg, size_t size, umf_ctl_query_type_t queryType, va_list args);

    /// @brief Gives cached memory back to the provider, keeping at least minBytesToKeep (optional).
    /// @param pool the private state
    /// @param minBytesToKeep bytes the pool may keep
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_trim_memory)(void *pool, size_t minBytesToKeep);
} umf_memory_pool_ops_t;

#ifdef __cplusplus
}
#endif

#endif /* UMF_MEMORY_POOL_OPS_H */
