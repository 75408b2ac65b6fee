/* The proxy pool: every allocation goes straight to the provider, one provider allocation each. */
#include <stdlib.h>

#include <umf/pools/pool_proxy.h>

#include "core/core.h"

typedef struct proxy_pool_t {
    umf_memory_provider_handle_t provider;
} proxy_pool_t;

static __thread umf_result_t tls_last_error;

static umf_result_t proxy_initialize(umf_memory_provider_handle_t provider, const void *params, void **pool) {
    proxy_pool_t *p = malloc(sizeof(*p));
    if (p == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->provider = provider;
    *pool = p;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t proxy_finalize(void *pool) {
    free(pool);
    return UMF_RESULT_SUCCESS;
}

static void *proxy_aligned_malloc(void *pool, size_t size, size_t alignment) {
    proxy_pool_t *p = pool;
    void *ptr = NULL;
    umf_result_t rc = umfMemoryProviderAlloc(p->provider, size, alignment, &ptr);
    if (UMF_UNLIKELY(rc != UMF_RESULT_SUCCESS)) {
        tls_last_error = rc;
        return NULL;
    }
    tls_last_error = UMF_RESULT_SUCCESS;
    return ptr;
}

static void *proxy_malloc(void *pool, size_t size) { return proxy_aligned_malloc(pool, size, 0); }

static void *proxy_calloc(void *pool, size_t num, size_t size) {
    tls_last_error = UMF_RESULT_ERROR_NOT_SUPPORTED;
    return NULL;
}

static void *proxy_realloc(void *pool, void *ptr, size_t size) {
    tls_last_error = UMF_RESULT_ERROR_NOT_SUPPORTED;
    return NULL;
}

static umf_result_t proxy_usable_size(void *pool, const void *ptr, size_t *size) {
    *size = 0;
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

static umf_result_t proxy_free(void *pool, void *ptr) {
    proxy_pool_t *p = pool;
    if (ptr != NULL && !umf_provider_is_tracking(p->provider)) {
        /* the size of the allocation is known only to the tracker */
        LOG_ERR("the proxy pool cannot free memory when tracking is disabled");
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    /* size 0: the tracking provider frees the allocation with the size it was made with */
    return umfMemoryProviderFree(p->provider, ptr, 0);
}

static umf_result_t proxy_last_error(void *pool) { return tls_last_error; }

static umf_result_t proxy_name(void *pool, const char **name) {
    *name = "proxy";
    return UMF_RESULT_SUCCESS;
}

static const umf_memory_pool_ops_t PROXY_OPS = {
    .version = UMF_POOL_OPS_VERSION_CURRENT,
    .initialize = proxy_initialize,
    .finalize = proxy_finalize,
    .malloc = proxy_malloc,
    .calloc = proxy_calloc,
    .realloc = proxy_realloc,
    .aligned_malloc = proxy_aligned_malloc,
    .malloc_usable_size = proxy_usable_size,
    .free = proxy_free,
    .get_last_allocation_error = proxy_last_error,
    .get_name = proxy_name,
};

const umf_memory_pool_ops_t *umfProxyPoolOps(void) { return &PROXY_OPS; }
