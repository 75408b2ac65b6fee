/*
 * umf/memory_provider_ops.h - the operations a memory provider implements.
 */
#ifndef UMF_MEMORY_PROVIDER_OPS_H
#define UMF_MEMORY_PROVIDER_OPS_H 1

#include <stdarg.h>

#include <umf/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief The version of umf_memory_provider_ops_t this header describes.
#define UMF_PROVIDER_OPS_VERSION_CURRENT UMF_MAKE_VERSION(1, 1)

/// @brief The operations of a memory provider.
/// @details Each operation gets the private state that initialize() returned. The ones whose
///          names start with ext_ are optional: leave them NULL and the framework answers
///          UMF_RESULT_ERROR_NOT_SUPPORTED (UMF_RESULT_ERROR_INVALID_CTL_PATH for ext_ctl).
///          Optional operations that belong together must be given together: split with merge,
///          the five IPC operations, the two allocation-property operations.
typedef struct umf_memory_provider_ops_t {
    /// @brief Must be UMF_PROVIDER_OPS_VERSION_CURRENT; a 1.0 table is accepted too.
    uint32_t version;

    /// @brief Creates the provider's private state from its params.
    /// @param params the params given to umfMemoryProviderCreate()
    /// @param provider receives the private state
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*initialize)(const void *params, void **provider);

    /// @brief Frees the private state.
    /// @param provider the private state
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*finalize)(void *provider);

    /// @brief Allocates size bytes aligned to alignment (0 means the provider's default).
    /// @param provider the private state
    /// @param size bytes to allocate
    /// @param alignment required alignment, 0 for the default
    /// @param ptr receives the allocation
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*alloc)(void *provider, size_t size, size_t alignment, void **ptr);

    /// @brief Frees an allocation of size bytes made by alloc().
    /// @param provider the private state
    /// @param ptr the allocation
    /// @param size its size
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*free)(void *provider, void *ptr, size_t size);

    /// @brief Reports the provider's last native error on the calling thread.
    /// @param provider the private state
    /// @param ppMessage receives a message
    /// @param pError receives the native code
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*get_last_native_error)(void *provider, const char **ppMessage, int32_t *pError);

    /// @brief Reports the page size that suits an allocation of size bytes.
    /// @param provider the private state
    /// @param size an allocation size
    /// @param pageSize receives the page size
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*get_recommended_page_size)(void *provider, size_t size, size_t *pageSize);

    /// @brief Reports the smallest page size of the memory at ptr (or of the provider when ptr is NULL).
    /// @param provider the private state
    /// @param ptr an allocation or NULL
    /// @param pageSize receives the page size
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*get_min_page_size)(void *provider, const void *ptr, size_t *pageSize);

    /// @brief Reports the provider's name; with provider NULL, the default name of its kind.
    /// @param provider the private state or NULL
    /// @param name receives the name
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*get_name)(void *provider, const char **name);

    /// @brief Lets the provider drop the pages of a range when it needs them (optional).
    /// @param provider the private state
    /// @param ptr start of the range
    /// @param size size of the range
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_purge_lazy)(void *provider, void *ptr, size_t size);

    /// @brief Drops the pages of a range at once (optional).
    /// @param provider the private state
    /// @param ptr start of the range
    /// @param size size of the range
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_purge_force)(void *provider, void *ptr, size_t size);

    /// @brief Merges two adjacent allocations into one (optional, given with ext_allocation_split).
    /// @param hProvider the private state
    /// @param lowPtr the lower allocation
    /// @param highPtr the higher allocation
    /// @param totalSize the size of both together
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_allocation_merge)(void *hProvider, void *lowPtr, void *highPtr, size_t totalSize);

    /// @brief Splits an allocation in two at firstSize (optional, given with ext_allocation_merge).
    /// @param hProvider the private state
    /// @param ptr the allocation
    /// @param totalSize its size
    /// @param firstSize the size of the first part
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_allocation_split)(void *hProvider, void *ptr, size_t totalSize, size_t firstSize);

    /// @brief Reports the size of the provider's IPC data (optional, one of the five IPC operations).
    /// @param provider the private state
    /// @param size receives the size
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_get_ipc_handle_size)(void *provider, size_t *size);

    /// @brief Fills providerIpcData for the allocation at ptr.
    /// @param provider the private state
    /// @param ptr the allocation
    /// @param size its size
    /// @param providerIpcData the buffer to fill
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_get_ipc_handle)(void *provider, const void *ptr, size_t size, void *providerIpcData);

    /// @brief Releases what ext_get_ipc_handle() set up.
    /// @param provider the private state
    /// @param providerIpcData the IPC data
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_put_ipc_handle)(void *provider, void *providerIpcData);

    /// @brief Maps the memory that IPC data describes into this process.
    /// @param provider the private state
    /// @param providerIpcData the IPC data
    /// @param ptr receives the mapping
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_open_ipc_handle)(void *provider, void *providerIpcData, void **ptr);

    /// @brief Unmaps memory that ext_open_ipc_handle() mapped.
    /// @param provider the private state
    /// @param ptr the mapping
    /// @param size its size
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_close_ipc_handle)(void *provider, void *ptr, size_t size);

    /// @brief Answers a CTL query addressed to this provider (optional).
    /// @param provider the private state
    /// @param source where the query comes from
    /// @param name the path below the provider's node
    /// @param arg the value read or written
    /// @param size the size of arg
    /// @param queryType read, write or run
    /// @param args the query's remaining arguments
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_ctl)(void *provider, umf_ctl_query_source_t source, const char *name, void *arg, size_t size, umf_ctl_query_type_t queryType, va_list args);

    /// @brief Reads a property of the allocation at ptr (optional, given with ext_get_allocation_properties_size).
    /// @param provider the private state
    /// @param ptr the allocation
    /// @param memory_property_id the property
    /// @param property_value receives the value
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_get_allocation_properties)(void *provider, const void *ptr, umf_memory_property_id_t memory_property_id, void *property_value);

    /// @brief Reports the size of a property's value.
    /// @param provider the private state
    /// @param memory_property_id the property
    /// @param size receives the size
    /// @return UMF_RESULT_SUCCESS or an error code
    umf_result_t (*ext_get_allocation_properties_size)(void *provider, umf_memory_property_id_t memory_property_id, size_t *size);
} umf_memory_provider_ops_t;

#ifdef __cplusplus
}
#endif

#endif /* UMF_MEMORY_PROVIDER_OPS_H */
