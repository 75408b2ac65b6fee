/*
 * The coarse allocator: carves aligned pieces out of a few large memory
 * regions (the fixed provider's buffer, the file provider's mappings, the
 * DevDax provider's device) and keeps track of them.
 *
 * Every region is cut into contiguous blocks, each either used or free. Blocks
 * are indexed by address (an AVL tree: "which block holds this pointer" costs
 * O(log n)) and free blocks also by size (a second AVL tree keyed by
 * (size, address): best fit in O(log n)). Freed blocks are coalesced with
 * free neighbours of the same region; blocks of different regions are never
 * merged. All metadata lives in malloc'ed host memory, never inside a region,
 * so regions may be read-only, inaccessible or device memory.
 *
 * All functions take the allocator's mutex and are thread-safe. The grow
 * callback runs with the mutex held and must not call back into the allocator.
 */
#ifndef UMF_INTERNAL_COARSE_H
#define UMF_INTERNAL_COARSE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <umf/base.h>

typedef struct coarse_t coarse_t;

/*
 * Asked for more memory when no free block fits an allocation: returns a new
 * region of at least min_size bytes in *base and *size and a value the allocator
 * keeps with the region in *user (e.g. the file offset of the mapping).
 * Any result other than SUCCESS is passed to the caller of coarse_alloc.
 */
typedef umf_result_t (*coarse_grow_fn)(void *arg, size_t min_size, void **base, size_t *size, uintptr_t *user);

typedef struct coarse_params_t {
    coarse_grow_fn grow; /* NULL: the allocator never grows */
    void *grow_arg;
} coarse_params_t;

/* Where a pointer lies: its block and the region holding it. */
typedef struct coarse_block_info_t {
    void *block_base;
    size_t block_size;
    bool used;
    void *region_base;
    size_t region_size;
    uintptr_t region_user; /* what grow or coarse_add_region recorded */
} coarse_block_info_t;

typedef struct coarse_stats_t {
    size_t total_size;  /* bytes in all regions */
    size_t used_size;   /* bytes in used blocks */
    size_t peak_used_size; /* the most used_size has been since creation or coarse_reset_peak */
    size_t free_size;   /* total_size - used_size */
    size_t num_regions;
    size_t num_blocks;      /* used and free */
    size_t num_free_blocks;
} coarse_stats_t;

/* INVALID_ARGUMENT when out is NULL, OUT_OF_HOST_MEMORY when malloc fails. params may be NULL. */
umf_result_t coarse_create(const coarse_params_t *params, coarse_t **out);
/* Frees the metadata; the regions themselves belong to the caller. NULL is ignored. */
void coarse_destroy(coarse_t *c);

/*
 * Adds [base, base+size) as a new free region. INVALID_ARGUMENT for NULL/0,
 * for a range that wraps around, or one overlapping a region already added.
 */
umf_result_t coarse_add_region(coarse_t *c, void *base, size_t size, uintptr_t user);

/*
 * Allocates size bytes aligned to alignment (0 means 1; else a power of 2,
 * INVALID_ALIGNMENT otherwise). size 0 gives *ptr = NULL and SUCCESS. When
 * nothing fits and there is no grow callback: OUT_OF_HOST_MEMORY.
 */
umf_result_t coarse_alloc(coarse_t *c, size_t size, size_t alignment, void **ptr);

/*
 * Frees the used block starting at ptr. size must be the block's size, or 0
 * for "whatever it is". ptr NULL: SUCCESS. Not the start of a used block, or
 * a wrong size: INVALID_ARGUMENT.
 */
umf_result_t coarse_free(coarse_t *c, void *ptr, size_t size);

/*
 * Cuts the used block at ptr (of size totalSize) into two used blocks of
 * firstSize and totalSize - firstSize. INVALID_ARGUMENT when ptr is not a used
 * block of that size or firstSize is not in (0, totalSize).
 */
umf_result_t coarse_split(coarse_t *c, void *ptr, size_t totalSize, size_t firstSize);

/*
 * Joins the used blocks at lowPtr and highPtr, which must be neighbours in one
 * region with sizes adding up to totalSize, into one used block.
 * INVALID_ARGUMENT otherwise.
 */
umf_result_t coarse_merge(coarse_t *c, void *lowPtr, void *highPtr, size_t totalSize);

/* The block (used or free) holding ptr. INVALID_ARGUMENT when no region holds ptr or info is NULL. */
umf_result_t coarse_find(coarse_t *c, const void *ptr, coarse_block_info_t *info);

/* Current counters (all zero for a NULL allocator). */
void coarse_get_stats(coarse_t *c, coarse_stats_t *stats);

/* Sets the peak to the bytes used now. */
void coarse_reset_peak(coarse_t *c);

/*
 * Calls fn for every region in address order until fn returns nonzero
 * (returned). Used by providers at finalize to unmap their regions.
 */
int coarse_for_each_region(coarse_t *c, int (*fn)(void *base, size_t size, uintptr_t user, void *arg), void *arg);

/*
 * Checks every invariant of the structure (trees balanced and ordered,
 * blocks tiling their regions, no two free neighbours, counters). Returns 0
 * when all hold, else a positive code naming the first broken one. For tests.
 */
int coarse_check(coarse_t *c);

/* ---- helpers shared by the providers built on the coarse allocator ---- */

/*
 * The alignment rule of the fixed, file and DevDax providers: 0 means page;
 * otherwise a power of 2 that divides or is a multiple of page. Returns
 * INVALID_ALIGNMENT or SUCCESS with *alignment resolved.
 */
static inline umf_result_t coarse_provider_alignment(size_t *alignment, size_t page) {
    if (*alignment == 0) {
        *alignment = page;
        return UMF_RESULT_SUCCESS;
    }
    size_t a = *alignment;
    if ((a & (a - 1)) != 0 || (a % page != 0 && page % a != 0)) {
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    return UMF_RESULT_SUCCESS;
}

/*
 * The CTL nodes the coarse-based providers share: runnable "post_initialize"
 * (SUCCESS), "stats.allocated_memory" and "stats.peak_memory" (size_t, read;
 * used bytes of c), runnable "stats.peak_memory.reset". INVALID_CTL_PATH for
 * anything else; INVALID_ARGUMENT for a read into a NULL or short buffer.
 */
umf_result_t coarse_provider_ctl(coarse_t *c, const char *name, void *arg, size_t size, umf_ctl_query_type_t queryType);

/*
 * free, allocation_split and allocation_merge of a coarse-based provider: the
 * operation of c, its failure logged (who names the provider, e.g. "fixed
 * provider").
 */
umf_result_t coarse_provider_free(coarse_t *c, void *ptr, size_t size, const char *who);
umf_result_t coarse_provider_split(coarse_t *c, void *ptr, size_t totalSize, size_t firstSize);
umf_result_t coarse_provider_merge(coarse_t *c, void *lowPtr, void *highPtr, size_t totalSize);

#endif
