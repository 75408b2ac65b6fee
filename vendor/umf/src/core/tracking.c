/*
 * The tracking provider: the wrapper a pool sees in place of the provider the user gave.
 * It forwards every op to that provider and records each allocation in the global tracker,
 * which is what lets umfFree, umfPoolByPtr, memory properties and IPC find a pointer's pool.
 */
#include <stdlib.h>

#include <umf/memory_provider_gpu.h>

#include "core/core.h"

typedef struct tracking_state_t {
    umf_memory_provider_handle_t upstream;
    umf_memory_pool_handle_t pool;
    umf_memory_provider_handle_t self; /* the wrapper's handle: the owner of its tracker entries */
    bool upstream_has_props;
    _Atomic size_t live; /* tracked allocations not yet freed */
} tracking_state_t;

/* The IPC component, when built in, releases a range's cached IPC handle when it is freed. */
extern void umf_ipc_on_free(umf_alloc_info_t *freed, umf_memory_provider_handle_t upstream) __attribute__((weak));

static umf_result_t tracking_initialize(const void *params, void **provider) {
    tracking_state_t *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *st = *(const tracking_state_t *)params;
    *provider = st;
    return UMF_RESULT_SUCCESS;
}

static int collect_owned(umf_alloc_info_t *entry, void *arg) {
    void **cursor = arg;
    tracking_state_t *st = cursor[0];
    if (entry->owner == st->self) {
        void **bases = cursor[1];
        size_t *n = cursor[2];
        bases[(*n)++] = entry->base;
        if (*n == (size_t)cursor[3]) {
            return 1;
        }
    }
    return 0;
}

static umf_result_t tracking_finalize(void *provider) {
    tracking_state_t *st = provider;
    umf_tracker_t *tracker = umf_global_tracker();
    size_t live = atomic_load(&st->live);
    if (live != 0 && tracker != NULL) {
        /* The pool left allocations behind: forget them, so that umfPoolByPtr never
         * returns a destroyed pool. Their memory stays with the provider. */
        LOG_WARN("pool %p is destroyed with %zu provider allocations still live", (void *)st->pool, live);
        void **bases = malloc(live * sizeof(void *));
        if (bases != NULL) {
            size_t n = 0;
            void *cursor[4] = {st, bases, &n, (void *)live};
            umf_tracker_for_each(tracker, collect_owned, cursor);
            for (size_t i = 0; i < n; i++) {
                umf_alloc_info_t removed;
                if (umf_tracker_remove(tracker, bases[i], st->self, &removed) == UMF_RESULT_SUCCESS &&
                    removed.ipc_cache != NULL && umf_ipc_on_free) {
                    umf_ipc_on_free(&removed, st->upstream);
                }
            }
            free(bases);
        }
    }
    free(st);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t tracking_alloc(void *provider, size_t size, size_t alignment, void **ptr) {
    tracking_state_t *st = provider;
    umf_memory_provider_handle_t up = st->upstream;
    umf_result_t rc = up->ops.alloc(up->priv, size, alignment, ptr);
    if (rc != UMF_RESULT_SUCCESS || *ptr == NULL) {
        umf_provider_note_result(up, rc);
        return rc;
    }
    umf_tracker_t *tracker = umf_global_tracker();
    if (UMF_UNLIKELY(tracker == NULL)) {
        return UMF_RESULT_SUCCESS; /* after the last umfTearDown nothing is tracked */
    }
    umf_alloc_info_t info = {
        .pool = st->pool,
        .provider = up,
        .base = *ptr,
        .base_size = size,
        .memory_type = UMF_MEMORY_TYPE_UNKNOWN,
        .owner = st->self,
    };
    if (st->upstream_has_props) {
        umf_usm_memory_type_t type;
        if (up->ops.ext_get_allocation_properties(up->priv, *ptr, UMF_MEMORY_PROPERTY_POINTER_TYPE, &type) ==
            UMF_RESULT_SUCCESS) {
            info.memory_type = type;
        }
    }
    rc = umf_tracker_add(tracker, &info, NULL);
    if (UMF_UNLIKELY(rc != UMF_RESULT_SUCCESS)) {
        LOG_ERR("cannot track allocation %p of %zu bytes: %d", *ptr, size, rc);
        up->ops.free(up->priv, *ptr, size);
        *ptr = NULL;
        return rc;
    }
    atomic_fetch_add_explicit(&st->live, 1, memory_order_relaxed);
    return UMF_RESULT_SUCCESS;
}

/* size 0 means "the size this allocation was made with", which the tracker knows. */
static umf_result_t tracking_free(void *provider, void *ptr, size_t size) {
    tracking_state_t *st = provider;
    umf_memory_provider_handle_t up = st->upstream;
    umf_tracker_t *tracker = umf_global_tracker();
    if (ptr == NULL || UMF_UNLIKELY(tracker == NULL)) {
        umf_result_t rc = up->ops.free(up->priv, ptr, size);
        umf_provider_note_result(up, rc);
        return rc;
    }
    umf_alloc_info_t removed;
    umf_result_t rc = umf_tracker_remove(tracker, ptr, st->self, &removed);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_ERR("%p is not an allocation of this pool's provider", ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (size == 0) {
        size = removed.base_size;
    }
    if (removed.ipc_cache != NULL && umf_ipc_on_free) {
        umf_ipc_on_free(&removed, up);
    }
    rc = up->ops.free(up->priv, ptr, size);
    if (UMF_UNLIKELY(rc != UMF_RESULT_SUCCESS)) {
        umf_provider_note_result(up, rc);
        removed.ipc_cache = NULL;
        if (umf_tracker_add(tracker, &removed, NULL) != UMF_RESULT_SUCCESS) {
            LOG_ERR("cannot track %p again after its free failed", ptr);
            atomic_fetch_sub_explicit(&st->live, 1, memory_order_relaxed);
        }
        return rc;
    }
    atomic_fetch_sub_explicit(&st->live, 1, memory_order_relaxed);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t tracking_last_native_error(void *provider, const char **msg, int32_t *err) {
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.get_last_native_error(up->priv, msg, err);
}

static umf_result_t tracking_recommended_page_size(void *provider, size_t size, size_t *page) {
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.get_recommended_page_size(up->priv, size, page);
}

static umf_result_t tracking_min_page_size(void *provider, const void *ptr, size_t *page) {
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.get_min_page_size(up->priv, ptr, page);
}

static umf_result_t tracking_name(void *provider, const char **name) {
    if (provider == NULL) {
        *name = "tracking";
        return UMF_RESULT_SUCCESS;
    }
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.get_name(up->priv, name);
}

static umf_result_t tracking_purge_lazy(void *provider, void *ptr, size_t size) {
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.ext_purge_lazy(up->priv, ptr, size);
}

static umf_result_t tracking_purge_force(void *provider, void *ptr, size_t size) {
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.ext_purge_force(up->priv, ptr, size);
}

static umf_result_t tracking_split(void *provider, void *ptr, size_t total, size_t first) {
    tracking_state_t *st = provider;
    umf_memory_provider_handle_t up = st->upstream;
    umf_tracker_t *tracker = umf_global_tracker();
    umf_alloc_info_t whole;
    if (tracker == NULL) {
        return up->ops.ext_allocation_split(up->priv, ptr, total, first);
    }
    if (umf_tracker_remove(tracker, ptr, st->self, &whole) != UMF_RESULT_SUCCESS) {
        LOG_ERR("cannot split %p: not an allocation of this pool's provider", ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    if (whole.base_size == total) {
        rc = up->ops.ext_allocation_split(up->priv, ptr, total, first);
    } else {
        LOG_ERR("cannot split %p: it has %zu bytes, not %zu", ptr, whole.base_size, total);
    }
    void *whole_ipc = whole.ipc_cache;
    whole.ipc_cache = NULL;
    if (rc != UMF_RESULT_SUCCESS) {
        whole.ipc_cache = whole_ipc;
        umf_tracker_add(tracker, &whole, NULL);
        return rc;
    }
    if (whole_ipc != NULL && umf_ipc_on_free) {
        /* the handle described the whole allocation, which no longer exists as one */
        umf_alloc_info_t old = whole;
        old.ipc_cache = whole_ipc;
        umf_ipc_on_free(&old, up);
    }
    umf_alloc_info_t low = whole, high = whole;
    low.base_size = first;
    high.base = (char *)ptr + first;
    high.base_size = total - first;
    rc = umf_tracker_add(tracker, &low, NULL);
    if (rc == UMF_RESULT_SUCCESS) {
        rc = umf_tracker_add(tracker, &high, NULL);
        if (rc != UMF_RESULT_SUCCESS) {
            umf_tracker_remove(tracker, low.base, st->self, NULL);
        }
    }
    if (rc != UMF_RESULT_SUCCESS) {
        /* keep the memory findable as one range even though the provider split it */
        umf_tracker_add(tracker, &whole, NULL);
        return rc;
    }
    atomic_fetch_add_explicit(&st->live, 1, memory_order_relaxed);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t tracking_merge(void *provider, void *low, void *high, size_t total) {
    tracking_state_t *st = provider;
    umf_memory_provider_handle_t up = st->upstream;
    umf_tracker_t *tracker = umf_global_tracker();
    if (tracker == NULL) {
        return up->ops.ext_allocation_merge(up->priv, low, high, total);
    }
    umf_alloc_info_t *lo = umf_tracker_find(tracker, low);
    umf_alloc_info_t *hi = umf_tracker_find(tracker, high);
    if (lo == NULL || hi == NULL || lo->base != low || hi->base != high || lo->owner != st->self ||
        hi->owner != st->self || (char *)low + lo->base_size != (char *)high ||
        lo->base_size + hi->base_size != total) {
        LOG_ERR("cannot merge %p and %p: not two adjacent allocations of this pool's provider", low, high);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = up->ops.ext_allocation_merge(up->priv, low, high, total);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    umf_alloc_info_t merged, upper;
    if (umf_tracker_remove(tracker, high, st->self, &upper) == UMF_RESULT_SUCCESS && upper.ipc_cache != NULL &&
        umf_ipc_on_free) {
        umf_ipc_on_free(&upper, up);
    }
    umf_tracker_remove(tracker, low, st->self, &merged);
    if (merged.ipc_cache != NULL && umf_ipc_on_free) {
        umf_ipc_on_free(&merged, up);
    }
    merged.base_size = total;
    merged.ipc_cache = NULL;
    rc = umf_tracker_add(tracker, &merged, NULL);
    atomic_fetch_sub_explicit(&st->live, rc == UMF_RESULT_SUCCESS ? 1 : 2, memory_order_relaxed);
    return rc;
}

static umf_result_t tracking_ipc_size(void *provider, size_t *size) {
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.ext_get_ipc_handle_size(up->priv, size);
}

static umf_result_t tracking_ipc_get(void *provider, const void *ptr, size_t size, void *data) {
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.ext_get_ipc_handle(up->priv, ptr, size, data);
}

static umf_result_t tracking_ipc_put(void *provider, void *data) {
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.ext_put_ipc_handle(up->priv, data);
}

static umf_result_t tracking_ipc_open(void *provider, void *data, void **ptr) {
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.ext_open_ipc_handle(up->priv, data, ptr);
}

static umf_result_t tracking_ipc_close(void *provider, void *ptr, size_t size) {
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.ext_close_ipc_handle(up->priv, ptr, size);
}

static umf_result_t tracking_ctl(void *provider, umf_ctl_query_source_t source, const char *name, void *arg,
                                 size_t size, umf_ctl_query_type_t type, va_list args) {
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.ext_ctl(up->priv, source, name, arg, size, type, args);
}

static umf_result_t tracking_props(void *provider, const void *ptr, umf_memory_property_id_t id, void *value) {
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.ext_get_allocation_properties(up->priv, ptr, id, value);
}

static umf_result_t tracking_props_size(void *provider, umf_memory_property_id_t id, size_t *size) {
    umf_memory_provider_handle_t up = ((tracking_state_t *)provider)->upstream;
    return up->ops.ext_get_allocation_properties_size(up->priv, id, size);
}

static const umf_memory_provider_ops_t TRACKING_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = tracking_initialize,
    .finalize = tracking_finalize,
    .alloc = tracking_alloc,
    .free = tracking_free,
    .get_last_native_error = tracking_last_native_error,
    .get_recommended_page_size = tracking_recommended_page_size,
    .get_min_page_size = tracking_min_page_size,
    .get_name = tracking_name,
    .ext_purge_lazy = tracking_purge_lazy,
    .ext_purge_force = tracking_purge_force,
    .ext_allocation_merge = tracking_merge,
    .ext_allocation_split = tracking_split,
    .ext_get_ipc_handle_size = tracking_ipc_size,
    .ext_get_ipc_handle = tracking_ipc_get,
    .ext_put_ipc_handle = tracking_ipc_put,
    .ext_open_ipc_handle = tracking_ipc_open,
    .ext_close_ipc_handle = tracking_ipc_close,
    .ext_ctl = tracking_ctl,
    .ext_get_allocation_properties = tracking_props,
    .ext_get_allocation_properties_size = tracking_props_size,
};

umf_result_t umf_tracking_provider_create(umf_memory_provider_handle_t upstream, umf_memory_pool_handle_t pool,
                                          umf_memory_provider_handle_t *tracking) {
    tracking_state_t init = {
        .upstream = upstream,
        .pool = pool,
        .upstream_has_props = umf_provider_has_allocation_properties(upstream),
    };
    /* Built directly rather than through umfMemoryProviderCreate: the wrapper has no name of
     * its own for CTL defaults and no post_initialize step. */
    umf_memory_provider_handle_t h = calloc(1, sizeof(*h));
    if (h == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    h->ops = TRACKING_OPS;
    h->upstream = upstream;
    h->pool = pool;
    umf_result_t rc = tracking_initialize(&init, &h->priv);
    if (rc != UMF_RESULT_SUCCESS) {
        free(h);
        return rc;
    }
    ((tracking_state_t *)h->priv)->self = h;
    *tracking = h;
    return UMF_RESULT_SUCCESS;
}
