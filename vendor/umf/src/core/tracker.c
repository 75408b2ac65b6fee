/*
 * The allocation tracker (see tracker.h for the contract).
 *
 * Design
 * ------
 * Each nesting level is its own ordered map from a range's base address to its
 * entry; ranges on one level never overlap, so "which range of level L holds
 * p" is "the entry with the greatest base <= p, if p is below its end". A
 * lookup asks the deepest level in use first and walks outwards, so with no
 * nested pools it is a single predecessor search. Each level keeps bounds
 * that hold all its ranges, so a pointer outside them skips the level without
 * a search (a program with a stack of nested pools and a separate pool finds
 * the separate pool's pointers with one search, not one per level), and the
 * levels below the first count their ranges per 2 MiB granule, so a lookup
 * also skips a deeper level with nothing near its pointer (in a tree of
 * nested pools most pointers lie in the outer pools). Before
 * any search, a per-thread cache of the last few ranges found answers runs of
 * lookups in the same ranges (see "lookup cache").
 *
 * The map is a path-compressed radix tree over the 64-bit key, 4 bits per
 * node. A node dispatches on the nibble at bit `shift` and records the key
 * bits above that nibble (`prefix`). A child slot holds 0, an entry pointer
 * tagged with bit 0, or a node reference: the node's address (32-byte
 * aligned) with its shift / 4 in bits 1..4, so a lookup can compute the next
 * slot's address from the reference alone, without waiting for a load from
 * the node (the prefix check runs beside it); that shortens the chain of
 * dependent loads per level, which is what a lookup's latency is made of.
 * A node's `used` bitmap of non-empty slots turns "the nearest child left of
 * a slot" and "the last child" into a count of leading zeros. A node always
 * has two or more children (a removal that leaves one child splices that
 * child into the parent). The depth is therefore bounded by 16
 * and, for n keys, is about log16(n) plus the bits the keys share, whatever
 * the order of insertion; no rebalancing.
 *
 * Adding a range: starting at level 0, the predecessor of the range's last
 * byte tells whether anything on that level overlaps it; a range that holds
 * it entirely sends it one level deeper, any other overlap is rejected.
 * (A deeper range whose parent was removed first is not checked against: it
 * stays findable, and lookups still prefer the deepest level.)
 *
 * Concurrency: writers (add, remove, for_each) take one per-tracker lock.
 * Readers (find) take no lock and write nothing shared. They use optimistic
 * validation: every node (and each level's root slot) carries a version that a
 * writer makes odd while it changes the node and bumps to the next even value
 * when done. A reader notes the version of every node it visits, reads what it
 * needs with atomic loads, and finally checks that none of the versions moved;
 * if one did, it starts over. Inserting never needs to invalidate readers (a
 * new or split node is fully built before one release store publishes it), so
 * only removals, which retire nodes and entries, make readers retry, and only
 * readers whose path went through the changed nodes.
 *
 * Reclamation: retired nodes and entries go to per-tracker free lists and are
 * reused by later adds; their memory comes from slabs released only by
 * umf_tracker_destroy. A late reader may still dereference a retired node or
 * entry, but that memory is always a node (resp. an entry) of this tracker, so
 * it reads plausible values, never unmapped or foreign memory, and the version
 * check then rejects what it read. Steady-state add/remove therefore calls no
 * allocator at all. The cost: memory of the peak number of ranges stays with
 * the tracker until it is destroyed.
 *
 * Why one writer lock and no sharding: adds must see every level at once to
 * choose the nesting level and to reject partial overlaps across any address
 * boundary, and the critical section is a few dozen nanoseconds (no allocator
 * call in the steady state, no lookup ever waits for it). A
 * test-and-test-and-set lock costs one atomic exchange per acquire; a waiter
 * spins briefly, then yields, in case the holder was preempted.
 */
#include "core/tracker.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define TR_FANOUT 16
#define TR_NIB_BITS 4
/* 16 nibbles of a 64-bit key, plus the level's root slot */
#define TR_MAX_PATH 17
/* descent (17) + the walk to a subtree's maximum (16) */
#define TR_MAX_RECORDS 40
#define TR_SLAB_MIN_BYTES ((size_t)16 << 10)
#define TR_SLAB_MAX_BYTES ((size_t)2 << 20) /* one transparent huge page */
#define TR_LEAF_TAG ((uintptr_t)1)

#define TR_NODE_ALIGN 32
typedef struct tr_node {
    _Alignas(TR_NODE_ALIGN) _Atomic uint64_t version; /* odd while a writer changes this node */
    _Atomic uintptr_t prefix;       /* key bits above shift + 4; the bits below are 0 */
    /* bit i set when child[i] is not 0 (stored after the child when set, with it when cleared):
     * the nearest child left of a slot, or the last one, is one count of leading zeros away */
    _Atomic uint32_t used;
    _Atomic uintptr_t child[TR_FANOUT];
    struct tr_node *next_free;      /* writers only */
} tr_node_t;

typedef struct tr_entry {
    umf_alloc_info_t info; /* first: the public pointer is the entry pointer */
    struct tr_entry *next_free;
    unsigned level;
    /* info.has_nested is set when a range was added inside this one (or may lie inside it): lookups
     * must not answer this entry from their cache (see "lookup cache"), as a deeper range may hold
     * the pointer. Never cleared while the entry lives. */
} tr_entry_t;

typedef struct tr_level {
    _Atomic uint64_t version; /* guards `root` like a node's version guards its slots */
    _Atomic uintptr_t root;
    /* Every range of the level lies within [lo, hi] (writers widen it before linking a range and
     * reset it when the level empties), so a lookup skips the levels whose bounds miss its pointer. */
    _Atomic uintptr_t lo, hi;
    /* Levels below the first: how many of the level's ranges touch each 2 MiB granule (hashed into
     * TR_FILTER_SLOTS counters), so a lookup skips a deeper level that holds nothing near its pointer
     * (with a tree of nested pools, most pointers lie in the outer ones). Writers count a range before
     * linking it and uncount it after unlinking it. A range wider than TR_FILTER_MAX_SPAN granules
     * counts in `wide` instead, which turns the filter off for the level while it lives. */
    _Atomic uint32_t *filter;
    _Atomic uint32_t wide;
} tr_level_t;

#define TR_GRANULE_SHIFT 21
#define TR_FILTER_SLOTS 4096u
#define TR_FILTER_MAX_SPAN 256u

typedef struct tr_slab {
    struct tr_slab *next;
    /* objects follow, aligned as max_align_t */
} tr_slab_t;

struct umf_tracker_t {
    /* read by every lookup */
    _Atomic unsigned depth; /* levels in use: the deepest non-empty level + 1 */
    uint64_t serial;        /* unique per tracker for the process lifetime: tags lookup caches */
    tr_level_t levels[UMF_TRACKER_MAX_LEVELS];

    /* written by writers, on its own cache lines so lookups do not share them */
    _Alignas(64) _Atomic int lock;
    _Atomic size_t count;
    size_t level_count[UMF_TRACKER_MAX_LEVELS];
    tr_node_t *free_nodes;
    tr_entry_t *free_entries;
    tr_slab_t *slabs;
    size_t slab_bytes; /* size of the next slab: doubles up to TR_SLAB_MAX_BYTES */
    /* An entry holding nested ranges was removed before them: those ranges are orphans, and an
     * add must look for them inside the new range (sticky; only abnormal teardown orders set it). */
    bool orphans;
};

/* Unique for the process lifetime, across trackers. */
static _Atomic uint64_t tr_next_id = 1;

/* Ids come to each thread in blocks, so that adds in different threads share no counter. */
#define TR_ID_BLOCK 256
static __thread uint64_t tr_id_next, tr_id_end;

static uint64_t tr_new_id(void) {
    if (tr_id_next == tr_id_end) {
        tr_id_next = atomic_fetch_add_explicit(&tr_next_id, TR_ID_BLOCK, memory_order_relaxed);
        tr_id_end = tr_id_next + TR_ID_BLOCK;
    }
    return tr_id_next++;
}
static _Atomic uint64_t tr_next_serial = 1;

/* ---- small helpers ---------------------------------------------------- */

static inline void tr_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline void tr_lock(umf_tracker_t *t) {
    for (;;) {
        if (!atomic_exchange_explicit(&t->lock, 1, memory_order_acquire)) {
            return;
        }
        unsigned spins = 0;
        while (atomic_load_explicit(&t->lock, memory_order_relaxed)) {
            if (++spins < 128) {
                tr_cpu_relax();
            } else {
                /* the holder may have been preempted: let it run */
                sched_yield();
                spins = 0;
            }
        }
    }
}

static inline void tr_unlock(umf_tracker_t *t) { atomic_store_explicit(&t->lock, 0, memory_order_release); }

/* Key bits at and above bit `shift + 4` (a node's prefix); shift is a multiple of 4, at most 60. */
static inline uintptr_t tr_high(uintptr_t key, unsigned shift) {
    return key & ((~(uintptr_t)0 << (shift & 63)) << TR_NIB_BITS);
}

static inline unsigned tr_nib(uintptr_t key, unsigned shift) { return (unsigned)(key >> (shift & 63)) & (TR_FANOUT - 1); }

/* The nibble position of the highest bit where a and b differ (a != b). */
static inline unsigned tr_split_shift(uintptr_t a, uintptr_t b) {
    unsigned top = 63u - (unsigned)__builtin_clzll((unsigned long long)(a ^ b));
    return top & ~(unsigned)(TR_NIB_BITS - 1);
}

static inline bool tr_is_leaf(uintptr_t p) { return (p & TR_LEAF_TAG) != 0; }
static inline tr_entry_t *tr_leaf_entry(uintptr_t p) { return (tr_entry_t *)(p & ~TR_LEAF_TAG); }
static inline tr_node_t *tr_as_node(uintptr_t ref) { return (tr_node_t *)(ref & ~(uintptr_t)(TR_NODE_ALIGN - 1)); }
static inline unsigned tr_ref_shift(uintptr_t ref) { return (unsigned)((ref >> 1) & 15) << 2; }
static inline uintptr_t tr_node_ref(tr_node_t *n, unsigned shift) { return (uintptr_t)n | ((uintptr_t)(shift >> 2) << 1); }

/* The highest set bit of a nonzero mask. */
static inline unsigned tr_top_bit(uint32_t m) { return 31u - (unsigned)__builtin_clz(m); }

/*
 * Memory ordering (no fences, so ThreadSanitizer models all of it): a writer
 * makes a version odd, then changes the guarded words with release stores; a
 * reader reads those words with acquire loads and only then re-reads the
 * version. If a reader saw any store of a writer, the release/acquire pair
 * orders the writer's earlier version store before the reader's re-read, so
 * the re-read cannot return the version the reader first saw. The same holds
 * for an entry's base and size, stored (release) when a retired entry is
 * reused, after the version bump that retired it.
 */
static inline uintptr_t tr_entry_base(const tr_entry_t *e) {
    return (uintptr_t)__atomic_load_n(&e->info.base, __ATOMIC_ACQUIRE);
}
static inline size_t tr_entry_size(const tr_entry_t *e) { return __atomic_load_n(&e->info.base_size, __ATOMIC_ACQUIRE); }

/* Writers bracket every change of a published node with these (seqlock style). */
static inline void tr_write_begin(_Atomic uint64_t *version) {
    uint64_t v = atomic_load_explicit(version, memory_order_relaxed);
    atomic_store_explicit(version, v + 1, memory_order_relaxed);
}

static inline void tr_write_end(_Atomic uint64_t *version) {
    uint64_t v = atomic_load_explicit(version, memory_order_relaxed);
    atomic_store_explicit(version, v + 1, memory_order_release);
}

/* ---- slabs and free lists (writers only) ------------------------------ */

/*
 * A new slab of zeroed objects; *count says how many. Slabs grow from 16 KiB
 * to 2 MiB; the big ones are 2 MiB aligned and advised as huge pages, which
 * spares random lookups over millions of ranges most of their TLB misses.
 */
static void *tr_slab_new(umf_tracker_t *t, size_t object_size, size_t *count) {
    const size_t head = 64; /* keeps the objects 64-byte aligned */
    size_t bytes = t->slab_bytes ? t->slab_bytes : TR_SLAB_MIN_BYTES;
    size_t align = bytes == TR_SLAB_MAX_BYTES ? TR_SLAB_MAX_BYTES : 64;
    tr_slab_t *s = aligned_alloc(align, bytes);
    if (!s) {
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    if (bytes == TR_SLAB_MAX_BYTES) {
        (void)madvise(s, bytes, MADV_HUGEPAGE); /* a hint; failure changes nothing */
    }
#endif
    memset(s, 0, bytes);
    s->next = t->slabs;
    t->slabs = s;
    t->slab_bytes = bytes < TR_SLAB_MAX_BYTES ? bytes * 2 : bytes;
    *count = (bytes - head) / object_size;
    return (char *)s + head;
}

/* Makes sure one node and one entry are on the free lists, so an add cannot fail halfway. */
static bool tr_reserve(umf_tracker_t *t) {
    if (!t->free_nodes) {
        size_t count;
        tr_node_t *nodes = tr_slab_new(t, sizeof(tr_node_t), &count);
        if (!nodes) {
            return false;
        }
        for (size_t i = count; i-- > 0;) {
            nodes[i].next_free = t->free_nodes;
            t->free_nodes = &nodes[i];
        }
    }
    if (!t->free_entries) {
        size_t count;
        tr_entry_t *entries = tr_slab_new(t, sizeof(tr_entry_t), &count);
        if (!entries) {
            return false;
        }
        for (size_t i = count; i-- > 0;) {
            entries[i].next_free = t->free_entries;
            t->free_entries = &entries[i];
        }
    }
    return true;
}

/* Takes a reserved node and fills it with two children; returns its reference (not yet published). */
static uintptr_t tr_node_make(umf_tracker_t *t, unsigned shift, uintptr_t key_a, uintptr_t child_a, uintptr_t key_b,
                               uintptr_t child_b) {
    tr_node_t *n = t->free_nodes;
    t->free_nodes = n->next_free;
    tr_write_begin(&n->version);
    atomic_store_explicit(&n->prefix, tr_high(key_a, shift), memory_order_release);
    for (unsigned i = 0; i < TR_FANOUT; i++) {
        atomic_store_explicit(&n->child[i], 0, memory_order_release);
    }
    atomic_store_explicit(&n->child[tr_nib(key_a, shift)], child_a, memory_order_release);
    atomic_store_explicit(&n->child[tr_nib(key_b, shift)], child_b, memory_order_release);
    atomic_store_explicit(&n->used, (1u << tr_nib(key_a, shift)) | (1u << tr_nib(key_b, shift)), memory_order_release);
    tr_write_end(&n->version);
    return tr_node_ref(n, shift);
}

/* ---- the lock-free predecessor search --------------------------------- */

typedef struct tr_record {
    _Atomic uint64_t *version;
    uint64_t seen;
} tr_record_t;

/*
 * The entry of `lv` with the greatest base <= x, or NULL; its base and size as
 * read are returned too. With `concurrent` the answer comes from a consistent
 * view of the level despite concurrent writers (the entry itself may be
 * retired the moment this returns unless the caller knows it is live);
 * without, the caller holds the writer lock and no versions are checked.
 * `concurrent` is a constant at each call site, so each use gets its own copy
 * (today only lookups call it, with true).
 */
static inline __attribute__((always_inline)) tr_entry_t *tr_pred_impl(tr_level_t *lv, uintptr_t x,
                                                                       uintptr_t *base_out, size_t *size_out,
                                                                       const bool concurrent) {
    for (;;) {
        tr_record_t rec[TR_MAX_RECORDS]; /* nodes whose version must not move: the descent, then the walk down to a maximum */
        unsigned path_nib[TR_MAX_PATH];  /* the nibble taken at rec[i + 1] (rec[0] is the level's root slot) */
        unsigned nrec = 0, depth = 0;
        uintptr_t found = 0, sub = 0;
        bool ok = true;
        uint64_t v = 0;

        if (concurrent) {
            v = atomic_load_explicit(&lv->version, memory_order_acquire);
            if (v & 1) {
                tr_cpu_relax();
                continue;
            }
        }
        rec[nrec++] = (tr_record_t){&lv->version, v};
        uintptr_t cur = atomic_load_explicit(&lv->root, memory_order_acquire);

        /* Descend along x. */
        for (;;) {
            if (cur == 0) {
                goto backtrack;
            }
            if (tr_is_leaf(cur)) {
                if (tr_entry_base(tr_leaf_entry(cur)) <= x) {
                    found = cur;
                    goto done;
                }
                goto backtrack;
            }
            tr_node_t *n = tr_as_node(cur);
            unsigned shift = tr_ref_shift(cur);
            if (concurrent) {
                v = atomic_load_explicit(&n->version, memory_order_acquire);
                if ((v & 1) || depth >= TR_MAX_PATH - 1) {
                    ok = false;
                    goto done;
                }
            }
            rec[nrec++] = (tr_record_t){&n->version, v};
            uintptr_t prefix = atomic_load_explicit(&n->prefix, memory_order_acquire);
            uintptr_t high = tr_high(x, shift);
            if (high == prefix) {
                unsigned nib = tr_nib(x, shift);
                path_nib[depth++] = nib;
                cur = atomic_load_explicit(&n->child[nib], memory_order_acquire);
                continue;
            }
            if (high > prefix) {
                /* every key below this node is smaller than x: its maximum is the answer */
                sub = cur;
                goto take_max;
            }
            goto backtrack; /* every key below is larger than x */
        }

    backtrack:
        /* The nearest non-empty slot left of the path, deepest node first. */
        while (depth > 0) {
            depth--;
            tr_node_t *n = (tr_node_t *)(void *)((char *)rec[depth + 1].version - offsetof(tr_node_t, version));
            uint32_t left = atomic_load_explicit(&n->used, memory_order_acquire) & ((1u << path_nib[depth]) - 1);
            if (left) {
                sub = atomic_load_explicit(&n->child[tr_top_bit(left)], memory_order_acquire);
                if (sub == 0) { /* removed meanwhile: the version check fails anyway */
                    ok = false;
                    goto done;
                }
                goto take_max;
            }
        }
        goto done; /* nothing <= x */

    take_max:
        for (;;) {
            if (tr_is_leaf(sub)) {
                found = sub;
                break;
            }
            tr_node_t *n = tr_as_node(sub);
            if (concurrent) {
                v = atomic_load_explicit(&n->version, memory_order_acquire);
                if ((v & 1) || nrec >= TR_MAX_RECORDS) {
                    ok = false;
                    break;
                }
                rec[nrec++] = (tr_record_t){&n->version, v};
            }
            uint32_t used = atomic_load_explicit(&n->used, memory_order_acquire);
            uintptr_t c = used ? atomic_load_explicit(&n->child[tr_top_bit(used)], memory_order_acquire) : 0;
            if (c == 0) { /* a live node is never empty: this one was retired or is changing */
                ok = false;
                break;
            }
            sub = c;
        }

    done:;
        uintptr_t base = 0;
        size_t size = 0;
        if (ok && found) {
            base = tr_entry_base(tr_leaf_entry(found));
            size = tr_entry_size(tr_leaf_entry(found));
        }
        if (concurrent) {
            for (unsigned i = 0; ok && i < nrec; i++) {
                ok = atomic_load_explicit(rec[i].version, memory_order_relaxed) == rec[i].seen;
            }
        }
        if (ok) {
            *base_out = base;
            *size_out = size;
            return found ? tr_leaf_entry(found) : NULL;
        }
        tr_cpu_relax();
    }
}

/* For lookups: safe against concurrent writers. (Writers use tr_probe below, which also finds the successor.) */
static tr_entry_t *tr_pred(tr_level_t *lv, uintptr_t x, uintptr_t *base_out, size_t *size_out) {
    return tr_pred_impl(lv, x, base_out, size_out, true);
}

/* ---- writer-side tree operations (lock held) -------------------------- */

/* The greatest (resp. smallest) entry below a non-empty child reference. */
static tr_entry_t *tr_sub_max(uintptr_t c) {
    while (!tr_is_leaf(c)) {
        tr_node_t *n = tr_as_node(c);
        c = atomic_load_explicit(&n->child[tr_top_bit(atomic_load_explicit(&n->used, memory_order_relaxed))],
                                 memory_order_relaxed);
    }
    return tr_leaf_entry(c);
}

static tr_entry_t *tr_sub_min(uintptr_t c) {
    while (!tr_is_leaf(c)) {
        tr_node_t *n = tr_as_node(c);
        c = atomic_load_explicit(&n->child[__builtin_ctz(atomic_load_explicit(&n->used, memory_order_relaxed))],
                                 memory_order_relaxed);
    }
    return tr_leaf_entry(c);
}

/*
 * One descent along `key` (lock held) finds both where key would be linked
 * and its neighbours: `pred`, the entry with the greatest base <= key, and
 * `succ`, the one with the smallest base > key (either may be NULL). An add
 * needs nothing else to check overlaps, so it walks the tree once.
 */
typedef struct tr_probe {
    _Atomic uintptr_t *slot; /* where key goes: an empty slot, or one whose content must be split */
    tr_node_t *owner;        /* the node owning slot; NULL for the root slot */
    uintptr_t cur;           /* what slot holds now */
    tr_entry_t *pred, *succ;
} tr_probe_t;

static void tr_probe(tr_level_t *lv, uintptr_t key, tr_probe_t *pr) {
    tr_node_t *path[TR_MAX_PATH];
    unsigned path_nib[TR_MAX_PATH];
    unsigned depth = 0;
    _Atomic uintptr_t *slot = &lv->root;
    tr_node_t *owner = NULL;
    uintptr_t cur;
    int side; /* where the slot's content lies: -1 at or below key, +1 above, 0 empty */
    for (;;) {
        cur = atomic_load_explicit(slot, memory_order_relaxed);
        if (cur == 0) {
            side = 0;
            break;
        }
        if (tr_is_leaf(cur)) {
            side = tr_entry_base(tr_leaf_entry(cur)) <= key ? -1 : 1;
            break;
        }
        tr_node_t *n = tr_as_node(cur);
        unsigned shift = tr_ref_shift(cur);
        uintptr_t prefix = atomic_load_explicit(&n->prefix, memory_order_relaxed);
        uintptr_t high = tr_high(key, shift);
        if (high != prefix) {
            side = prefix < high ? -1 : 1;
            break;
        }
        unsigned nib = tr_nib(key, shift);
        path[depth] = n;
        path_nib[depth++] = nib;
        owner = n;
        slot = &n->child[nib];
    }
    pr->slot = slot;
    pr->owner = owner;
    pr->cur = cur;
    pr->pred = side < 0 ? tr_sub_max(cur) : NULL;
    pr->succ = side > 0 ? tr_sub_min(cur) : NULL;
    /* The rest comes from the siblings left (resp. right) of the path, deepest first. */
    for (unsigned d = depth; d-- > 0 && !pr->pred;) {
        uint32_t left = atomic_load_explicit(&path[d]->used, memory_order_relaxed) & ((1u << path_nib[d]) - 1);
        if (left) {
            pr->pred = tr_sub_max(atomic_load_explicit(&path[d]->child[tr_top_bit(left)], memory_order_relaxed));
        }
    }
    for (unsigned d = depth; d-- > 0 && !pr->succ;) {
        uint32_t right = atomic_load_explicit(&path[d]->used, memory_order_relaxed) & ~((2u << path_nib[d]) - 1);
        if (right) {
            pr->succ = tr_sub_min(atomic_load_explicit(&path[d]->child[__builtin_ctz(right)], memory_order_relaxed));
        }
    }
}

/* Links entry e (key = its base) where the probe found room; a node has been reserved. */
static void tr_insert_at(umf_tracker_t *t, const tr_probe_t *pr, tr_entry_t *e, uintptr_t key) {
    uintptr_t leaf = (uintptr_t)e | TR_LEAF_TAG;
    if (pr->cur == 0) {
        atomic_store_explicit(pr->slot, leaf, memory_order_release);
        if (pr->owner) {
            /* after the child: a reader that sees the bit sees the child */
            unsigned i = (unsigned)(pr->slot - pr->owner->child);
            uint32_t used = atomic_load_explicit(&pr->owner->used, memory_order_relaxed);
            atomic_store_explicit(&pr->owner->used, used | (1u << i), memory_order_release);
        }
        return;
    }
    /* Put a new node above what the slot holds, telling key and it apart (their keys differ:
     * an entry with this very base would have been an overlap). */
    uintptr_t other_key = tr_is_leaf(pr->cur) ? tr_entry_base(tr_leaf_entry(pr->cur))
                                               : atomic_load_explicit(&tr_as_node(pr->cur)->prefix, memory_order_relaxed);
    uintptr_t m = tr_node_make(t, tr_split_shift(key, other_key), key, leaf, other_key, pr->cur);
    atomic_store_explicit(pr->slot, m, memory_order_release);
}

/* Where an entry with exactly this base sits in lv. */
typedef struct tr_spot {
    tr_entry_t *entry;
    _Atomic uintptr_t *slot;         /* the slot holding the leaf */
    tr_node_t *node;                 /* the node owning slot; NULL when slot is the root */
    _Atomic uintptr_t *parent_slot;  /* the slot pointing to node */
    _Atomic uint64_t *parent_version; /* the version guarding parent_slot */
} tr_spot_t;

static bool tr_find_exact(tr_level_t *lv, uintptr_t key, tr_spot_t *spot) {
    _Atomic uintptr_t *slot = &lv->root, *parent_slot = NULL;
    _Atomic uint64_t *slot_version = &lv->version, *parent_version = NULL;
    tr_node_t *node = NULL;
    for (;;) {
        uintptr_t cur = atomic_load_explicit(slot, memory_order_relaxed);
        if (cur == 0) {
            return false;
        }
        if (tr_is_leaf(cur)) {
            tr_entry_t *e = tr_leaf_entry(cur);
            if (tr_entry_base(e) != key) {
                return false;
            }
            *spot = (tr_spot_t){e, slot, node, parent_slot, parent_version};
            return true;
        }
        tr_node_t *n = tr_as_node(cur);
        unsigned shift = tr_ref_shift(cur);
        if (tr_high(key, shift) != atomic_load_explicit(&n->prefix, memory_order_relaxed)) {
            return false;
        }
        parent_slot = slot;
        parent_version = slot_version;
        node = n;
        slot = &n->child[tr_nib(key, shift)];
        slot_version = &n->version;
    }
}

static void tr_unlink(umf_tracker_t *t, tr_level_t *lv, const tr_spot_t *s) {
    tr_node_t *n = s->node;
    if (!n) {
        tr_write_begin(&lv->version);
        atomic_store_explicit(&lv->root, 0, memory_order_release);
        tr_write_end(&lv->version);
        return;
    }
    tr_write_begin(&n->version);
    atomic_store_explicit(s->slot, 0, memory_order_release);
    uint32_t used = atomic_load_explicit(&n->used, memory_order_relaxed) & ~(1u << (unsigned)(s->slot - n->child));
    atomic_store_explicit(&n->used, used, memory_order_release);
    if ((used & (used - 1)) == 0) {
        /* Splice the only remaining child into the parent and retire n. */
        uintptr_t last = atomic_load_explicit(&n->child[__builtin_ctz(used)], memory_order_relaxed);
        tr_write_begin(s->parent_version);
        atomic_store_explicit(s->parent_slot, last, memory_order_release);
        tr_write_end(s->parent_version);
        tr_write_end(&n->version);
        n->next_free = t->free_nodes;
        t->free_nodes = n;
        return;
    }
    tr_write_end(&n->version);
}

/* True when a level below `level` holds a range overlapping [base, last] (lock held). */
static bool tr_holds_deeper(umf_tracker_t *t, unsigned level, uintptr_t base, uintptr_t last) {
    unsigned depth = atomic_load_explicit(&t->depth, memory_order_relaxed);
    for (unsigned l = level + 1; l < depth; l++) {
        tr_probe_t pr;
        tr_probe(&t->levels[l], base, &pr);
        if ((pr.succ && (uintptr_t)pr.succ->info.base <= last) ||
            (pr.pred && (uintptr_t)pr.pred->info.base + (pr.pred->info.base_size - 1) >= base)) {
            return true;
        }
    }
    return false;
}

/* ---- level filters (see tr_level_t) ---------------------------------- */

static void tr_filter_count(tr_level_t *lv, uintptr_t base, uintptr_t last, int delta) {
    if (!lv->filter) {
        return;
    }
    uintptr_t g0 = base >> TR_GRANULE_SHIFT, g1 = last >> TR_GRANULE_SHIFT;
    if (g1 - g0 >= TR_FILTER_MAX_SPAN) {
        uint32_t w = atomic_load_explicit(&lv->wide, memory_order_relaxed);
        atomic_store_explicit(&lv->wide, w + (uint32_t)delta, memory_order_release);
        return;
    }
    for (uintptr_t g = g0; g <= g1; g++) {
        _Atomic uint32_t *c = &lv->filter[g & (TR_FILTER_SLOTS - 1)];
        atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + (uint32_t)delta, memory_order_release);
    }
}

/* False when no range of lv can hold x (level 0 has no filter: it is searched last anyway). */
static inline bool tr_filter_may_hold(const tr_level_t *lv, uintptr_t x) {
    if (!lv->filter || atomic_load_explicit(&lv->wide, memory_order_acquire) != 0) {
        return true;
    }
    return atomic_load_explicit(&lv->filter[(x >> TR_GRANULE_SHIFT) & (TR_FILTER_SLOTS - 1)], memory_order_acquire) != 0;
}

/* ---- lookup cache ----------------------------------------------------- */

/*
 * Each thread remembers the last TR_CACHE_SLOTS ranges its lookups found, so
 * that a run of lookups in the same few ranges (the chunks of one slab: a
 * pool's frees) skips the tree. A slot answers a pointer inside its range as
 * long as its entry still carries the id it had when cached (a removal sets
 * the id to 0 and a reuse gives a fresh one, so a removed range never answers)
 * and no range was added inside it (has_nested, set before such a range is
 * linked), so the answer is still the innermost range. Only innermost entries
 * with has_nested clear are cached. A thread caches for one tracker at a time
 * (the tracker's serial; a new tracker at a freed tracker's address gets
 * another serial). The check reads the entry's own cache line, which the
 * caller reads next anyway, and nothing any writer shares.
 */
#define TR_CACHE_SLOTS 4

typedef struct tr_cache_slot {
    uintptr_t base;
    size_t size; /* 0: empty */
    tr_entry_t *entry;
    uint64_t id;
} tr_cache_slot_t;

typedef struct tr_cache {
    uint64_t serial; /* the tracker the slots belong to */
    unsigned next;   /* the slot the next fill replaces */
    unsigned misses; /* lookups the cache missed since its last hit */
    unsigned last;   /* the slot of the last hit or fill: tried first (runs of lookups in one slab) */
    tr_cache_slot_t slot[TR_CACHE_SLOTS];
} tr_cache_t;

static __thread tr_cache_t tr_cache;

static inline tr_entry_t *tr_cache_get(tr_cache_t *c, const umf_tracker_t *t, uintptr_t x) {
    if (c->serial != t->serial) {
        return NULL;
    }
    tr_cache_slot_t *s = &c->slot[c->last % TR_CACHE_SLOTS];
    if (x - s->base >= s->size) {
        s = NULL;
        for (unsigned i = 0; i < TR_CACHE_SLOTS; i++) {
            if (x - c->slot[i].base < c->slot[i].size) {
                s = &c->slot[i];
                c->last = i;
                break;
            }
        }
        if (s == NULL) {
            return NULL;
        }
    }
    tr_entry_t *e = s->entry;
    if (__atomic_load_n(&e->info.id, __ATOMIC_ACQUIRE) == s->id &&
        !__atomic_load_n(&e->info.has_nested, __ATOMIC_ACQUIRE)) {
        c->misses = 0;
        return e;
    }
    s->size = 0; /* removed, or a range was added inside it */
    return NULL;
}

/*
 * Caches e, found by a lookup as [base, base + size), if it is still that range and holds no other.
 * After a few misses in a row (lookups in random order over many ranges) only one miss in
 * TR_CACHE_SAMPLE fills a slot: filling on every miss cost random lookups about a third more.
 */
#define TR_CACHE_SAMPLE 16
static inline void tr_cache_put(tr_cache_t *c, const umf_tracker_t *t, tr_entry_t *e, uintptr_t base, size_t size) {
    unsigned misses = ++c->misses;
    if (misses > 2 && misses % TR_CACHE_SAMPLE != 0) {
        return;
    }
    uint64_t id = __atomic_load_n(&e->info.id, __ATOMIC_ACQUIRE);
    if (id == 0 || __atomic_load_n(&e->info.has_nested, __ATOMIC_ACQUIRE) || tr_entry_base(e) != base ||
        tr_entry_size(e) != size) {
        return;
    }
    if (c->serial != t->serial) {
        memset(c, 0, sizeof(*c));
        c->serial = t->serial;
    }
    c->slot[c->next] = (tr_cache_slot_t){base, size, e, id};
    c->last = c->next;
    c->next = (c->next + 1) % TR_CACHE_SLOTS;
}

/* ---- the API ---------------------------------------------------------- */

umf_tracker_t *umf_tracker_create(void) {
    umf_tracker_t *t = aligned_alloc(64, (sizeof(umf_tracker_t) + 63) & ~(size_t)63);
    if (!t) {
        return NULL;
    }
    memset(t, 0, sizeof(*t));
    /* one block for the filters of levels 1 and deeper; pages nobody counts in stay untouched */
    _Atomic uint32_t *filters = calloc((size_t)(UMF_TRACKER_MAX_LEVELS - 1) * TR_FILTER_SLOTS, sizeof(*filters));
    if (!filters) {
        free(t);
        return NULL;
    }
    t->serial = atomic_fetch_add_explicit(&tr_next_serial, 1, memory_order_relaxed);
    for (unsigned i = 0; i < UMF_TRACKER_MAX_LEVELS; i++) {
        atomic_store_explicit(&t->levels[i].lo, UINTPTR_MAX, memory_order_relaxed);
        t->levels[i].filter = i == 0 ? NULL : filters + (size_t)(i - 1) * TR_FILTER_SLOTS;
    }
    return t;
}

void umf_tracker_destroy(umf_tracker_t *t) {
    if (!t) {
        return;
    }
    tr_slab_t *s = t->slabs;
    while (s) {
        tr_slab_t *next = s->next;
        free(s);
        s = next;
    }
    free((void *)t->levels[1].filter); /* the start of the one block of all filters */
    free(t);
}

umf_result_t umf_tracker_add(umf_tracker_t *t, const umf_alloc_info_t *info, umf_alloc_info_t **entry) {
    if (!t || !info || !info->base || info->base_size == 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    uintptr_t base = (uintptr_t)info->base;
    uintptr_t last = base + (info->base_size - 1);
    if (last < base) { /* wraps around the address space */
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }

    tr_lock(t);
    if (!tr_reserve(t)) {
        tr_unlock(t);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    /* The shallowest level where nothing overlaps; every level above must hold the range entirely. */
    unsigned level = 0;
    tr_probe_t pr;
    tr_entry_t *container = NULL; /* the range of the level above that holds the new one */
    for (;;) {
        tr_probe(&t->levels[level], base, &pr);
        if (pr.succ && (uintptr_t)pr.succ->info.base <= last) {
            tr_unlock(t);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT; /* a range starts inside the new one */
        }
        uintptr_t pred_last = pr.pred ? (uintptr_t)pr.pred->info.base + (pr.pred->info.base_size - 1) : 0;
        if (!pr.pred || pred_last < base) {
            break; /* nothing on this level overlaps: link it here */
        }
        if (pred_last < last) {
            tr_unlock(t);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT; /* runs past the end of the range it starts in */
        }
        if (++level == UMF_TRACKER_MAX_LEVELS) {
            tr_unlock(t);
            return UMF_RESULT_ERROR_OUT_OF_RESOURCES;
        }
        container = pr.pred;
    }

    tr_entry_t *e = t->free_entries;
    t->free_entries = e->next_free;
    /* atomic: a lookup racing the removal of a range (a user's race, allowed to answer any pool
     * or none) may read the pool of the entry being reused */
    __atomic_store_n(&e->info.pool, info->pool, __ATOMIC_RELAXED);
    __atomic_store_n(&e->info.provider, info->provider, __ATOMIC_RELAXED);
    __atomic_store_n(&e->info.base, info->base, __ATOMIC_RELEASE);
    __atomic_store_n(&e->info.base_size, info->base_size, __ATOMIC_RELEASE);
    __atomic_store_n(&e->info.id, tr_new_id(),
                     __ATOMIC_RELEASE);
    e->info.memory_type = info->memory_type;
    e->info.owner = info->owner;
    e->info.ipc_cache = info->ipc_cache;
    e->level = level;
    __atomic_store_n(&e->info.has_nested, (uint32_t)(t->orphans && tr_holds_deeper(t, level, base, last)), __ATOMIC_RELEASE);
    if (container) {
        /* before the new range is linked, so no lookup can answer container for a pointer in it */
        __atomic_store_n(&container->info.has_nested, 1, __ATOMIC_RELEASE);
    }
    tr_level_t *lv = &t->levels[level];
    if (base < atomic_load_explicit(&lv->lo, memory_order_relaxed)) {
        atomic_store_explicit(&lv->lo, base, memory_order_release);
    }
    if (last > atomic_load_explicit(&lv->hi, memory_order_relaxed)) {
        atomic_store_explicit(&lv->hi, last, memory_order_release);
    }

    tr_filter_count(lv, base, last, 1);
    if (level >= atomic_load_explicit(&t->depth, memory_order_relaxed)) {
        atomic_store_explicit(&t->depth, level + 1, memory_order_release);
    }
    tr_insert_at(t, &pr, e, base);
    t->level_count[level]++;
    atomic_store_explicit(&t->count, atomic_load_explicit(&t->count, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    tr_unlock(t);
    if (entry) {
        *entry = &e->info;
    }
    return UMF_RESULT_SUCCESS;
}

umf_result_t umf_tracker_remove(umf_tracker_t *t, const void *base, const void *owner, umf_alloc_info_t *removed) {
    if (!t || !base) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    tr_lock(t);
    unsigned depth = atomic_load_explicit(&t->depth, memory_order_relaxed);
    for (unsigned level = depth; level-- > 0;) {
        tr_level_t *lv = &t->levels[level];
        tr_spot_t spot;
        if (!tr_find_exact(lv, (uintptr_t)base, &spot) || spot.entry->info.owner != owner) {
            continue;
        }
        tr_entry_t *e = spot.entry;
        if (removed) {
            *removed = e->info;
        }
        /* id 0: lookup caches holding this entry miss from now on */
        __atomic_store_n(&e->info.id, 0, __ATOMIC_RELEASE);
        if (__atomic_load_n(&e->info.has_nested, __ATOMIC_RELAXED)) {
            t->orphans = true;
        }
        tr_unlink(t, lv, &spot);
        tr_filter_count(lv, (uintptr_t)base, (uintptr_t)base + (e->info.base_size - 1), -1);
        e->next_free = t->free_entries;
        t->free_entries = e;
        if (--t->level_count[level] == 0) {
            atomic_store_explicit(&lv->lo, UINTPTR_MAX, memory_order_relaxed);
            atomic_store_explicit(&lv->hi, 0, memory_order_relaxed);
        }
        atomic_store_explicit(&t->count, atomic_load_explicit(&t->count, memory_order_relaxed) - 1,
                              memory_order_relaxed);
        while (depth > 0 && t->level_count[depth - 1] == 0) {
            depth--;
        }
        if (depth != atomic_load_explicit(&t->depth, memory_order_relaxed)) {
            /* only on a change: every lookup reads this cache line */
            atomic_store_explicit(&t->depth, depth, memory_order_release);
        }
        tr_unlock(t);
        return UMF_RESULT_SUCCESS;
    }
    tr_unlock(t);
    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

/* The search of umf_tracker_find when the cache misses: kept out of line so the hit path needs no stack frame. */
static __attribute__((noinline)) umf_alloc_info_t *tr_find_slow(umf_tracker_t *t, tr_cache_t *c, uintptr_t x) {
    for (unsigned level = atomic_load_explicit(&t->depth, memory_order_acquire); level-- > 0;) {
        tr_level_t *lv = &t->levels[level];
        if (x < atomic_load_explicit(&lv->lo, memory_order_acquire) ||
            x > atomic_load_explicit(&lv->hi, memory_order_acquire) || !tr_filter_may_hold(lv, x)) {
            continue;
        }
        uintptr_t b;
        size_t s;
        tr_entry_t *e = tr_pred(lv, x, &b, &s);
        if (e && x - b < s) {
            tr_cache_put(c, t, e, b, s);
            return &e->info;
        }
    }
    return NULL;
}

umf_alloc_info_t *umf_tracker_find(umf_tracker_t *t, const void *ptr) {
    if (!t) {
        return NULL;
    }
    uintptr_t x = (uintptr_t)ptr;
    tr_cache_t *c = &tr_cache;
    /* an opaque copy: the compiler would otherwise compute the TLS address again for each use */
    __asm__("" : "+r"(c));
    tr_entry_t *hit = tr_cache_get(c, t, x);
    if (hit) {
        return &hit->info;
    }
    return tr_find_slow(t, c, x);
}

static int tr_walk(uintptr_t cur, int (*fn)(umf_alloc_info_t *entry, void *arg), void *arg) {
    if (cur == 0) {
        return 0;
    }
    if (tr_is_leaf(cur)) {
        return fn(&tr_leaf_entry(cur)->info, arg);
    }
    tr_node_t *n = tr_as_node(cur);
    for (unsigned i = 0; i < TR_FANOUT; i++) {
        int rc = tr_walk(atomic_load_explicit(&n->child[i], memory_order_relaxed), fn, arg);
        if (rc) {
            return rc;
        }
    }
    return 0;
}

int umf_tracker_for_each(umf_tracker_t *t, int (*fn)(umf_alloc_info_t *entry, void *arg), void *arg) {
    if (!t || !fn) {
        return 0;
    }
    int rc = 0;
    tr_lock(t);
    for (unsigned level = 0; level < UMF_TRACKER_MAX_LEVELS && !rc; level++) {
        rc = tr_walk(atomic_load_explicit(&t->levels[level].root, memory_order_relaxed), fn, arg);
    }
    tr_unlock(t);
    return rc;
}

size_t umf_tracker_count(umf_tracker_t *t) {
    return t ? atomic_load_explicit(&t->count, memory_order_relaxed) : 0;
}
