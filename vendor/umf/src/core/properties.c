/* Memory properties: what the tracker knows of an allocation, and what its provider adds. */
#include <string.h>

#include <umf/experimental/memory_properties.h>
#include <umf/memory_provider_gpu.h>

#include "core/core.h"

/* The IPC component, when built in, tracks the mappings of opened IPC handles. */
extern umf_alloc_info_t *umf_ipc_find_opened(const void *ptr) __attribute__((weak));

umf_result_t umfGetMemoryPropertiesHandle(const void *ptr, umf_memory_properties_handle_t *props_handle) {
    if (props_handle == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_tracker_t *tracker = umf_global_tracker();
    umf_alloc_info_t *entry = (tracker && ptr) ? umf_tracker_find(tracker, ptr) : NULL;
    if (entry == NULL && ptr != NULL && umf_ipc_find_opened) {
        entry = umf_ipc_find_opened(ptr);
    }
    if (entry == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *props_handle = entry;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfGetMemoryPropertySize(umf_memory_properties_handle_t props_handle,
                                      umf_memory_property_id_t memory_property_id, size_t *size) {
    if (props_handle == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    switch (memory_property_id) {
    case UMF_MEMORY_PROPERTY_INVALID:
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    case UMF_MEMORY_PROPERTY_PROVIDER_HANDLE:
        *size = sizeof(umf_memory_provider_handle_t);
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_POOL_HANDLE:
        *size = sizeof(umf_memory_pool_handle_t);
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_BASE_ADDRESS:
        *size = sizeof(uintptr_t);
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_BASE_SIZE:
        *size = sizeof(size_t);
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_BUFFER_ID:
        *size = sizeof(uint64_t);
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_POINTER_TYPE:
        *size = sizeof(umf_usm_memory_type_t);
        return UMF_RESULT_SUCCESS;
    default: {
        umf_memory_provider_handle_t provider = props_handle->provider;
        if (provider == NULL) {
            return UMF_RESULT_ERROR_NOT_SUPPORTED;
        }
        return provider->ops.ext_get_allocation_properties_size(provider->priv, memory_property_id, size);
    }
    }
}

umf_result_t umfGetMemoryProperty(umf_memory_properties_handle_t props_handle,
                                  umf_memory_property_id_t memory_property_id, void *property_value,
                                  size_t max_property_size) {
    if (props_handle == NULL || property_value == NULL || max_property_size == 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t size = 0;
    umf_result_t rc = umfGetMemoryPropertySize(props_handle, memory_property_id, &size);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    if (size > max_property_size) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const umf_alloc_info_t *p = props_handle;
    switch (memory_property_id) {
    case UMF_MEMORY_PROPERTY_PROVIDER_HANDLE:
        memcpy(property_value, &p->provider, sizeof(p->provider));
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_POOL_HANDLE:
        memcpy(property_value, &p->pool, sizeof(p->pool));
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_BASE_ADDRESS: {
        uintptr_t base = (uintptr_t)p->base;
        memcpy(property_value, &base, sizeof(base));
        return UMF_RESULT_SUCCESS;
    }
    case UMF_MEMORY_PROPERTY_BASE_SIZE:
        memcpy(property_value, &p->base_size, sizeof(p->base_size));
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_BUFFER_ID:
        memcpy(property_value, &p->id, sizeof(p->id));
        return UMF_RESULT_SUCCESS;
    case UMF_MEMORY_PROPERTY_POINTER_TYPE:
        memcpy(property_value, &p->memory_type, sizeof(p->memory_type));
        return UMF_RESULT_SUCCESS;
    default:
        return p->provider->ops.ext_get_allocation_properties(p->provider->priv, p->base, memory_property_id,
                                                              property_value);
    }
}
