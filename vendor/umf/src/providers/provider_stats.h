/*
 * The byte counters every built-in provider that maps memory itself keeps (the OS and CUDA providers;
 * the coarse-allocator providers count in coarse.c): bytes allocated now and the peak, updated
 * lock-free, and the CTL nodes that read them (stats.allocated_memory, stats.peak_memory,
 * stats.peak_memory.reset).
 */
#ifndef UMF_PROVIDER_STATS_H
#define UMF_PROVIDER_STATS_H 1

#include <stdatomic.h>
#include <stddef.h>

#include <umf/base.h>
#include <umf/experimental/ctl.h>

typedef struct provider_stats_t {
    _Atomic size_t allocated;
    _Atomic size_t peak;
} provider_stats_t;

/* Counts len bytes allocated, raising the peak when it is passed. */
void provider_stats_add(provider_stats_t *s, size_t len);

/* Counts len bytes freed. */
void provider_stats_sub(provider_stats_t *s, size_t len);

/* Answers the stats nodes (name already resolved); INVALID_CTL_PATH for any other node. */
umf_result_t provider_stats_ctl(provider_stats_t *s, const char *name, void *arg, size_t size,
                                umf_ctl_query_type_t queryType);

#endif
