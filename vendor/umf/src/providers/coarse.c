/*
 * The coarse allocator (see coarse.h).
 *
 * Blocks tile their regions and are chained to their address neighbours, so
 * freeing coalesces in O(1). Every block is in an AVL tree keyed by address
 * ("which block holds this pointer" in O(log n)); a new block is always linked
 * in right after a block already known and a removed one is unlinked by
 * pointer, so keeping the tree costs amortized O(1) and no descent. Free
 * blocks sit in segregated free lists, one per size class (8 classes per power
 * of two, with a bitmap of the non-empty ones): allocation takes the best fit
 * among a few blocks of the request's class, else of the next non-empty
 * class, else the first block of a class sure to fit, in O(1). Used blocks are
 * also in a hash table by address, so free, split and merge find them in O(1).
 */
#include "providers/coarse.h"

#include "base/ctl_value.h"
#include "base/utils.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ---- an intrusive AVL tree keyed by address, with parent pointers ---- */

/*
 * Nodes are placed next to a node already known (a new block always lands
 * right after an existing one in address order) and removed by pointer, so
 * neither walks down from the root: only lookups descend. Rebalancing walks up
 * and stops as soon as a subtree keeps its height (amortized O(1)).
 */
typedef struct avl_node_t {
    struct avl_node_t *left, *right, *parent;
    uintptr_t key;
    int height;
} avl_node_t;

static inline int avl_height(const avl_node_t *n) { return n ? n->height : 0; }

static inline void avl_fix_height(avl_node_t *n) {
    int hl = avl_height(n->left), hr = avl_height(n->right);
    n->height = (hl > hr ? hl : hr) + 1;
}

/* Puts `repl` where `old` hung below parent (or at the root). */
static inline void avl_replace_child(avl_node_t **root, avl_node_t *parent, avl_node_t *old, avl_node_t *repl) {
    if (parent == NULL) {
        *root = repl;
    } else if (parent->left == old) {
        parent->left = repl;
    } else {
        parent->right = repl;
    }
    if (repl) {
        repl->parent = parent;
    }
}

static avl_node_t *avl_rotate_left(avl_node_t **root, avl_node_t *x) {
    avl_node_t *y = x->right, *p = x->parent;
    x->right = y->left;
    if (y->left) {
        y->left->parent = x;
    }
    y->left = x;
    x->parent = y;
    avl_replace_child(root, p, x, y);
    avl_fix_height(x);
    avl_fix_height(y);
    return y;
}

static avl_node_t *avl_rotate_right(avl_node_t **root, avl_node_t *x) {
    avl_node_t *y = x->left, *p = x->parent;
    x->left = y->right;
    if (y->right) {
        y->right->parent = x;
    }
    y->right = x;
    x->parent = y;
    avl_replace_child(root, p, x, y);
    avl_fix_height(x);
    avl_fix_height(y);
    return y;
}

/* Restores balance at n; returns the root of the subtree now in n's place. */
static avl_node_t *avl_rebalance(avl_node_t **root, avl_node_t *n) {
    avl_fix_height(n);
    int balance = avl_height(n->left) - avl_height(n->right);
    if (balance > 1) {
        if (avl_height(n->left->left) < avl_height(n->left->right)) {
            avl_rotate_left(root, n->left);
        }
        return avl_rotate_right(root, n);
    }
    if (balance < -1) {
        if (avl_height(n->right->right) < avl_height(n->right->left)) {
            avl_rotate_right(root, n->right);
        }
        return avl_rotate_left(root, n);
    }
    return n;
}

/* Rebalances from n up to the root, stopping where a subtree's height is what it was. */
static void avl_retrace(avl_node_t **root, avl_node_t *n) {
    while (n) {
        int before = n->height;
        avl_node_t *sub = avl_rebalance(root, n);
        if (sub->height == before) {
            return;
        }
        n = sub->parent;
    }
}

/* Inserts n right after `after` in key order (after == NULL: n becomes the first node). */
static void avl_insert_after(avl_node_t **root, avl_node_t *after, avl_node_t *n) {
    n->left = n->right = NULL;
    n->height = 1;
    if (*root == NULL) {
        n->parent = NULL;
        *root = n;
        return;
    }
    avl_node_t *at;
    if (after == NULL) {
        for (at = *root; at->left; at = at->left) {
        }
        at->left = n;
    } else if (after->right == NULL) {
        at = after;
        at->right = n;
    } else {
        for (at = after->right; at->left; at = at->left) {
        }
        at->left = n;
    }
    n->parent = at;
    avl_retrace(root, at);
}

/* Removes node n (which is in the tree). */
static void avl_remove_node(avl_node_t **root, avl_node_t *n) {
    avl_node_t *start;
    if (n->left && n->right) {
        /* the successor s (no left child) takes n's place */
        avl_node_t *s = n->right;
        while (s->left) {
            s = s->left;
        }
        if (s->parent == n) {
            start = s;
        } else {
            start = s->parent;
            start->left = s->right;
            if (s->right) {
                s->right->parent = start;
            }
            s->right = n->right;
            n->right->parent = s;
        }
        s->left = n->left;
        n->left->parent = s;
        s->height = n->height;
        avl_replace_child(root, n->parent, n, s);
    } else {
        start = n->parent;
        avl_replace_child(root, n->parent, n, n->left ? n->left : n->right);
    }
    avl_retrace(root, start);
}

static avl_node_t *avl_find_exact(avl_node_t *n, uintptr_t key) {
    while (n && n->key != key) {
        n = key < n->key ? n->left : n->right;
    }
    return n;
}

/* The node with the greatest key <= key, or NULL. */
static avl_node_t *avl_floor(avl_node_t *n, uintptr_t key) {
    avl_node_t *best = NULL;
    while (n) {
        if (n->key == key) {
            return n;
        }
        if (n->key < key) {
            best = n;
            n = n->right;
        } else {
            n = n->left;
        }
    }
    return best;
}

/* ---- blocks, regions, size classes ---- */

typedef struct region_t {
    uintptr_t base;
    size_t size;
    uintptr_t user;
    struct block_t *first; /* the block at base; never removed while the region lives */
} region_t;

typedef struct block_t {
    avl_node_t node;              /* used blocks: in the address tree (key = address) */
    struct block_t *prev, *next;  /* neighbours in the same region */
    struct block_t *fprev, *fnext; /* free blocks: the free list of their size class */
    struct block_t *hnext;        /* used blocks: the hash chain */
    region_t *region;
    size_t size;
    bool used;
} block_t;

/* Size classes: class 0 holds blocks under 64 bytes; then 8 classes per power of two. */
#define SL_BITS 3
#define SL_COUNT (1u << SL_BITS)
#define MIN_LOG2 6
#define NUM_CLASSES (1 + (64 - MIN_LOG2) * SL_COUNT)
#define BITMAP_WORDS ((NUM_CLASSES + 63) / 64)
#define FIT_CANDIDATES 8
#define BLOCK_CACHE_MAX 256

struct coarse_t {
    pthread_mutex_t lock;
    coarse_grow_fn grow;
    void *grow_arg;
    avl_node_t *by_addr;    /* every block */
    block_t **hash;         /* used blocks by address */
    unsigned hash_bits;
    block_t *bins[NUM_CLASSES];
    uint64_t bitmap[BITMAP_WORDS];
    region_t **regions; /* sorted by base */
    size_t num_regions, regions_cap;
    block_t *cache; /* recycled block structs, linked through next */
    size_t cache_len;
    size_t total_size, used_size, peak_used_size;
    size_t num_blocks, num_free_blocks, num_used_blocks;
};

#define BLOCK_OF_NODE(n) ((block_t *)((char *)(n)-offsetof(block_t, node)))

static inline uintptr_t block_addr(const block_t *b) { return b->node.key; }

/* The class whose size range holds size. */
static inline unsigned size_class(size_t size) {
    if (size < ((size_t)1 << MIN_LOG2)) {
        return 0;
    }
    unsigned fl = 63u - (unsigned)__builtin_clzll((unsigned long long)size);
    unsigned sl = (unsigned)(size >> (fl - SL_BITS)) & (SL_COUNT - 1);
    return 1 + (fl - MIN_LOG2) * SL_COUNT + sl;
}

/* The first class >= from with a free block, or NUM_CLASSES. */
static unsigned next_nonempty(const coarse_t *c, unsigned from) {
    for (unsigned w = from / 64; w < BITMAP_WORDS; w++) {
        uint64_t bits = c->bitmap[w];
        if (w == from / 64) {
            bits &= ~0ull << (from % 64);
        }
        if (bits) {
            return w * 64 + (unsigned)__builtin_ctzll(bits);
        }
    }
    return NUM_CLASSES;
}

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
    b->node.key = addr;
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
    unsigned cls = size_class(b->size);
    b->fprev = NULL;
    b->fnext = c->bins[cls];
    if (b->fnext) {
        b->fnext->fprev = b;
    }
    c->bins[cls] = b;
    c->bitmap[cls / 64] |= 1ull << (cls % 64);
    c->num_free_blocks++;
}

/* b->size must still be the size it was inserted with */
static void free_index_remove(coarse_t *c, block_t *b) {
    unsigned cls = size_class(b->size);
    if (b->fprev) {
        b->fprev->fnext = b->fnext;
    } else {
        c->bins[cls] = b->fnext;
        if (b->fnext == NULL) {
            c->bitmap[cls / 64] &= ~(1ull << (cls % 64));
        }
    }
    if (b->fnext) {
        b->fnext->fprev = b->fprev;
    }
    b->fprev = b->fnext = NULL;
    c->num_free_blocks--;
}

#define HASH_MIN_BITS 6

static inline size_t hash_of(uintptr_t addr, unsigned bits) {
    return (size_t)(((uint64_t)addr * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

/* Doubles the table; on failure to get memory the chains just grow longer. */
static void hash_grow(coarse_t *c) {
    unsigned bits = c->hash_bits ? c->hash_bits + 1 : HASH_MIN_BITS;
    block_t **t = calloc((size_t)1 << bits, sizeof(*t));
    if (t == NULL) {
        return;
    }
    if (c->hash) {
        for (size_t i = 0; i < ((size_t)1 << c->hash_bits); i++) {
            block_t *b = c->hash[i];
            while (b) {
                block_t *next = b->hnext;
                size_t h = hash_of(block_addr(b), bits);
                b->hnext = t[h];
                t[h] = b;
                b = next;
            }
        }
        free(c->hash);
    }
    c->hash = t;
    c->hash_bits = bits;
}

static bool used_index_insert(coarse_t *c, block_t *b) {
    if (c->hash == NULL || c->num_used_blocks >= ((size_t)1 << c->hash_bits)) {
        hash_grow(c);
        if (c->hash == NULL) {
            return false;
        }
    }
    size_t h = hash_of(block_addr(b), c->hash_bits);
    b->hnext = c->hash[h];
    c->hash[h] = b;
    c->num_used_blocks++;
    return true;
}

static void used_index_remove(coarse_t *c, block_t *b) {
    block_t **at = &c->hash[hash_of(block_addr(b), c->hash_bits)];
    while (*at != b) {
        at = &(*at)->hnext;
    }
    *at = b->hnext;
    b->hnext = NULL;
    c->num_used_blocks--;
}

static block_t *used_block_at(coarse_t *c, const void *ptr) {
    if (c->hash == NULL) {
        return NULL;
    }
    block_t *b = c->hash[hash_of((uintptr_t)ptr, c->hash_bits)];
    while (b && block_addr(b) != (uintptr_t)ptr) {
        b = b->hnext;
    }
    return b;
}

static inline void addr_insert_after(coarse_t *c, block_t *after, block_t *b) {
    avl_insert_after(&c->by_addr, after ? &after->node : NULL, &b->node);
}

static inline void addr_remove(coarse_t *c, block_t *b) { avl_remove_node(&c->by_addr, &b->node); }

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

/* Index of the last region whose base is <= addr, or -1. */
static ptrdiff_t region_floor(const coarse_t *c, uintptr_t addr) {
    ptrdiff_t lo = 0, hi = (ptrdiff_t)c->num_regions - 1, best = -1;
    while (lo <= hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        if (c->regions[mid]->base <= addr) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best;
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

void coarse_destroy(coarse_t *c) {
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->num_regions; i++) {
        block_t *b = c->regions[i]->first;
        while (b) {
            block_t *next = b->next;
            free(b);
            b = next;
        }
        free(c->regions[i]);
    }
    free(c->regions);
    free(c->hash);
    while (c->cache) {
        block_t *next = c->cache->next;
        free(c->cache);
        c->cache = next;
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static umf_result_t add_region_locked(coarse_t *c, uintptr_t base, size_t size, uintptr_t user) {
    if (base == 0 || size == 0 || base + size < base) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    ptrdiff_t below = region_floor(c, base);
    if (below >= 0 && c->regions[below]->base + c->regions[below]->size > base) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t pos = (size_t)(below + 1);
    if (pos < c->num_regions && c->regions[pos]->base < base + size) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (c->num_regions == c->regions_cap) {
        size_t cap = c->regions_cap ? 2 * c->regions_cap : 8;
        region_t **grown = realloc(c->regions, cap * sizeof(*grown));
        if (grown == NULL) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        c->regions = grown;
        c->regions_cap = cap;
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
    memmove(&c->regions[pos + 1], &c->regions[pos], (c->num_regions - pos) * sizeof(*c->regions));
    c->regions[pos] = r;
    c->num_regions++;
    avl_node_t *before = avl_floor(c->by_addr, base);
    addr_insert_after(c, before ? BLOCK_OF_NODE(before) : NULL, b);
    free_index_insert(c, b);
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

/* The smallest fitting block among the first `limit` of class cls (all when limit is 0). */
static block_t *best_in_class(coarse_t *c, unsigned cls, size_t size, size_t alignment, unsigned limit,
                              uintptr_t *start) {
    block_t *best = NULL;
    uintptr_t best_start = 0, s = 0;
    unsigned seen = 0;
    for (block_t *b = c->bins[cls]; b && (limit == 0 || seen < limit); b = b->fnext, seen++) {
        if ((best == NULL || b->size < best->size) && block_fits(b, size, alignment, &s)) {
            best = b;
            best_start = s;
            if (b->size == size) {
                break;
            }
        }
    }
    if (best) {
        *start = best_start;
    }
    return best;
}

/*
 * Good fit in O(1): the best of a few blocks of the request's class, else of
 * the next non-empty class; else the first block of a class whose every block
 * is big enough for any alignment. Only when memory is nearly exhausted (no
 * such class has a block) the classes in between are searched in full, so
 * that whatever fits anywhere is found.
 */
static block_t *find_fit(coarse_t *c, size_t size, size_t alignment, uintptr_t *start) {
    unsigned cls = size_class(size);
    block_t *b = best_in_class(c, cls, size, alignment, FIT_CANDIDATES, start);
    if (b) {
        return b;
    }
    size_t need = size;
    if (alignment > 1) {
        need = size <= SIZE_MAX - (alignment - 1) ? size + alignment - 1 : SIZE_MAX;
    }
    unsigned sure = size_class(need) + 1; /* every block from this class on has more than need bytes */
    unsigned next = next_nonempty(c, cls + 1);
    if (next < sure) {
        b = best_in_class(c, next, size, alignment, FIT_CANDIDATES, start);
        if (b) {
            return b;
        }
    }
    if (need < SIZE_MAX) {
        unsigned big = next_nonempty(c, sure);
        if (big < NUM_CLASSES && block_fits(c->bins[big], size, alignment, start)) {
            return c->bins[big];
        }
    }
    /* nearly full: look at every block that might fit */
    for (unsigned k = next_nonempty(c, cls); k < NUM_CLASSES && k < sure; k = next_nonempty(c, k + 1)) {
        b = best_in_class(c, k, size, alignment, 0, start);
        if (b) {
            return b;
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
    block_t *used = prefix_tail ? prefix_tail : b;
    if (!used_index_insert(c, used)) {
        if (prefix_tail) {
            block_release(c, prefix_tail);
        }
        if (suffix) {
            block_release(c, suffix);
        }
        return NULL;
    }
    free_index_remove(c, b);
    if (prefix_tail) {
        b->size = (size_t)(start - a);
        free_index_insert(c, b); /* b stays free, as the prefix */
        link_after(b, prefix_tail);
        addr_insert_after(c, b, prefix_tail);
        cur = prefix_tail;
    }
    if (suffix) {
        cur->size = size;
        link_after(cur, suffix);
        addr_insert_after(c, cur, suffix);
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
    used_index_remove(c, b);
    b->used = false;
    c->used_size -= b->size;
    block_t *next = b->next;
    if (next && !next->used) {
        free_index_remove(c, next);
        addr_remove(c, next);
        b->size += next->size;
        unlink_block(next);
        block_release(c, next);
    }
    block_t *prev = b->prev;
    if (prev && !prev->used) {
        free_index_remove(c, prev);
        addr_remove(c, b);
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
    if (!used_index_insert(c, nb)) {
        block_release(c, nb);
        rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        goto out;
    }
    b->size = firstSize;
    link_after(b, nb);
    addr_insert_after(c, b, nb);
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
    used_index_remove(c, hi);
    addr_remove(c, hi);
    lo->size = totalSize;
    unlink_block(hi);
    block_release(c, hi);
out:
    pthread_mutex_unlock(&c->lock);
    return rc;
}

static inline bool block_holds(const block_t *b, uintptr_t p) { return p - block_addr(b) < b->size; }

/* The block holding p, or NULL. */
static const block_t *block_holding(coarse_t *c, uintptr_t p) {
    const block_t *u = used_block_at(c, (const void *)p); /* the start of an allocation: O(1) */
    if (u) {
        return u;
    }
    avl_node_t *n = avl_floor(c->by_addr, p);
    return n && block_holds(BLOCK_OF_NODE(n), p) ? BLOCK_OF_NODE(n) : NULL;
}

umf_result_t coarse_find(coarse_t *c, const void *ptr, coarse_block_info_t *info) {
    if (c == NULL || info == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->lock);
    const block_t *b = block_holding(c, (uintptr_t)ptr);
    if (b) {
        info->block_base = (void *)block_addr(b);
        info->block_size = b->size;
        info->used = b->used;
        info->region_base = (void *)b->region->base;
        info->region_size = b->region->size;
        info->region_user = b->region->user;
        rc = UMF_RESULT_SUCCESS;
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
        coarse_stats_t st;
        coarse_get_stats(c, &st);
        return umf_ctl_out_size(arg, size, used ? st.used_size : st.peak_used_size);
    }
    return UMF_RESULT_ERROR_INVALID_CTL_PATH;
}

int coarse_for_each_region(coarse_t *c, int (*fn)(void *base, size_t size, uintptr_t user, void *arg), void *arg) {
    if (c == NULL || fn == NULL) {
        return 0;
    }
    int ret = 0;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->num_regions && ret == 0; i++) {
        const region_t *r = c->regions[i];
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
    if ((lo && n->key <= lo->key) || (hi && n->key >= hi->key)) {
        return 1;
    }
    int hl = avl_height(n->left), hr = avl_height(n->right);
    if (n->height != (hl > hr ? hl : hr) + 1 || hl - hr > 1 || hr - hl > 1) {
        return 2;
    }
    if ((n->left && n->left->parent != n) || (n->right && n->right->parent != n)) {
        return 11;
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
    size_t n_tree = 0;
    if ((rc = check_tree(c->by_addr, NULL, NULL, &n_tree)) != 0) {
        goto out;
    }
    if (n_tree != c->num_blocks || (c->by_addr && c->by_addr->parent != NULL)) {
        rc = 3;
        goto out;
    }
    size_t n_used = 0;
    for (size_t i = 0; c->hash && i < ((size_t)1 << c->hash_bits); i++) {
        for (const block_t *b = c->hash[i]; b; b = b->hnext) {
            if (!b->used || hash_of(block_addr(b), c->hash_bits) != i) {
                rc = 12;
                goto out;
            }
            n_used++;
        }
    }
    if (n_used != c->num_used_blocks) {
        rc = 3;
        goto out;
    }
    /* every free list: its blocks are free, of its class, doubly linked; the bitmap matches */
    size_t n_listed = 0;
    for (unsigned k = 0; k < NUM_CLASSES; k++) {
        bool bit = (c->bitmap[k / 64] >> (k % 64)) & 1;
        if (bit != (c->bins[k] != NULL)) {
            rc = 10;
            goto out;
        }
        const block_t *prev = NULL;
        for (const block_t *b = c->bins[k]; b; prev = b, b = b->fnext) {
            if (b->used || size_class(b->size) != k || b->fprev != prev) {
                rc = 8;
                goto out;
            }
            n_listed++;
        }
    }
    size_t total = 0, used = 0, blocks = 0, free_blocks = 0;
    uintptr_t last_end = 0;
    for (size_t i = 0; i < c->num_regions; i++) {
        const region_t *r = c->regions[i];
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
            if (avl_find_exact(c->by_addr, block_addr(b)) != &b->node) {
                rc = 6;
                goto out;
            }
            if (b->used) {
                used += b->size;
                if (used_block_at(c, (void *)block_addr(b)) != b) {
                    rc = 6;
                    goto out;
                }
            } else {
                free_blocks++;
                if (prev && !prev->used) {
                    rc = 7; /* two free neighbours: coalescing missed */
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
        free_blocks != c->num_free_blocks || free_blocks != n_listed || blocks != free_blocks + n_used) {
        rc = 9;
    }
out:
    pthread_mutex_unlock(&c->lock);
    return rc;
}

umf_result_t coarse_provider_free(coarse_t *c, void *ptr, size_t size, const char *who) {
    umf_result_t rc = coarse_free(c, ptr, size);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_ERR("%p (%zu bytes) is not an allocation of this %s", ptr, size, who);
    }
    return rc;
}

umf_result_t coarse_provider_split(coarse_t *c, void *ptr, size_t totalSize, size_t firstSize) {
    umf_result_t rc = coarse_split(c, ptr, totalSize, firstSize);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_ERR("invalid split of %p (%zu bytes) at %zu", ptr, totalSize, firstSize);
    }
    return rc;
}

umf_result_t coarse_provider_merge(coarse_t *c, void *lowPtr, void *highPtr, size_t totalSize) {
    umf_result_t rc = coarse_merge(c, lowPtr, highPtr, totalSize);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_ERR("invalid merge of %p and %p (%zu bytes)", lowPtr, highPtr, totalSize);
    }
    return rc;
}
