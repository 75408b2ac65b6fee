/*
 * umf/base.h - versions, result codes and other types shared by the whole API.
 */
#ifndef UMF_BASE_H
#define UMF_BASE_H 1

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Builds a version number from its major and minor parts.
#define UMF_MAKE_VERSION(_major, _minor) ((_major << 16) | (_minor & 0x0000ffff))

/// @brief The major part of a version number.
#define UMF_MAJOR_VERSION(_ver) (_ver >> 16)

/// @brief The minor part of a version number.
#define UMF_MINOR_VERSION(_ver) (_ver & 0x0000ffff)

/// @brief The version of the API this header describes.
#define UMF_VERSION_CURRENT UMF_MAKE_VERSION(1, 0)

/// @brief The result of an operation.
typedef enum umf_result_t {
    UMF_RESULT_SUCCESS = 0,                ///< The operation succeeded.
    UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY = 1, ///< Host memory ran out.
    UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC = 2, ///< The provider failed; umfMemoryProviderGetLastNativeError() tells why.
    UMF_RESULT_ERROR_INVALID_ARGUMENT = 3, ///< An argument was not valid.
    UMF_RESULT_ERROR_INVALID_ALIGNMENT = 4, ///< An alignment was not valid.
    UMF_RESULT_ERROR_NOT_SUPPORTED = 5,    ///< The operation is not supported.
    UMF_RESULT_ERROR_USER_SPECIFIC = 6,    ///< A user-written callback failed.
    UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE = 7, ///< A library the operation needs could not be loaded.
    UMF_RESULT_ERROR_OUT_OF_RESOURCES = 8, ///< A resource other than memory ran out.
    UMF_RESULT_ERROR_INVALID_CTL_PATH = 9, ///< A CTL path names no node.
    UMF_RESULT_ERROR_UNKNOWN = 0x7ffffffe  ///< An error with no better code.
} umf_result_t;

/// @brief Opaque handle to the properties of one allocation.
typedef struct umf_memory_properties_t *umf_memory_properties_handle_t;

/// @brief Identifies a property of an allocation.
typedef enum umf_memory_property_id_t {
    UMF_MEMORY_PROPERTY_INVALID = -1,        ///< Not a property.
    UMF_MEMORY_PROPERTY_PROVIDER_HANDLE = 0, ///< The provider the memory came from (umf_memory_provider_handle_t).
    UMF_MEMORY_PROPERTY_POOL_HANDLE = 1,     ///< The pool the memory came from (umf_memory_pool_handle_t).
    UMF_MEMORY_PROPERTY_BASE_ADDRESS = 10,   ///< Start of the provider allocation holding the pointer (uintptr_t).
    UMF_MEMORY_PROPERTY_BASE_SIZE = 11,      ///< Size of the provider allocation holding the pointer (size_t).
    UMF_MEMORY_PROPERTY_BUFFER_ID = 12,      ///< A number unique to that provider allocation (uint64_t).
    UMF_MEMORY_PROPERTY_POINTER_TYPE = 20,   ///< The kind of memory (umf_usm_memory_type_t).
    UMF_MEMORY_PROPERTY_CONTEXT = 21,        ///< The GPU context of the memory, for GPU providers.
    UMF_MEMORY_PROPERTY_DEVICE = 22,         ///< The GPU device of the memory, for GPU providers.
    UMF_MEMORY_PROPERTY_MAX_RESERVED = 0x1000 ///< Ids above this one are free for providers' own properties.
} umf_memory_property_id_t;

/// @brief The kind of a CTL query.
typedef enum umf_ctl_query_type {
    CTL_QUERY_READ = 0,    ///< Read a value.
    CTL_QUERY_WRITE = 1,   ///< Write a value.
    CTL_QUERY_RUNNABLE = 2 ///< Run an action.
} umf_ctl_query_type_t;

/// @brief Where a CTL query comes from.
typedef enum ctl_query_source {
    CTL_UNKNOWN_QUERY_SOURCE = 0, ///< Not known.
    CTL_QUERY_PROGRAMMATIC = 1,   ///< A call of the CTL API.
    CTL_QUERY_CONFIG_INPUT = 2    ///< The UMF_CONF environment variable or the UMF_CONF_FILE file.
} umf_ctl_query_source_t;

#ifdef __cplusplus
}
#endif

#endif /* UMF_BASE_H */
