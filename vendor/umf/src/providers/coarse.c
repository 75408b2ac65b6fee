/*
 * The coarse allocator (see coarse.h): blocks tiling regions, indexed by two
 * AVL trees, one over all blocks by address and one over free blocks by
 * (size, address).
 */
#include "providers/coarse.h"

#include "base/utils.h"

#include <pthread.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

/* ---- a small intrusive AVL tree; a node carries its own two-part key ---- */

typedef struct avl_node_t {
    struct avl_node_t *left, *right;
    uintptr_t k1, k2;
    int height;
} avl_node_t;

static inline int avl_height(const avl_node_t *n) { return n ? n->height : 0; }

static inline void avl_fix_height(avl_node_t *n) {
    int hl = avl_height(n->left), hr = avl_height(n->right);
    n->height = (hl > hr ? hl : hr) + 1;
}

/* <0, 0, >0 as (a1,a2) is below, equal to or above the node's key */
static inline int avl_cmp(uintptr_t a1, uintptr_t a2, const avl_node_t *n) {
    if (a1 != n->k1) {
        return a1 < n->k1 ? -1 : 1;
    }
    if (a2 != n->k2) {
        return a2 < n->k2 ? -1 : 1;
    }
    return 0;
}

static avl_node_t *avl_rotate_right(avl_node_t *n) {
    avl_node_t *l = n->left;
    n->left = l->right;
    l->right = n;
    avl_fix_height(n);
    avl_fix_height(l);
    return l;
}

static avl_node_t *avl_rotate_left(avl_node_t *n) {
    avl_node_t *r = n->right;
    n->right = r->left;
    r->left = n;
    avl_fix_height(n);
    avl_fix_height(r);
    return r;
}

static avl_node_t *avl_rebalance(avl_node_t *n) {
    avl_fix_height(n);
    int balance = avl_height(n->left) - avl_height(n->right);
    if (balance > 1) {
        if (avl_height(n->left->left) < avl_height(n->left->right)) {
            n->left = avl_rotate_left(n->left);
        }
        return avl_rotate_right(n);
    }
    if (balance < -1) {
        if (avl_height(n->right->right) < avl_height(n->right->left)) {
            n->right = avl_rotate_right(n->right);
        }
        return avl_rotate_left(n);
    }
    return n;
}

/* Inserts n (key already set, unique) below root; returns the new root. */
static avl_node_t *avl_insert(avl_node_t *root, avl_node_t *n) {
    if (root == NULL) {
        n->left = n->right = NULL;
        n->height = 1;
        return n;
    }
    if (avl_cmp(n->k1, n->k2, root) < 0) {
        root->left = avl_insert(root->left, n);
    } else {
        root->right = avl_insert(root->right, n);
    }
    return avl_rebalance(root);
}

/* Detaches the smallest node of the subtree into *min; returns the new subtree root. */
static avl_node_t *avl_detach_min(avl_node_t *root, avl_node_t **min) {
    if (root->left == NULL) {
        *min = root;
        return root->right;
    }
    root->left = avl_detach_min(root->left, min);
    return avl_rebalance(root);
}

/* Removes node n (which must be in the tree); returns the new root. */
static avl_node_t *avl_remove(avl_node_t *root, avl_node_t *n) {
    if (root == NULL) {
        return NULL;
    }
    int c = avl_cmp(n->k1, n->k2, root);
    if (c < 0) {
        root->left = avl_remove(root->left, n);
    } else if (c > 0) {
        root->right = avl_remove(root->right, n);
    } else {
        avl_node_t *l = root->left, *r = root->right;
        if (r == NULL) {
            return l;
        }
        avl_node_t *min = NULL;
        r = avl_detach_min(r, &min);
        min->left = l;
        min->right = r;
        return avl_rebalance(min);
    }
    return avl_rebalance(root);
}

static avl_node_t *avl_find_exact(avl_node_t *n, uintptr_t k1, uintptr_t k2) {
    while (n) {
        int c = avl_cmp(k1, k2, n);
        if (c == 0) {
            return n;
        }
        n = c < 0 ? n->left : n->right;
    }
    return NULL;
}

/* The greatest node whose key is <= (k1, k2), or NULL. */
static avl_node_t *avl_floor(avl_node_t *n, uintptr_t k1, uintptr_t k2) {
    avl_node_t *best = NULL;
    while (n) {
        int c = avl_cmp(k1, k2, n);
        if (c == 0) {
            return n;
        }
        if (c > 0) {
            best = n;
            n = n->right;
        } else {
            n = n->left;
        }
    }
    return best;
}

/* The smallest node whose key is >= (k1, k2), or NULL. */
static avl_node_t *avl_ceil(avl_node_t *n, uintptr_t k1, uintptr_t k2) {
    avl_node_t *best = NULL;
    while (n) {
        int c = avl_cmp(k1, k2, n);
        if (c == 0) {
            return n;
        }
        if (c < 0) {
            best = n;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return best;
}

/* ---- blocks and regions ---- */

typedef struct region_t {
    uintptr_t base;
    size_t size;
    uintptr_t user;
    struct block_t *first; /* the block at base; never removed while the region lives */
    struct region_t *next; /* regions in address order */
} region_t;

typedef struct block_t {
    avl_node_t by_addr; /* k1 = address, k2 = 0; every block */
    avl_node_t by_size; /* k1 = size, k2 = address; free blocks only */
    struct block_t *prev, *next; /* neighbours in the same region */
    region_t *region;
    size_t size;
    bool used;
} block_t;

#define BLOCK_CACHE_MAX 256

struct coarse_t {
    pthread_mutex_t lock;
    coarse_grow_fn grow;
    void *grow_arg;
    avl_node_t *by_addr;
    avl_node_t *free_by_size;
    region_t *regions;
    block_t *cache; /* recycled block structs, linked through next */
    size_t cache_len;
    size_t total_size, used_size, peak_used_size;
    size_t num_regions, num_blocks, num_free_blocks;
};

#define BLOCK_OF_ADDR(n) ((block_t *)((char *)(n)-offsetof(block_t, by_addr)))
#define BLOCK_OF_SIZE(n) ((block_t *)((char *)(n)-offsetof(block_t, by_size)))

static inline uintptr_t block_addr(const block_t *b) { return b->by_addr.k1; }

static block_t *block_new(coarse_t *c, uintptr_t addr, size_t size, region_t *r) {
    block_t *b = c->cache;
    if (b) {
        c->cache = b->next;
        c->cache_len--;
    } else {
        b = malloc(sizeof(*b));
        if (b == NULL) {
            return NULL;
        }
    }
    memset(b, 0, sizeof(*b));
    b->by_addr.k1 = addr;
    b->size = size;
    b->region = r;
    c->num_blocks++;
    return b;
}

static void block_release(coarse_t *c, block_t *b) {
    c->num_blocks--;
    if (c->cache_len < BLOCK_CACHE_MAX) {
        b->next = c->cache;
        c->cache = b;
        c->cache_len++;
    } else {
        free(b);
    }
}

static void free_index_insert(coarse_t *c, block_t *b) {
    b->by_size.k1 = b->size;
    b->by_size.k2 = block_addr(b);
    c->free_by_size = avl_insert(c->free_by_size, &b->by_size);
    c->num_free_blocks++;
}

static void free_index_remove(coarse_t *c, block_t *b) {
    c->free_by_size = avl_remove(c->free_by_size, &b->by_size);
    c->num_free_blocks--;
}

/* Links nb into its region right after b. */
static void link_after(block_t *b, block_t *nb) {
    nb->prev = b;
    nb->next = b->next;
    if (b->next) {
        b->next->prev = nb;
    }
    b->next = nb;
}

static void unlink_block(block_t *b) {
    if (b->prev) {
        b->prev->next = b->next;
    }
    if (b->next) {
        b->next->prev = b->prev;
    }
}

/* ---- public functions ---- */

umf_result_t coarse_create(const coarse_params_t *params, coarse_t **out) {
    if (out == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    coarse_t *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return UMF_RESULT_ERROR_OUT_OF_RESOURCES;
    }
    if (params) {
        c->grow = params->grow;
        c->grow_arg = params->grow_arg;
    }
    *out = c;
    return UMF_RESULT_SUCCESS;
}

static void free_tree_blocks(avl_node_t *n) {
    while (n) {
        free_tree_blocks(n->left);
        avl_node_t *right = n->right;
        free(BLOCK_OF_ADDR(n));
        n = right;
    }
}

void coarse_destroy(coarse_t *c) {
    if (c == NULL) {
        return;
    }
    free_tree_blocks(c->by_addr);
    while (c->cache) {
        block_t *next = c->cache->next;
        free(c->cache);
        c->cache = next;
    }
    while (c->regions) {
        region_t *next = c->regions->next;
        free(c->regions);
        c->regions = next;
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static umf_result_t add_region_locked(coarse_t *c, uintptr_t base, size_t size, uintptr_t user) {
    if (base == 0 || size == 0 || base + size < base) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    /* overlap: a block starting at or below base reaching past it, or one starting inside */
    avl_node_t *below = avl_floor(c->by_addr, base, 0);
    if (below && block_addr(BLOCK_OF_ADDR(below)) + BLOCK_OF_ADDR(below)->size > base) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    avl_node_t *above = avl_ceil(c->by_addr, base, 0);
    if (above && block_addr(BLOCK_OF_ADDR(above)) < base + size) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    region_t *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    block_t *b = block_new(c, base, size, r);
    if (b == NULL) {
        free(r);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    r->base = base;
    r->size = size;
    r->user = user;
    r->first = b;
    region_t **pos = &c->regions;
    while (*pos && (*pos)->base < base) {
        pos = &(*pos)->next;
    }
    r->next = *pos;
    *pos = r;
    c->by_addr = avl_insert(c->by_addr, &b->by_addr);
    free_index_insert(c, b);
    c->num_regions++;
    c->total_size += size;
    return UMF_RESULT_SUCCESS;
}

umf_result_t coarse_add_region(coarse_t *c, void *base, size_t size, uintptr_t user) {
    if (c == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    pthread_mutex_lock(&c->lock);
    umf_result_t rc = add_region_locked(c, (uintptr_t)base, size, user);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* Whether an aligned piece of size bytes fits in free block b; *start receives its address. */
static inline bool block_fits(const block_t *b, size_t size, size_t alignment, uintptr_t *start) {
    uintptr_t a = block_addr(b);
    uintptr_t s = ALIGN_UP(a, alignment);
    if (s < a) {
        return false;
    }
    size_t off = (size_t)(s - a);
    if (off > b->size || size > b->size - off) {
        return false;
    }
    *start = s;
    return true;
}

#define FIT_CANDIDATES 8

/* Best fit: the smallest free blocks big enough first, then one surely big enough. */
static block_t *find_fit(coarse_t *c, size_t size, size_t alignment, uintptr_t *start) {
    avl_node_t *n = avl_ceil(c->free_by_size, size, 0);
    for (int i = 0; n && i < FIT_CANDIDATES; i++) {
        block_t *b = BLOCK_OF_SIZE(n);
        if (block_fits(b, size, alignment, start)) {
            return b;
        }
        if (n->k2 == UINTPTR_MAX) {
            break;
        }
        n = avl_ceil(c->free_by_size, n->k1, n->k2 + 1);
    }
    if (alignment > 1 && size <= SIZE_MAX - (alignment - 1)) {
        n = avl_ceil(c->free_by_size, size + alignment - 1, 0);
        if (n && block_fits(BLOCK_OF_SIZE(n), size, alignment, start)) {
            return BLOCK_OF_SIZE(n);
        }
    }
    return NULL;
}

/* Turns [start, start+size) of free block b into a used block; returns it or NULL (no memory). */
static block_t *carve(coarse_t *c, block_t *b, uintptr_t start, size_t size) {
    uintptr_t a = block_addr(b);
    block_t *prefix_tail = NULL, *suffix = NULL;
    block_t *cur = b;
    /* allocate the new structs first so that a failure leaves everything untouched */
    if (start > a) {
        prefix_tail = block_new(c, start, b->size - (size_t)(start - a), b->region);
        if (prefix_tail == NULL) {
            return NULL;
        }
    }
    size_t cur_size = prefix_tail ? prefix_tail->size : b->size;
    if (cur_size > size) {
        suffix = block_new(c, start + size, cur_size - size, b->region);
        if (suffix == NULL) {
            if (prefix_tail) {
                block_release(c, prefix_tail);
            }
            return NULL;
        }
    }
    free_index_remove(c, b);
    if (prefix_tail) {
        b->size = (size_t)(start - a);
        free_index_insert(c, b); /* b stays free, as the prefix */
        link_after(b, prefix_tail);
        c->by_addr = avl_insert(c->by_addr, &prefix_tail->by_addr);
        cur = prefix_tail;
    }
    if (suffix) {
        cur->size = size;
        link_after(cur, suffix);
        c->by_addr = avl_insert(c->by_addr, &suffix->by_addr);
        free_index_insert(c, suffix);
    }
    cur->used = true;
    c->used_size += size;
    if (c->used_size > c->peak_used_size) {
        c->peak_used_size = c->used_size;
    }
    return cur;
}

umf_result_t coarse_alloc(coarse_t *c, size_t size, size_t alignment, void **ptr) {
    if (c == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (alignment == 0) {
        alignment = 1;
    }
    if (!IS_POWER_OF_2(alignment)) {
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    if (size == 0) {
        *ptr = NULL;
        return UMF_RESULT_SUCCESS;
    }
    umf_result_t rc = UMF_RESULT_SUCCESS;
    uintptr_t start = 0;
    pthread_mutex_lock(&c->lock);
    block_t *b = find_fit(c, size, alignment, &start);
    if (b == NULL && c->grow) {
        if (size > SIZE_MAX - (alignment - 1)) {
            rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
            goto out;
        }
        void *base = NULL;
        size_t got = 0;
        uintptr_t user = 0;
        rc = c->grow(c->grow_arg, size + alignment - 1, &base, &got, &user);
        if (rc != UMF_RESULT_SUCCESS) {
            goto out;
        }
        rc = add_region_locked(c, (uintptr_t)base, got, user);
        if (rc != UMF_RESULT_SUCCESS) {
            goto out;
        }
        b = find_fit(c, size, alignment, &start);
    }
    if (b == NULL) {
        rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        goto out;
    }
    b = carve(c, b, start, size);
    if (b == NULL) {
        rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        goto out;
    }
    *ptr = (void *)block_addr(b);
out:
    pthread_mutex_unlock(&c->lock);
    return rc;
}

static block_t *used_block_at(coarse_t *c, const void *ptr) {
    avl_node_t *n = avl_find_exact(c->by_addr, (uintptr_t)ptr, 0);
    if (n == NULL) {
        return NULL;
    }
    block_t *b = BLOCK_OF_ADDR(n);
    return b->used ? b : NULL;
}

umf_result_t coarse_free(coarse_t *c, void *ptr, size_t size) {
    if (c == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ptr == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    pthread_mutex_lock(&c->lock);
    block_t *b = used_block_at(c, ptr);
    if (b == NULL || (size != 0 && size != b->size)) {
        pthread_mutex_unlock(&c->lock);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    b->used = false;
    c->used_size -= b->size;
    block_t *next = b->next;
    if (next && !next->used) {
        free_index_remove(c, next);
        c->by_addr = avl_remove(c->by_addr, &next->by_addr);
        b->size += next->size;
        unlink_block(next);
        block_release(c, next);
    }
    block_t *prev = b->prev;
    if (prev && !prev->used) {
        free_index_remove(c, prev);
        c->by_addr = avl_remove(c->by_addr, &b->by_addr);
        prev->size += b->size;
        unlink_block(b);
        block_release(c, b);
        b = prev;
    }
    free_index_insert(c, b);
    pthread_mutex_unlock(&c->lock);
    return UMF_RESULT_SUCCESS;
}

umf_result_t coarse_split(coarse_t *c, void *ptr, size_t totalSize, size_t firstSize) {
    if (c == NULL || ptr == NULL || firstSize == 0 || firstSize >= totalSize) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&c->lock);
    block_t *b = used_block_at(c, ptr);
    if (b == NULL || b->size != totalSize) {
        rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    block_t *nb = block_new(c, block_addr(b) + firstSize, totalSize - firstSize, b->region);
    if (nb == NULL) {
        rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        goto out;
    }
    nb->used = true;
    b->size = firstSize;
    link_after(b, nb);
    c->by_addr = avl_insert(c->by_addr, &nb->by_addr);
out:
    pthread_mutex_unlock(&c->lock);
    return rc;
}

umf_result_t coarse_merge(coarse_t *c, void *lowPtr, void *highPtr, size_t totalSize) {
    if (c == NULL || lowPtr == NULL || highPtr == NULL || totalSize == 0 ||
        (uintptr_t)lowPtr >= (uintptr_t)highPtr) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&c->lock);
    block_t *lo = used_block_at(c, lowPtr);
    block_t *hi = used_block_at(c, highPtr);
    if (lo == NULL || hi == NULL || lo->next != hi || hi->size > totalSize ||
        lo->size != totalSize - hi->size) {
        rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    c->by_addr = avl_remove(c->by_addr, &hi->by_addr);
    lo->size = totalSize;
    unlink_block(hi);
    block_release(c, hi);
out:
    pthread_mutex_unlock(&c->lock);
    return rc;
}

umf_result_t coarse_find(coarse_t *c, const void *ptr, coarse_block_info_t *info) {
    if (c == NULL || info == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->lock);
    avl_node_t *n = avl_floor(c->by_addr, (uintptr_t)ptr, 0);
    if (n) {
        block_t *b = BLOCK_OF_ADDR(n);
        if ((uintptr_t)ptr - block_addr(b) < b->size) {
            info->block_base = (void *)block_addr(b);
            info->block_size = b->size;
            info->used = b->used;
            info->region_base = (void *)b->region->base;
            info->region_size = b->region->size;
            info->region_user = b->region->user;
            rc = UMF_RESULT_SUCCESS;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void coarse_get_stats(coarse_t *c, coarse_stats_t *stats) {
    if (stats == NULL) {
        return;
    }
    memset(stats, 0, sizeof(*stats));
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&c->lock);
    stats->total_size = c->total_size;
    stats->used_size = c->used_size;
    stats->peak_used_size = c->peak_used_size;
    stats->free_size = c->total_size - c->used_size;
    stats->num_regions = c->num_regions;
    stats->num_blocks = c->num_blocks;
    stats->num_free_blocks = c->num_free_blocks;
    pthread_mutex_unlock(&c->lock);
}

void coarse_reset_peak(coarse_t *c) {
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&c->lock);
    c->peak_used_size = c->used_size;
    pthread_mutex_unlock(&c->lock);
}

bool coarse_provider_protection(unsigned protection, int *prot) {
    if (protection == 0 || (protection & ~0xFu) != 0) {
        return false;
    }
    int p = PROT_NONE;
    if (protection & 2u) { /* UMF_PROTECTION_READ */
        p |= PROT_READ;
    }
    if (protection & 4u) { /* UMF_PROTECTION_WRITE */
        p |= PROT_WRITE;
    }
    if (protection & 8u) { /* UMF_PROTECTION_EXEC */
        p |= PROT_EXEC;
    }
    *prot = p;
    return true;
}

umf_result_t coarse_provider_ctl(coarse_t *c, const char *name, void *arg, size_t size, umf_ctl_query_type_t queryType) {
    if (name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (queryType == CTL_QUERY_RUNNABLE && strcmp(name, "post_initialize") == 0) {
        return UMF_RESULT_SUCCESS;
    }
    if (queryType == CTL_QUERY_RUNNABLE && strcmp(name, "stats.peak_memory.reset") == 0) {
        coarse_reset_peak(c);
        return UMF_RESULT_SUCCESS;
    }
    bool used = strcmp(name, "stats.allocated_memory") == 0;
    bool peak = strcmp(name, "stats.peak_memory") == 0;
    if ((used || peak) && queryType == CTL_QUERY_READ) {
        if (arg == NULL || size < sizeof(size_t)) {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        coarse_stats_t st;
        coarse_get_stats(c, &st);
        *(size_t *)arg = used ? st.used_size : st.peak_used_size;
        return UMF_RESULT_SUCCESS;
    }
    return UMF_RESULT_ERROR_INVALID_CTL_PATH;
}

int coarse_for_each_region(coarse_t *c, int (*fn)(void *base, size_t size, uintptr_t user, void *arg), void *arg) {
    if (c == NULL || fn == NULL) {
        return 0;
    }
    int ret = 0;
    pthread_mutex_lock(&c->lock);
    for (region_t *r = c->regions; r && ret == 0; r = r->next) {
        ret = fn((void *)r->base, r->size, r->user, arg);
    }
    pthread_mutex_unlock(&c->lock);
    return ret;
}

/* ---- invariant checks (tests only; O(n log n)) ---- */

/* Checks order, heights and balance of a subtree; counts its nodes. Returns 0 or a code. */
static int check_tree(const avl_node_t *n, const avl_node_t *lo, const avl_node_t *hi, size_t *count) {
    if (n == NULL) {
        return 0;
    }
    if (lo && avl_cmp(n->k1, n->k2, lo) <= 0) {
        return 1;
    }
    if (hi && avl_cmp(n->k1, n->k2, hi) >= 0) {
        return 1;
    }
    int hl = avl_height(n->left), hr = avl_height(n->right);
    if (n->height != (hl > hr ? hl : hr) + 1 || hl - hr > 1 || hr - hl > 1) {
        return 2;
    }
    (*count)++;
    int rc = check_tree(n->left, lo, n, count);
    return rc ? rc : check_tree(n->right, n, hi, count);
}

int coarse_check(coarse_t *c) {
    if (c == NULL) {
        return 0;
    }
    int rc = 0;
    pthread_mutex_lock(&c->lock);
    size_t n_addr = 0, n_size = 0;
    if ((rc = check_tree(c->by_addr, NULL, NULL, &n_addr)) != 0 ||
        (rc = check_tree(c->free_by_size, NULL, NULL, &n_size)) != 0) {
        goto out;
    }
    if (n_addr != c->num_blocks || n_size != c->num_free_blocks) {
        rc = 3;
        goto out;
    }
    size_t total = 0, used = 0, blocks = 0, free_blocks = 0, regions = 0;
    uintptr_t last_end = 0;
    for (region_t *r = c->regions; r; r = r->next) {
        regions++;
        if (r->base < last_end) {
            rc = 4; /* regions unsorted or overlapping */
            goto out;
        }
        last_end = r->base + r->size;
        total += r->size;
        uintptr_t at = r->base;
        const block_t *prev = NULL;
        for (const block_t *b = r->first; b; prev = b, b = b->next) {
            blocks++;
            if (b->region != r || block_addr(b) != at || b->prev != prev || b->size == 0) {
                rc = 5; /* blocks do not tile the region */
                goto out;
            }
            if (avl_find_exact(c->by_addr, block_addr(b), 0) != &b->by_addr) {
                rc = 6;
                goto out;
            }
            if (b->used) {
                used += b->size;
            } else {
                free_blocks++;
                if (prev && !prev->used) {
                    rc = 7; /* two free neighbours: coalescing missed */
                    goto out;
                }
                if (b->by_size.k1 != b->size || b->by_size.k2 != block_addr(b) ||
                    avl_find_exact(c->free_by_size, b->size, block_addr(b)) != &b->by_size) {
                    rc = 8;
                    goto out;
                }
            }
            at += b->size;
        }
        if (at != r->base + r->size) {
            rc = 5;
            goto out;
        }
    }
    if (total != c->total_size || used != c->used_size || blocks != c->num_blocks ||
        free_blocks != c->num_free_blocks || regions != c->num_regions) {
        rc = 9;
    }
out:
    pthread_mutex_unlock(&c->lock);
    return rc;
}
