/*
 * umf/experimental/ctl.h - CTL: reading statistics and setting parameters by path.
 *
 * A path is a list of nodes joined by '.', e.g. "umf.pool.by_handle.{}.stats.alloc_count".
 * Each "{}" node takes the next variadic argument: a pool or provider handle after by_handle,
 * a const char * name (then, when the next node is "{}" too, an unsigned long long index)
 * after by_name, a size_t bucket id after buckets, a const char * node name elsewhere.
 */
#ifndef UMF_CTL_H
#define UMF_CTL_H 1

#include <umf/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Reads the value of the CTL node at a path.
/// @param name the path; each "{}" in it takes one variadic argument
/// @param arg receives the value
/// @param size the size of the buffer at arg (most nodes want exactly the size of their type)
/// @return UMF_RESULT_SUCCESS; UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL name or arg, a size of 0 or a
/// wrong size; UMF_RESULT_ERROR_INVALID_CTL_PATH for a path that names no node; or the node's own error
umf_result_t umfCtlGet(const char *name, void *arg, size_t size, ...);

/// @brief Writes the value of the CTL node at a path.
/// @param name the path; each "{}" in it takes one variadic argument
/// @param arg the value
/// @param size the size of the value at arg
/// @return UMF_RESULT_SUCCESS; UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL name or arg, a size of 0 or a
/// wrong size; UMF_RESULT_ERROR_INVALID_CTL_PATH for a path that names no node; or the node's own error
umf_result_t umfCtlSet(const char *name, void *arg, size_t size, ...);

/// @brief Runs the action of the CTL node at a path.
/// @param name the path; each "{}" in it takes one variadic argument
/// @param arg an argument of the action, or NULL
/// @param size the size of the argument at arg; 0 exactly when arg is NULL
/// @return UMF_RESULT_SUCCESS; UMF_RESULT_ERROR_INVALID_ARGUMENT for a NULL name or when only one of arg and
/// size is given; UMF_RESULT_ERROR_INVALID_CTL_PATH for a path that names no node; or the node's own error
umf_result_t umfCtlExec(const char *name, void *arg, size_t size, ...);

#ifdef __cplusplus
}
#endif

#endif /* UMF_CTL_H */
