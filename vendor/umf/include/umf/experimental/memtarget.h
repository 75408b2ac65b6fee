/*
 * umf/experimental/memtarget.h - a memory target: one place memory can come from (a NUMA node).
 */
#ifndef UMF_MEMTARGET_H
#define UMF_MEMTARGET_H 1

#include <stddef.h>

#include <umf/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Opaque handle to a memory target.
typedef struct umf_memtarget_t *umf_memtarget_handle_t;
/// @brief Read-only handle to a memory target.
typedef const struct umf_memtarget_t *umf_const_memtarget_handle_t;

/// @brief The kind of a memory target.
typedef enum umf_memtarget_type_t {
    UMF_MEMTARGET_TYPE_UNKNOWN = 0, ///< Not known.
    UMF_MEMTARGET_TYPE_NUMA = 1     ///< A NUMA node.
} umf_memtarget_type_t;

/// @brief Reports the kind of a memory target.
/// @param hMemtarget the memory target
/// @param type receives its kind
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT when an argument is NULL
umf_result_t umfMemtargetGetType(umf_const_memtarget_handle_t hMemtarget, umf_memtarget_type_t *type);

/// @brief Reports how many bytes of memory a memory target holds.
/// @param hMemtarget the memory target
/// @param capacity receives the size in bytes
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT when an argument is NULL
umf_result_t umfMemtargetGetCapacity(umf_const_memtarget_handle_t hMemtarget, size_t *capacity);

/// @brief Reports the id of a memory target: for a NUMA node, its operating-system index.
/// @param hMemtarget the memory target
/// @param id receives the id
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT when an argument is NULL
umf_result_t umfMemtargetGetId(umf_const_memtarget_handle_t hMemtarget, unsigned *id);

#ifdef __cplusplus
}
#endif

#endif /* UMF_MEMTARGET_H */
