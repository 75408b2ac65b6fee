/*
 * umf/pools/pool_proxy.h - a pool that passes every allocation straight to its provider.
 */
#ifndef UMF_PROXY_POOL_H
#define UMF_PROXY_POOL_H 1

#include <umf/memory_pool.h>

#ifdef __cplusplus
extern "C" {
#endif

/// @brief The operations of the proxy pool, which forwards malloc, aligned malloc and free to its
///        provider. It takes no params; calloc, realloc and usable size are not supported.
/// @return the operations
const umf_memory_pool_ops_t *umfProxyPoolOps(void);

#ifdef __cplusplus
}
#endif

#endif /* UMF_PROXY_POOL_H */
