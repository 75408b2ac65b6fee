/*
 * umf/experimental/memspace.h - memspaces: sets of memory targets to create providers and pools from.
 */
#ifndef UMF_MEMSPACE_H
#define UMF_MEMSPACE_H 1

#include <stddef.h>
#include <stdint.h>

#include <umf/base.h>
#include <umf/experimental/mempolicy.h>
#include <umf/experimental/memtarget.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Opaque handle to a memspace.
typedef struct umf_memspace_t *umf_memspace_handle_t;
/// @brief Read-only handle to a memspace (the predefined memspaces are read-only).
typedef const struct umf_memspace_t *umf_const_memspace_handle_t;

/// @brief Decides whether a memory target stays in a memspace (umfMemspaceUserFilter).
/// @param hMemspace the memspace being filtered
/// @param hMemtarget one of its targets
/// @param args what the caller passed to umfMemspaceUserFilter
/// @return 0 to remove the target, more than 0 to keep it, less than 0 for an error (nothing is removed)
typedef int (*umf_memspace_filter_func_t)(umf_const_memspace_handle_t hMemspace, umf_const_memtarget_handle_t hMemtarget, void *args);

/// @brief Creates a pool from a memspace: a disjoint pool with default params over the provider
///        umfMemoryProviderCreateFromMemspace gives, which the pool owns.
/// @details UMF 1.1 always answers UMF_RESULT_ERROR_NOT_SUPPORTED here; this library creates the pool.
/// @param hMemspace the memspace
/// @param hPolicy the policy, or NULL for the memspace's default placement
/// @param hPool receives the pool
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT for NULL arguments or an empty memspace, or
///         the error of creating the provider or the pool
umf_result_t umfPoolCreateFromMemspace(umf_const_memspace_handle_t hMemspace, umf_const_mempolicy_handle_t hPolicy, umf_memory_pool_handle_t *hPool);

/// @brief Creates an OS memory provider that places memory on the targets of a memspace.
/// @details The policy picks the NUMA mode (interleave with its part size, bind, preferred, split with its
///          shares). Without a policy, the HostAll memspace gives the system's default placement and any
///          other memspace binds to its nodes; the HighestCapacity memspace always uses its first node only.
/// @param hMemspace the memspace
/// @param hPolicy the policy, or NULL
/// @param hProvider receives the provider
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT for NULL arguments or an empty memspace, or
///         the error of creating the OS memory provider
umf_result_t umfMemoryProviderCreateFromMemspace(umf_const_memspace_handle_t hMemspace, umf_const_mempolicy_handle_t hPolicy, umf_memory_provider_handle_t *hProvider);

/// @brief Creates a memspace of the given NUMA nodes, in the given order.
/// @param nodeIds the operating-system indexes of the nodes
/// @param numIds how many ids nodeIds holds
/// @param hMemspace receives the memspace
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT for NULL arguments, numIds 0, a node that does not
///         exist or one given twice, UMF_RESULT_ERROR_NOT_SUPPORTED without hwloc, or UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY
umf_result_t umfMemspaceCreateFromNumaArray(unsigned *nodeIds, size_t numIds, umf_memspace_handle_t *hMemspace);

/// @brief Destroys a memspace and its targets.
/// @param hMemspace the memspace
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT when it is NULL or a predefined memspace
umf_result_t umfMemspaceDestroy(umf_memspace_handle_t hMemspace);

/// @brief The memspace of every NUMA node of the machine, in operating-system index order.
/// @details Built on first use, shared, never changed, released by the last umfTearDown.
/// @return the memspace, or NULL without hwloc or when the topology cannot be read
umf_const_memspace_handle_t umfMemspaceHostAllGet(void);

/// @brief The NUMA nodes of the machine from the largest to the smallest.
/// @details Built on first use, shared, never changed, released by the last umfTearDown.
/// @return the memspace, or NULL without hwloc or when the topology cannot be read
umf_const_memspace_handle_t umfMemspaceHighestCapacityGet(void);

/// @brief For each NUMA node's CPUs, the node they reach with the highest bandwidth (hwloc's memory
///        attributes, from ACPI HMAT on real machines); each node once, in the order of first finding.
/// @details A node hwloc gives no value for as an initiator (a CPU-less node such as HBM or CXL memory)
///          does not pick a node of its own; UMF 1.1 returns NULL there.
/// @return the memspace, or NULL when the machine has no bandwidth values (no HMAT) or without hwloc
umf_const_memspace_handle_t umfMemspaceHighestBandwidthGet(void);

/// @brief For each NUMA node's CPUs, the node they reach with the lowest latency; as
///        umfMemspaceHighestBandwidthGet otherwise.
/// @return the memspace, or NULL when the machine has no latency values (no HMAT) or without hwloc
umf_const_memspace_handle_t umfMemspaceLowestLatencyGet(void);

/// @brief Creates an empty memspace, to fill with umfMemspaceMemtargetAdd.
/// @param hMemspace receives the memspace
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT when hMemspace is NULL, or UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY
umf_result_t umfMemspaceNew(umf_memspace_handle_t *hMemspace);

/// @brief Reports how many targets a memspace holds.
/// @param hMemspace the memspace
/// @return the number of targets, 0 when hMemspace is NULL
size_t umfMemspaceMemtargetNum(umf_const_memspace_handle_t hMemspace);

/// @brief Gets one target of a memspace.
/// @details The handle is valid while the target stays in the memspace.
/// @param hMemspace the memspace
/// @param targetNum the index of the target, from 0
/// @return the target, or NULL when hMemspace is NULL or targetNum is not less than the number of targets
umf_const_memtarget_handle_t umfMemspaceMemtargetGet(umf_const_memspace_handle_t hMemspace, unsigned targetNum);

/// @brief Adds a copy of a memory target at the end of a memspace.
/// @param hMemspace the memspace
/// @param hMemtarget the target (from any memspace)
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT for NULL arguments, a predefined memspace, a target
///         already there or one of another type, or UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY
umf_result_t umfMemspaceMemtargetAdd(umf_memspace_handle_t hMemspace, umf_const_memtarget_handle_t hMemtarget);

/// @brief Removes the target equal to hMemtarget (same type and id) from a memspace.
/// @param hMemspace the memspace
/// @param hMemtarget the target (from any memspace)
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT for NULL arguments, a predefined memspace or a
///         target that is not there
umf_result_t umfMemspaceMemtargetRemove(umf_memspace_handle_t hMemspace, umf_const_memtarget_handle_t hMemtarget);

/// @brief Copies a memspace (a predefined one included) into a new, changeable one.
/// @param hMemspace the memspace
/// @param hNewMemspace receives the copy
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT for NULL arguments, or UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY
umf_result_t umfMemspaceClone(umf_const_memspace_handle_t hMemspace, umf_memspace_handle_t *hNewMemspace);

/// @brief Keeps only the targets whose id is listed.
/// @details Every target is checked before any is removed; the memspace may end up empty.
/// @param hMemspace the memspace
/// @param ids the ids to keep
/// @param size how many ids the list holds
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT for NULL arguments, size 0 or a predefined memspace
umf_result_t umfMemspaceFilterById(umf_memspace_handle_t hMemspace, unsigned *ids, size_t size);

/// @brief Keeps only the targets of at least size bytes.
/// @details Every target is checked before any is removed; the memspace may end up empty.
/// @param hMemspace the memspace
/// @param size the least capacity in bytes
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL or predefined memspace or a negative size
umf_result_t umfMemspaceFilterByCapacity(umf_memspace_handle_t hMemspace, int64_t size);

/// @brief Keeps the targets that filter keeps.
/// @details filter is called for every target first; when it fails for any (returns less than 0), nothing is
///          removed. The memspace may end up empty.
/// @param hMemspace the memspace
/// @param filter the predicate
/// @param args passed to each call of filter
/// @return UMF_RESULT_SUCCESS, UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL or predefined memspace or a NULL filter,
///         or UMF_RESULT_ERROR_USER_SPECIFIC when filter failed
umf_result_t umfMemspaceUserFilter(umf_memspace_handle_t hMemspace, umf_memspace_filter_func_t filter, void *args);

#ifdef __cplusplus
}
#endif

#endif /* UMF_MEMSPACE_H */
