/*
 * umf.h - the Unified Memory Framework, version 1.1 API (this project's implementation).
 *
 * Include this header for the framework's lifetime functions and the core pool
 * and provider interfaces.
 */
#ifndef UMF_UNIFIED_MEMORY_FRAMEWORK_H
#define UMF_UNIFIED_MEMORY_FRAMEWORK_H 1

#include <umf/base.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Takes a reference on the framework's global state, creating it on the first call.
/// @details The library calls this itself when it is loaded; a program that loads it with dlopen
///          may call it again after dlopen. Every call must be balanced by umfTearDown().
/// @return UMF_RESULT_SUCCESS on success, or the error that stopped initialization.
umf_result_t umfInit(void);

/// @brief Drops a reference taken by umfInit(); the last one releases the global state.
/// @details Calling it more times than umfInit() is harmless and returns UMF_RESULT_SUCCESS.
/// @return UMF_RESULT_SUCCESS.
umf_result_t umfTearDown(void);

/// @brief Tells which version of the API this library implements.
/// @return the version, as built by UMF_MAKE_VERSION (UMF_VERSION_CURRENT).
int umfGetCurrentVersion(void);

#ifdef __cplusplus
}
#endif

#endif /* UMF_UNIFIED_MEMORY_FRAMEWORK_H */
