/* The CTL tree's state kept by the core (see ctl.c): defaults by name, pools by name, UMF_CONF. */
#ifndef UMF_INTERNAL_CTL_H
#define UMF_INTERNAL_CTL_H 1

#include <stddef.h>

#include <umf/base.h>
#include <umf/memory_pool.h>

typedef enum umf_ctl_kind_t { UMF_CTL_KIND_POOL = 0, UMF_CTL_KIND_PROVIDER = 1 } umf_ctl_kind_t;

/* Reads UMF_CONF, then the file UMF_CONF_FILE (so the file wins); called by umfInit after the logger. */
void umf_ctl_init(void);
/* Forgets every stored default; called by the last umfTearDown. */
void umf_ctl_fini(void);

/* Called once per default stored for a name, in the order they were first written. */
typedef void (*umf_ctl_default_fn)(void *ctx, umf_ctl_query_source_t source, const char *key, void *value,
                                   size_t size);
/* Runs fn on a copy of each default stored under umf.<kind>.default.<name>, with no CTL lock held
 * (so fn may itself use CTL). */
void umf_ctl_apply_defaults(umf_ctl_kind_t kind, const char *name, umf_ctl_default_fn fn, void *ctx);

/* Makes a pool reachable by umf.pool.by_name.<name> (names that are not valid are skipped). */
void umf_ctl_pool_register(umf_memory_pool_handle_t pool, const char *name);
/* Before a pool goes: waits for CTL queries that reached it by name and removes it. */
void umf_ctl_pool_unregister(umf_memory_pool_handle_t pool);

#endif
