/* The disjoint pool's two maps: page -> slab (a radix tree read without locks on free) and the large
 * allocations that went straight to the provider (a hash map). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "pools/disjoint_internal.h"

/* ------------------------------------------------------------------------- */
/* Radix tree: unit number -> slab. Readers are lock-free.                     */

void dp_radix_init(dp_radix_t *r) {
    r->root = NULL;
    r->nodes = NULL;
    r->nnodes = r->cap = 0;
    pthread_mutex_init(&r->lock, NULL);
}

static _Atomic(void *) *dp_radix_node(dp_radix_t *r, size_t entries) {
    if (r->nnodes == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 16;
        void **n = realloc(r->nodes, ncap * sizeof(void *));
        if (n == NULL) {
            return NULL;
        }
        r->nodes = n;
        r->cap = ncap;
    }
    _Atomic(void *) *node = calloc(entries, sizeof(void *));
    if (node) {
        r->nodes[r->nnodes++] = (void *)node;
    }
    return node;
}

/* Sets the pages of [base, base + size) to slab (or NULL); caller holds r->lock. */
static umf_result_t dp_radix_set_locked(dp_radix_t *r, const void *base, size_t size, dp_slab_t *slab) {
    uintptr_t first = (uintptr_t)base;
    if (((first + size - 1) >> (DP_R0_SHIFT + DP_R0_BITS)) != 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT; /* beyond any user address */
    }
    if (r->root == NULL) {
        if (slab == NULL) {
            return UMF_RESULT_SUCCESS;
        }
        r->root = calloc((size_t)1 << DP_R0_BITS, sizeof(void *));
        if (r->root == NULL) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
    }
    for (uintptr_t a = first; a < first + size; a += (uintptr_t)1 << DP_PAGE_SHIFT) {
        _Atomic(void *) *slot1 = &r->root[a >> DP_R0_SHIFT];
        _Atomic(void *) *n1 = atomic_load_explicit(slot1, memory_order_relaxed);
        if (n1 == NULL) {
            if (slab == NULL) {
                continue;
            }
            if ((n1 = dp_radix_node(r, (size_t)1 << DP_R1_BITS)) == NULL) {
                return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
            }
            atomic_store_explicit(slot1, (void *)n1, memory_order_release);
        }
        _Atomic(void *) *slot2 = &n1[(a >> DP_R1_SHIFT) & ((1u << DP_R1_BITS) - 1)];
        _Atomic(void *) *n2 = atomic_load_explicit(slot2, memory_order_relaxed);
        if (n2 == NULL) {
            if (slab == NULL) {
                continue;
            }
            if ((n2 = dp_radix_node(r, (size_t)1 << DP_R2_BITS)) == NULL) {
                return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
            }
            atomic_store_explicit(slot2, (void *)n2, memory_order_release);
        }
        atomic_store_explicit(&n2[(a >> DP_PAGE_SHIFT) & ((1u << DP_R2_BITS) - 1)], (void *)slab,
                              memory_order_release);
    }
    return UMF_RESULT_SUCCESS;
}

umf_result_t dp_radix_set(dp_radix_t *r, const void *base, size_t size, dp_slab_t *slab) {
    pthread_mutex_lock(&r->lock);
    umf_result_t rc = dp_radix_set_locked(r, base, size, slab);
    if (rc != UMF_RESULT_SUCCESS && slab != NULL) {
        dp_radix_set_locked(r, base, size, NULL);
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

void dp_radix_destroy(dp_radix_t *r) {
    for (size_t i = 0; i < r->nnodes; i++) {
        free(r->nodes[i]);
    }
    free(r->nodes);
    free((void *)r->root);
    r->root = NULL;
    r->nodes = NULL;
    r->nnodes = r->cap = 0;
    pthread_mutex_destroy(&r->lock);
}

/* ------------------------------------------------------------------------- */
/* Map of large allocations                                                    */

static inline size_t dp_large_hash(const void *ptr, size_t tab_size) {
    uint64_t x = (uint64_t)(uintptr_t)ptr;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (tab_size - 1);
}

/* Caller holds large_lock. */
static bool dp_large_grow(dp_pool_t *p) {
    size_t nsize = p->large_tab_size ? p->large_tab_size * 2 : 64;
    dp_large_t **ntab = calloc(nsize, sizeof(*ntab));
    if (ntab == NULL) {
        return false;
    }
    for (size_t i = 0; i < p->large_tab_size; i++) {
        dp_large_t *e = p->large_tab[i];
        while (e) {
            dp_large_t *next = e->next;
            size_t h = dp_large_hash(e->ptr, nsize);
            e->next = ntab[h];
            ntab[h] = e;
            e = next;
        }
    }
    free(p->large_tab);
    p->large_tab = ntab;
    p->large_tab_size = nsize;
    return true;
}

bool dp_large_insert(dp_pool_t *p, dp_large_t *e) {
    pthread_mutex_lock(&p->large_lock);
    if (p->large_count + 1 > p->large_tab_size && !dp_large_grow(p) && p->large_tab_size == 0) {
        pthread_mutex_unlock(&p->large_lock);
        return false;
    }
    size_t h = dp_large_hash(e->ptr, p->large_tab_size);
    e->next = p->large_tab[h];
    p->large_tab[h] = e;
    p->large_count++;
    p->large_bytes += e->block_size;
    p->large_usable += e->usable;
    pthread_mutex_unlock(&p->large_lock);
    return true;
}

/* Finds (and with remove, unlinks) the large allocation at ptr; caller holds large_lock. */
dp_large_t *dp_large_find_locked(dp_pool_t *p, const void *ptr, bool remove) {
    if (p->large_tab_size == 0) {
        return NULL;
    }
    dp_large_t **link = &p->large_tab[dp_large_hash(ptr, p->large_tab_size)];
    for (dp_large_t *e = *link; e; link = &e->next, e = e->next) {
        if (e->ptr == ptr) {
            if (remove) {
                *link = e->next;
                p->large_count--;
                p->large_bytes -= e->block_size;
                p->large_usable -= e->usable;
            }
            return e;
        }
    }
    return NULL;
}
