/*
 * umf/providers/provider_os_memory.h - a provider that maps memory from the operating system.
 */
#ifndef UMF_OS_MEMORY_PROVIDER_H
#define UMF_OS_MEMORY_PROVIDER_H 1

#include <umf/memory_provider.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief The first native error code of the OS memory provider.
#define UMF_OS_RESULTS_START_FROM 1000

/// @brief How memory is placed on NUMA nodes.
typedef enum umf_numa_mode_t {
    UMF_NUMA_MODE_DEFAULT = 0,    ///< The system's policy; the node list must be empty.
    UMF_NUMA_MODE_BIND = 1,       ///< Only on the listed nodes.
    UMF_NUMA_MODE_INTERLEAVE = 2, ///< Spread over the listed nodes, page by page or part by part.
    UMF_NUMA_MODE_PREFERRED = 3,  ///< On the listed node when it has room, else elsewhere.
    UMF_NUMA_MODE_SPLIT = 4,      ///< Each allocation divided among the listed nodes by weight.
    UMF_NUMA_MODE_LOCAL = 5       ///< On the node of the thread that first touches it; the node list must be empty.
} umf_numa_mode_t;

/// @brief One share of an allocation in UMF_NUMA_MODE_SPLIT.
typedef struct umf_numa_split_partition_t {
    /// @brief Relative size of the share (more than 0).
    unsigned weight;
    /// @brief The NUMA node of the share (one of the node list).
    unsigned target;
} umf_numa_split_partition_t;

/// @brief Opaque handle to the params of the OS memory provider.
typedef struct umf_os_memory_provider_params_t *umf_os_memory_provider_params_handle_t;

/// @brief Creates params with the defaults: read and write, private, no NUMA binding.
/// @param hParams receives the params
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfOsMemoryProviderParamsCreate(umf_os_memory_provider_params_handle_t *hParams);

/// @brief Destroys params (NULL is allowed).
/// @param hParams the params
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfOsMemoryProviderParamsDestroy(umf_os_memory_provider_params_handle_t hParams);

/// @brief Sets the memory protection, a combination of umf_mem_protection_flag_t values.
/// @param hParams the params
/// @param protection the protection
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfOsMemoryProviderParamsSetProtection(umf_os_memory_provider_params_handle_t hParams, unsigned protection);

/// @brief Sets whether the memory can be shared with other processes.
/// @param hParams the params
/// @param visibility the visibility
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfOsMemoryProviderParamsSetVisibility(umf_os_memory_provider_params_handle_t hParams, umf_memory_visibility_t visibility);

/// @brief Names a POSIX shared-memory object to back shared memory (NULL: an anonymous memfd).
/// @param hParams the params
/// @param shm_name the name, without '/'; copied
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfOsMemoryProviderParamsSetShmName(umf_os_memory_provider_params_handle_t hParams, const char *shm_name);

/// @brief Sets the NUMA nodes the mode applies to.
/// @param hParams the params
/// @param numa_list node ids; copied
/// @param numa_list_len the number of ids
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfOsMemoryProviderParamsSetNumaList(umf_os_memory_provider_params_handle_t hParams, unsigned *numa_list, unsigned numa_list_len);

/// @brief Sets the NUMA mode.
/// @param hParams the params
/// @param numa_mode the mode
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfOsMemoryProviderParamsSetNumaMode(umf_os_memory_provider_params_handle_t hParams, umf_numa_mode_t numa_mode);

/// @brief Sets the size of the parts interleaved over the nodes (0: page by page).
/// @param hParams the params
/// @param part_size the part size, a multiple of the page size
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfOsMemoryProviderParamsSetPartSize(umf_os_memory_provider_params_handle_t hParams, size_t part_size);

/// @brief Sets the shares of UMF_NUMA_MODE_SPLIT (none: equal shares over the node list).
/// @param hParams the params
/// @param partitions the shares; copied
/// @param partitions_len the number of shares
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfOsMemoryProviderParamsSetPartitions(umf_os_memory_provider_params_handle_t hParams, umf_numa_split_partition_t *partitions, unsigned partitions_len);

/// @brief Sets the provider's name (default "OS").
/// @param hParams the params
/// @param name the name; copied
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfOsMemoryProviderParamsSetName(umf_os_memory_provider_params_handle_t hParams, const char *name);

/// @brief Native error codes of the OS memory provider.
typedef enum umf_os_memory_provider_native_error {
    UMF_OS_RESULT_SUCCESS = UMF_OS_RESULTS_START_FROM, ///< Success.
    UMF_OS_RESULT_ERROR_ALLOC_FAILED,                  ///< Mapping memory failed.
    UMF_OS_RESULT_ERROR_ADDRESS_NOT_ALIGNED,           ///< The memory was not aligned as asked.
    UMF_OS_RESULT_ERROR_BIND_FAILED,                   ///< Binding memory to NUMA nodes failed.
    UMF_OS_RESULT_ERROR_FREE_FAILED,                   ///< Unmapping memory failed.
    UMF_OS_RESULT_ERROR_PURGE_LAZY_FAILED,             ///< A lazy purge failed.
    UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED,            ///< A forced purge failed.
    UMF_OS_RESULT_ERROR_TOPO_DISCOVERY_FAILED          ///< Reading the NUMA topology failed.
} umf_os_memory_provider_native_error_t;

/// @brief The operations of the OS memory provider; its params are umf_os_memory_provider_params_handle_t.
/// @return the operations
const umf_memory_provider_ops_t *umfOsMemoryProviderOps(void);

#ifdef __cplusplus
}
#endif

#endif /* UMF_OS_MEMORY_PROVIDER_H */
