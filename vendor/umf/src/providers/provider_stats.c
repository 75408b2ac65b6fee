/* The byte counters of the OS and CUDA providers (see provider_stats.h). */
#include "provider_stats.h"

#include <string.h>

#include "base/ctl_value.h"

void provider_stats_add(provider_stats_t *s, size_t len) {
    size_t now = atomic_fetch_add_explicit(&s->allocated, len, memory_order_relaxed) + len;
    size_t peak = atomic_load_explicit(&s->peak, memory_order_relaxed);
    while (now > peak &&
           !atomic_compare_exchange_weak_explicit(&s->peak, &peak, now, memory_order_relaxed, memory_order_relaxed)) {
    }
}

void provider_stats_sub(provider_stats_t *s, size_t len) {
    atomic_fetch_sub_explicit(&s->allocated, len, memory_order_relaxed);
}

umf_result_t provider_stats_ctl(provider_stats_t *s, const char *name, void *arg, size_t size,
                                umf_ctl_query_type_t queryType) {
    if (strcmp(name, "stats.peak_memory.reset") == 0 && queryType == CTL_QUERY_RUNNABLE) {
        atomic_store(&s->peak, atomic_load(&s->allocated));
        return UMF_RESULT_SUCCESS;
    }
    bool is_alloc = strcmp(name, "stats.allocated_memory") == 0;
    bool is_peak = strcmp(name, "stats.peak_memory") == 0;
    if ((is_alloc || is_peak) && queryType == CTL_QUERY_READ) {
        return umf_ctl_out_size(arg, size, atomic_load(is_alloc ? &s->allocated : &s->peak));
    }
    return UMF_RESULT_ERROR_INVALID_CTL_PATH;
}
