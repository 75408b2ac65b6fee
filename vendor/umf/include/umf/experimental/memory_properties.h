/*
 * umf/experimental/memory_properties.h - reading the properties of an allocation.
 */
#ifndef UMF_MEMORY_PROPERTIES_H
#define UMF_MEMORY_PROPERTIES_H 1

#include <umf/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief Gets a handle to the properties of the tracked allocation (or opened IPC mapping) holding ptr.
/// @details The handle stays valid until that memory is freed.
/// @param ptr any address inside the allocation
/// @param props_handle receives the handle
/// @return UMF_RESULT_SUCCESS, or UMF_RESULT_ERROR_INVALID_ARGUMENT when no tracked memory holds ptr
umf_result_t umfGetMemoryPropertiesHandle(const void *ptr, umf_memory_properties_handle_t *props_handle);

/// @brief Reports the size in bytes of a property's value.
/// @param props_handle the properties
/// @param memory_property_id the property
/// @param size receives the size
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfGetMemoryPropertySize(umf_memory_properties_handle_t props_handle, umf_memory_property_id_t memory_property_id, size_t *size);

/// @brief Reads a property's value.
/// @param props_handle the properties
/// @param memory_property_id the property
/// @param property_value receives the value
/// @param max_property_size the size of the buffer at property_value
/// @return UMF_RESULT_SUCCESS or an error code
umf_result_t umfGetMemoryProperty(umf_memory_properties_handle_t props_handle, umf_memory_property_id_t memory_property_id, void *property_value, size_t max_property_size);

#ifdef __cplusplus
}
#endif

#endif /* UMF_MEMORY_PROPERTIES_H */
