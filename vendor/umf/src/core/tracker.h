/*
 * The allocation tracker: maps address ranges (provider allocations of pools, or
 * mappings of opened IPC handles) to their properties.
 *
 * Ranges on one level never overlap. A range that lies inside a range already
 * tracked (a pool used as the provider of another pool) goes one level deeper;
 * there are at most UMF_TRACKER_MAX_LEVELS levels. Lookups return the innermost
 * range, so an address inside a nested pool's allocation finds the nested pool.
 *
 * All functions are thread-safe. Readers (find) never block on writers for
 * long and stay fast with millions of live ranges.
 */
#ifndef UMF_INTERNAL_TRACKER_H
#define UMF_INTERNAL_TRACKER_H 1

#include <umf/base.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/memory_provider_gpu.h>

#define UMF_TRACKER_MAX_LEVELS 8

/* The properties of one tracked range; umf_memory_properties_handle_t points to one. */
struct umf_memory_properties_t {
    umf_memory_pool_handle_t pool;         /* NULL for an opened IPC mapping */
    umf_memory_provider_handle_t provider; /* the provider the user gave (not the tracking wrapper) */
    void *base;
    size_t base_size;
    uint64_t id;                       /* unique per tracked range (UMF_MEMORY_PROPERTY_BUFFER_ID) */
    umf_usm_memory_type_t memory_type; /* UMF_MEMORY_PROPERTY_POINTER_TYPE */
    /* The tracker's own: nonzero when a range was added inside this one (an add ignores the value
     * given). Beside id, so a lookup cache hit reads one cache line of the entry. */
    uint32_t has_nested;
    void *owner;                       /* who added the range (tracking provider or IPC handler); remove matches it */
    void *ipc_cache;                   /* cached IPC handle of this range, owned by the IPC code; NULL if none */
};
typedef struct umf_memory_properties_t umf_alloc_info_t;

typedef struct umf_tracker_t umf_tracker_t;

umf_tracker_t *umf_tracker_create(void);
/* Frees the tracker and every entry still in it. */
void umf_tracker_destroy(umf_tracker_t *t);

/*
 * Tracks [info->base, info->base + info->base_size). *info is copied into an
 * entry the tracker owns; info->id is ignored and a fresh unique id assigned.
 * Errors: INVALID_ARGUMENT (size 0, or partial overlap with a tracked range),
 * OUT_OF_RESOURCES (nesting deeper than UMF_TRACKER_MAX_LEVELS),
 * OUT_OF_HOST_MEMORY. On success *entry (if not NULL) points to the entry,
 * valid until it is removed.
 */
umf_result_t umf_tracker_add(umf_tracker_t *t, const umf_alloc_info_t *info, umf_alloc_info_t **entry);

/*
 * Removes the range starting at base that `owner` added (the innermost such one).
 * When removed is not NULL the entry is copied there before it is freed.
 * INVALID_ARGUMENT when there is none.
 */
umf_result_t umf_tracker_remove(umf_tracker_t *t, const void *base, const void *owner, umf_alloc_info_t *removed);

/*
 * The innermost range containing ptr, or NULL. Lock-free: it never waits for
 * a writer for long and never touches freed memory. The entry stays valid
 * while the range is tracked; the tracker keeps the memory of removed entries
 * for reuse until it is destroyed, so a pointer to a removed entry still
 * points at some entry of this tracker (never unmapped memory).
 */
umf_alloc_info_t *umf_tracker_find(umf_tracker_t *t, const void *ptr);

/*
 * Calls fn for every entry (in no particular order) until fn returns nonzero.
 * fn must not add or remove ranges. Returns the nonzero value or 0.
 * fn runs with the tracker's writer lock held: adds and removes in other
 * threads wait until for_each returns (lookups do not), so keep fn short.
 */
int umf_tracker_for_each(umf_tracker_t *t, int (*fn)(umf_alloc_info_t *entry, void *arg), void *arg);

/* Number of live entries. */
size_t umf_tracker_count(umf_tracker_t *t);

#endif
