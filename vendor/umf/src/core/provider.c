/* The memory provider API: creating providers from ops tables and calling their operations. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <umf/memory_provider.h>

#include "core/core.h"
#include "core/ctl_internal.h"

/* Offset of the first 1.1 member: a 1.0 ops table is this long. */
#define PROVIDER_OPS_V1_0_SIZE offsetof(umf_memory_provider_ops_t, ext_get_allocation_properties)

static __thread umf_memory_provider_handle_t tls_last_failed;

void umf_provider_note_result(umf_memory_provider_handle_t hProvider, umf_result_t rc) {
    if (UMF_UNLIKELY(rc != UMF_RESULT_SUCCESS)) {
        /* a pool's tracking wrapper is internal: report the provider the user knows */
        tls_last_failed = hProvider->upstream ? hProvider->upstream : hProvider;
    }
}

/* Defaults for optional ops the table leaves NULL. */
static umf_result_t default_purge(void *p, void *ptr, size_t size) { return UMF_RESULT_ERROR_NOT_SUPPORTED; }
static umf_result_t default_merge(void *p, void *low, void *high, size_t total) { return UMF_RESULT_ERROR_NOT_SUPPORTED; }
static umf_result_t default_split(void *p, void *ptr, size_t total, size_t first) { return UMF_RESULT_ERROR_NOT_SUPPORTED; }
static umf_result_t default_ipc_size(void *p, size_t *size) { return UMF_RESULT_ERROR_NOT_SUPPORTED; }
static umf_result_t default_ipc_get(void *p, const void *ptr, size_t size, void *data) { return UMF_RESULT_ERROR_NOT_SUPPORTED; }
static umf_result_t default_ipc_put(void *p, void *data) { return UMF_RESULT_ERROR_NOT_SUPPORTED; }
static umf_result_t default_ipc_open(void *p, void *data, void **ptr) { return UMF_RESULT_ERROR_NOT_SUPPORTED; }
static umf_result_t default_ipc_close(void *p, void *ptr, size_t size) { return UMF_RESULT_ERROR_NOT_SUPPORTED; }
static umf_result_t default_ctl(void *p, umf_ctl_query_source_t source, const char *name, void *arg, size_t size,
                                umf_ctl_query_type_t type, va_list args) {
    return UMF_RESULT_ERROR_INVALID_CTL_PATH;
}
static umf_result_t default_props(void *p, const void *ptr, umf_memory_property_id_t id, void *value) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
static umf_result_t default_props_size(void *p, umf_memory_property_id_t id, size_t *size) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

bool umf_provider_has_allocation_properties(umf_memory_provider_handle_t h) {
    return h->ops.ext_get_allocation_properties != default_props;
}

/* Checks an ops table and copies it, upgraded to the 1.1 layout, with defaults for NULL optional ops. */
static umf_result_t normalize_ops(const umf_memory_provider_ops_t *in, umf_memory_provider_ops_t *out) {
    if (UMF_MAJOR_VERSION(in->version) != 1 || UMF_MINOR_VERSION(in->version) > 1) {
        LOG_ERR("unsupported provider ops version %u.%u (this library implements 1.1)",
                UMF_MAJOR_VERSION(in->version), UMF_MINOR_VERSION(in->version));
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    memset(out, 0, sizeof(*out));
    if (in->version == UMF_PROVIDER_OPS_VERSION_CURRENT) {
        *out = *in;
    } else {
        LOG_WARN("provider ops version 1.0: upgrading to 1.1");
        memcpy(out, in, PROVIDER_OPS_V1_0_SIZE);
    }
    if (!out->initialize || !out->finalize || !out->alloc || !out->free || !out->get_last_native_error ||
        !out->get_recommended_page_size || !out->get_min_page_size || !out->get_name) {
        LOG_ERR("a mandatory provider op is missing");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (!out->ext_allocation_split != !out->ext_allocation_merge) {
        LOG_ERR("ext_allocation_split and ext_allocation_merge must be given together");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    int ipc_ops = !!out->ext_get_ipc_handle_size + !!out->ext_get_ipc_handle + !!out->ext_put_ipc_handle +
                  !!out->ext_open_ipc_handle + !!out->ext_close_ipc_handle;
    if (ipc_ops != 0 && ipc_ops != 5) {
        LOG_ERR("the five IPC ops must be given together");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (!out->ext_get_allocation_properties != !out->ext_get_allocation_properties_size) {
        LOG_ERR("the two allocation-property ops must be given together");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (!out->ext_purge_lazy) out->ext_purge_lazy = default_purge;
    if (!out->ext_purge_force) out->ext_purge_force = default_purge;
    if (!out->ext_allocation_merge) {
        out->ext_allocation_merge = default_merge;
        out->ext_allocation_split = default_split;
    }
    if (!ipc_ops) {
        out->ext_get_ipc_handle_size = default_ipc_size;
        out->ext_get_ipc_handle = default_ipc_get;
        out->ext_put_ipc_handle = default_ipc_put;
        out->ext_open_ipc_handle = default_ipc_open;
        out->ext_close_ipc_handle = default_ipc_close;
    }
    if (!out->ext_ctl) out->ext_ctl = default_ctl;
    if (!out->ext_get_allocation_properties) {
        out->ext_get_allocation_properties = default_props;
        out->ext_get_allocation_properties_size = default_props_size;
    }
    out->version = UMF_PROVIDER_OPS_VERSION_CURRENT;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umf_provider_run_ctl(umf_memory_provider_handle_t h, umf_ctl_query_source_t source, const char *name,
                                  void *arg, size_t size, umf_ctl_query_type_t type, ...) {
    va_list args;
    va_start(args, type);
    umf_result_t rc = h->ops.ext_ctl(h->priv, source, name, arg, size, type, args);
    va_end(args);
    return rc;
}

umf_result_t umf_provider_ctl_query(umf_memory_provider_handle_t h, umf_ctl_query_source_t source, const char *name,
                                    void *arg, size_t size, umf_ctl_query_type_t type, va_list args) {
    return h->ops.ext_ctl(h->priv, source, name, arg, size, type, args);
}

/* One default of umf.provider.default.<name>: a write to the new provider (its answer only logged, as in UMF). */
static void apply_provider_default(void *ctx, umf_ctl_query_source_t source, const char *key, void *value,
                                   size_t size) {
    umf_result_t rc = umf_provider_run_ctl(ctx, source, key, value, size, CTL_QUERY_WRITE);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_WARN("provider default %s not applied: %d", key, rc);
    }
}

umf_result_t umfMemoryProviderCreate(const umf_memory_provider_ops_t *ops, const void *params,
                                     umf_memory_provider_handle_t *hProvider) {
    if (ops == NULL || hProvider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_memory_provider_handle_t h = calloc(1, sizeof(*h));
    if (h == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    umf_result_t rc = normalize_ops(ops, &h->ops);
    if (rc != UMF_RESULT_SUCCESS) {
        free(h);
        return rc;
    }
    rc = h->ops.initialize(params, &h->priv);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_DEBUG("provider initialize failed: %d", rc);
        free(h);
        return rc;
    }
    const char *name = NULL;
    if (h->ops.get_name(h->priv, &name) != UMF_RESULT_SUCCESS || !umf_name_is_valid(name)) {
        LOG_WARN("provider name \"%s\" is not valid for CTL lookups", name ? name : "(null)");
        name = NULL;
    }
    /* as for pools (pool.c): the defaults of the kind's name, then those of this provider's own name */
    const char *kind = NULL;
    if (h->ops.get_name(NULL, &kind) != UMF_RESULT_SUCCESS || !umf_name_is_valid(kind)) {
        kind = NULL;
    }
    if (kind) {
        umf_ctl_apply_defaults(UMF_CTL_KIND_PROVIDER, kind, apply_provider_default, h);
    }
    if (name && (kind == NULL || strcmp(kind, name) != 0)) {
        umf_ctl_apply_defaults(UMF_CTL_KIND_PROVIDER, name, apply_provider_default, h);
    }
    if (UMF_MINOR_VERSION(ops->version) >= 1) {
        rc = umf_provider_run_ctl(h, CTL_QUERY_PROGRAMMATIC, "post_initialize", NULL, 0, CTL_QUERY_RUNNABLE);
        if (rc != UMF_RESULT_SUCCESS && rc != UMF_RESULT_ERROR_INVALID_CTL_PATH) {
            LOG_ERR("provider post_initialize failed: %d", rc);
            h->ops.finalize(h->priv);
            free(h);
            return rc;
        }
    }
    *hProvider = h;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfMemoryProviderDestroy(umf_memory_provider_handle_t hProvider) {
    if (hProvider == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    umf_result_t rc = hProvider->ops.finalize(hProvider->priv);
    if (tls_last_failed == hProvider) {
        tls_last_failed = NULL;
    }
    free(hProvider);
    return rc;
}

umf_result_t umfMemoryProviderAlloc(umf_memory_provider_handle_t hProvider, size_t size, size_t alignment, void **ptr) {
    if (UMF_UNLIKELY(hProvider == NULL || ptr == NULL)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.alloc(hProvider->priv, size, alignment, ptr);
    umf_provider_note_result(hProvider, rc);
    return rc;
}

umf_result_t umfMemoryProviderFree(umf_memory_provider_handle_t hProvider, void *ptr, size_t size) {
    if (UMF_UNLIKELY(hProvider == NULL)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.free(hProvider->priv, ptr, size);
    umf_provider_note_result(hProvider, rc);
    return rc;
}

umf_result_t umfMemoryProviderGetLastNativeError(umf_memory_provider_handle_t hProvider, const char **ppMessage,
                                                 int32_t *pError) {
    if (hProvider == NULL || ppMessage == NULL || pError == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return hProvider->ops.get_last_native_error(hProvider->priv, ppMessage, pError);
}

umf_result_t umfMemoryProviderGetRecommendedPageSize(umf_memory_provider_handle_t hProvider, size_t size,
                                                     size_t *pageSize) {
    if (hProvider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.get_recommended_page_size(hProvider->priv, size, pageSize);
    umf_provider_note_result(hProvider, rc);
    return rc;
}

umf_result_t umfMemoryProviderGetMinPageSize(umf_memory_provider_handle_t hProvider, const void *ptr,
                                             size_t *pageSize) {
    if (hProvider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.get_min_page_size(hProvider->priv, ptr, pageSize);
    umf_provider_note_result(hProvider, rc);
    return rc;
}

umf_result_t umfMemoryProviderPurgeLazy(umf_memory_provider_handle_t hProvider, void *ptr, size_t size) {
    if (hProvider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.ext_purge_lazy(hProvider->priv, ptr, size);
    umf_provider_note_result(hProvider, rc);
    return rc;
}

umf_result_t umfMemoryProviderPurgeForce(umf_memory_provider_handle_t hProvider, void *ptr, size_t size) {
    if (hProvider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.ext_purge_force(hProvider->priv, ptr, size);
    umf_provider_note_result(hProvider, rc);
    return rc;
}

umf_result_t umfMemoryProviderGetIPCHandleSize(umf_memory_provider_handle_t hProvider, size_t *size) {
    if (hProvider == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.ext_get_ipc_handle_size(hProvider->priv, size);
    umf_provider_note_result(hProvider, rc);
    return rc;
}

umf_result_t umfMemoryProviderGetIPCHandle(umf_memory_provider_handle_t hProvider, const void *ptr, size_t size,
                                           void *providerIpcData) {
    if (hProvider == NULL || ptr == NULL || size == 0 || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.ext_get_ipc_handle(hProvider->priv, ptr, size, providerIpcData);
    umf_provider_note_result(hProvider, rc);
    return rc;
}

umf_result_t umfMemoryProviderPutIPCHandle(umf_memory_provider_handle_t hProvider, void *providerIpcData) {
    if (hProvider == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.ext_put_ipc_handle(hProvider->priv, providerIpcData);
    umf_provider_note_result(hProvider, rc);
    return rc;
}

umf_result_t umfMemoryProviderOpenIPCHandle(umf_memory_provider_handle_t hProvider, void *providerIpcData,
                                            void **ptr) {
    if (hProvider == NULL || providerIpcData == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.ext_open_ipc_handle(hProvider->priv, providerIpcData, ptr);
    umf_provider_note_result(hProvider, rc);
    return rc;
}

umf_result_t umfMemoryProviderCloseIPCHandle(umf_memory_provider_handle_t hProvider, void *ptr, size_t size) {
    if (hProvider == NULL || ptr == NULL || size == 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.ext_close_ipc_handle(hProvider->priv, ptr, size);
    umf_provider_note_result(hProvider, rc);
    return rc;
}

umf_result_t umfMemoryProviderGetName(umf_memory_provider_handle_t hProvider, const char **name) {
    if (hProvider == NULL || name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.get_name(hProvider->priv, name);
    umf_provider_note_result(hProvider, rc);
    return rc;
}

umf_result_t umfGetLastFailedMemoryProvider(umf_memory_provider_handle_t *provider) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *provider = tls_last_failed;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfMemoryProviderAllocationSplit(umf_memory_provider_handle_t hProvider, void *ptr, size_t totalSize,
                                              size_t firstSize) {
    if (hProvider == NULL || ptr == NULL || firstSize == 0 || firstSize >= totalSize) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.ext_allocation_split(hProvider->priv, ptr, totalSize, firstSize);
    umf_provider_note_result(hProvider, rc);
    return rc;
}

umf_result_t umfMemoryProviderAllocationMerge(umf_memory_provider_handle_t hProvider, void *lowPtr, void *highPtr,
                                              size_t totalSize) {
    if (hProvider == NULL || lowPtr == NULL || highPtr == NULL || totalSize == 0 ||
        (uintptr_t)lowPtr >= (uintptr_t)highPtr || (uintptr_t)highPtr - (uintptr_t)lowPtr >= totalSize) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = hProvider->ops.ext_allocation_merge(hProvider->priv, lowPtr, highPtr, totalSize);
    umf_provider_note_result(hProvider, rc);
    return rc;
}
