/*
 * Internal view of providers and pools, shared by the core, the pools and the
 * providers. Pools and providers use each other only through the public API;
 * these structs are for the core (provider.c, pool.c, tracking.c, ipc, ctl).
 */
#ifndef UMF_INTERNAL_CORE_H
#define UMF_INTERNAL_CORE_H 1

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>

#include "base/utils.h"
#include "core/tracker.h"

struct umf_memory_provider_t {
    umf_memory_provider_ops_t ops; /* version 1.1 layout; NULL optional ops replaced by defaults */
    void *priv;                    /* what ops.initialize returned */
    /* Set for the tracking wrapper a pool puts around its provider: */
    umf_memory_provider_handle_t upstream;
    umf_memory_pool_handle_t pool;
};

struct umf_memory_pool_t {
    umf_memory_pool_ops_t ops; /* version 1.1 layout */
    void *priv;
    umf_memory_provider_handle_t provider; /* what the pool's ops see: the tracking wrapper, or the user's provider with DISABLE_TRACKING */
    umf_memory_provider_handle_t upstream; /* the provider the user gave */
    umf_pool_create_flags_t flags;
    pthread_mutex_t tag_lock;
    void *tag;
    /* stats.alloc_count. No shared counter on the hot path: one atomic that every thread's malloc
     * and free hit costs more than the rest of a disjoint-pool pair and serializes threads. A pool
     * that counts its allocations anyway (the disjoint pool, under its bucket locks) answers through
     * live_count, at no cost until read; for any other pool each thread adds to its own stripe. */
    size_t (*live_count)(void *priv);
    struct umf_count_stripe *stripes; /* UMF_COUNT_STRIPES of them when live_count is NULL */
    struct ctl_named_pool_t *ctl_name; /* its entry in CTL's list of pools by name, or NULL */
};

/* A pool that can count its live allocations itself returns the function doing it (NULL otherwise);
 * the disjoint pool defines it, and the core links without it. */
size_t (*umf_disjoint_live_count_fn(const umf_memory_pool_ops_t *ops))(void *priv) __attribute__((weak));

/* The tracker of all pool allocations; NULL before umfInit() and after the last umfTearDown().
 * Inline, as every umfFree and umfPoolByPtr reads it (init.c sets it). */
extern umf_tracker_t *_Atomic umf_g_tracker __attribute__((visibility("hidden")));
static inline umf_tracker_t *umf_global_tracker(void) { return atomic_load_explicit(&umf_g_tracker, memory_order_acquire); }

/* Wraps upstream in a provider that records every allocation of pool in the global tracker. */
umf_result_t umf_tracking_provider_create(umf_memory_provider_handle_t upstream, umf_memory_pool_handle_t pool,
                                          umf_memory_provider_handle_t *tracking);

static inline bool umf_provider_is_tracking(umf_memory_provider_handle_t h) { return h->upstream != NULL; }

/* Records hProvider as this thread's last failed provider when rc is not SUCCESS. */
void umf_provider_note_result(umf_memory_provider_handle_t hProvider, umf_result_t rc);

/* Runs a CTL query on a provider's ext_ctl (which takes a va_list); extra args follow `type`. */
umf_result_t umf_provider_run_ctl(umf_memory_provider_handle_t h, umf_ctl_query_source_t source, const char *name,
                                  void *arg, size_t size, umf_ctl_query_type_t type, ...);

/* Runs a CTL query on a pool's ext_ctl; extra args follow `type`. */
umf_result_t umf_pool_run_ctl(umf_memory_pool_handle_t h, umf_ctl_query_source_t source, const char *name, void *arg,
                              size_t size, umf_ctl_query_type_t type, ...);

/* A CTL query that reached a pool: its generic nodes (stats.alloc_count), else its ext_ctl with args. */
umf_result_t umf_pool_ctl_query(umf_memory_pool_handle_t h, umf_ctl_query_source_t source, const char *name,
                                void *arg, size_t size, umf_ctl_query_type_t type, va_list args);

/* A CTL query that reached a provider: its ext_ctl with args. */
umf_result_t umf_provider_ctl_query(umf_memory_provider_handle_t h, umf_ctl_query_source_t source, const char *name,
                                    void *arg, size_t size, umf_ctl_query_type_t type, va_list args);

/* True when the provider implements ext_get_allocation_properties. */
bool umf_provider_has_allocation_properties(umf_memory_provider_handle_t h);

#endif
