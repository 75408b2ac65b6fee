/*
 * Tests of the allocation tracker (src/core/tracker.c): the contract of
 * tracker.h case by case, a randomized comparison with a simple model, and a
 * multi-thread stress where lookups of live ranges race with adds and removes
 * of neighbouring ranges. Addresses are plain numbers: the tracker never
 * touches the memory it tracks.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/tracker.h"
#include "test_common.h"

/* The harness counters (test_common.c is compiled into the shared-library helpers only). */
int umf_test_failures;
int umf_test_checks;
const char *umf_test_current = "";

#define P(x) ((void *)(uintptr_t)(x))

static int owner_a, owner_b, owner_c;

static umf_alloc_info_t info_of(uintptr_t base, size_t size, void *owner) {
    umf_alloc_info_t i;
    memset(&i, 0, sizeof(i));
    i.base = P(base);
    i.base_size = size;
    i.owner = owner;
    i.pool = P(0x5000);
    i.provider = P(0x6000);
    i.memory_type = UMF_MEMORY_TYPE_HOST;
    i.id = 12345; /* ignored by the tracker */
    return i;
}

static umf_result_t add(umf_tracker_t *t, uintptr_t base, size_t size, void *owner, umf_alloc_info_t **e) {
    umf_alloc_info_t i = info_of(base, size, owner);
    return umf_tracker_add(t, &i, e);
}

static void test_add_find_boundaries(void) {
    umf_tracker_t *t = umf_tracker_create();
    REQUIRE(t != NULL);
    umf_alloc_info_t *e = NULL;
    CHECK_OK(add(t, 0x10000, 0x1000, &owner_a, &e));
    REQUIRE(e != NULL);
    CHECK(e->base == P(0x10000));
    CHECK_EQ(e->base_size, 0x1000);
    CHECK(e->owner == &owner_a);
    CHECK(e->pool == P(0x5000));
    CHECK(e->provider == P(0x6000));
    CHECK_EQ(e->memory_type, UMF_MEMORY_TYPE_HOST);
    CHECK(e->id != 12345 && e->id >= 1);
    CHECK(e->ipc_cache == NULL);

    CHECK(umf_tracker_find(t, P(0x10000)) == e);
    CHECK(umf_tracker_find(t, P(0x10001)) == e);
    CHECK(umf_tracker_find(t, P(0x10800)) == e);
    CHECK(umf_tracker_find(t, P(0x10fff)) == e);
    CHECK(umf_tracker_find(t, P(0x11000)) == NULL);
    CHECK(umf_tracker_find(t, P(0xffff)) == NULL);
    CHECK(umf_tracker_find(t, NULL) == NULL);
    CHECK(umf_tracker_find(t, P(UINTPTR_MAX)) == NULL);
    CHECK_EQ(umf_tracker_count(t), 1);

    /* an adjacent range on either side stays on level 0 and is told apart exactly at the boundary */
    umf_alloc_info_t *after = NULL, *before = NULL;
    CHECK_OK(add(t, 0x11000, 0x40, &owner_a, &after));
    CHECK_OK(add(t, 0xff00, 0x100, &owner_a, &before));
    CHECK(umf_tracker_find(t, P(0x10fff)) == e);
    CHECK(umf_tracker_find(t, P(0x11000)) == after);
    CHECK(umf_tracker_find(t, P(0x1103f)) == after);
    CHECK(umf_tracker_find(t, P(0x11040)) == NULL);
    CHECK(umf_tracker_find(t, P(0xffff)) == before);
    CHECK(umf_tracker_find(t, P(0xff00)) == before);
    CHECK(umf_tracker_find(t, P(0xfeff)) == NULL);
    CHECK_EQ(umf_tracker_count(t), 3);

    /* a range reaching the last byte of the address space, and one that would wrap */
    umf_alloc_info_t *top = NULL;
    CHECK_OK(add(t, UINTPTR_MAX - 0xff, 0x100, &owner_a, &top));
    CHECK(umf_tracker_find(t, P(UINTPTR_MAX)) == top);
    CHECK(umf_tracker_find(t, P(UINTPTR_MAX - 0x100)) == NULL);
    CHECK_RESULT(add(t, UINTPTR_MAX - 0x7ff, 0x1000, &owner_a, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_tracker_destroy(t);
}

static void test_bad_arguments(void) {
    umf_tracker_t *t = umf_tracker_create();
    REQUIRE(t != NULL);
    umf_alloc_info_t i = info_of(0x1000, 0, &owner_a);
    umf_alloc_info_t *e = P(0x1);
    CHECK_RESULT(umf_tracker_add(t, &i, &e), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(e == P(0x1)); /* untouched on failure */
    i = info_of(0, 0x100, &owner_a);
    CHECK_RESULT(umf_tracker_add(t, &i, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    i = info_of(0x1000, 0x100, &owner_a);
    CHECK_RESULT(umf_tracker_add(NULL, &i, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umf_tracker_add(t, NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umf_tracker_remove(NULL, P(0x1000), &owner_a, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umf_tracker_remove(t, NULL, &owner_a, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umf_tracker_remove(t, P(0x1000), &owner_a, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK(umf_tracker_find(NULL, P(0x1000)) == NULL);
    CHECK_EQ(umf_tracker_count(NULL), 0);
    CHECK_EQ(umf_tracker_for_each(NULL, NULL, NULL), 0);
    CHECK_EQ(umf_tracker_count(t), 0);
    umf_tracker_destroy(NULL); /* no-op */
    umf_tracker_destroy(t);
}

static void test_nesting(void) {
    umf_tracker_t *t = umf_tracker_create();
    REQUIRE(t != NULL);
    /* Eight ranges, each strictly inside the previous one: levels 0..7. */
    umf_alloc_info_t *lvl[UMF_TRACKER_MAX_LEVELS];
    for (unsigned i = 0; i < UMF_TRACKER_MAX_LEVELS; i++) {
        uintptr_t base = 0x100000 + i * 0x1000;
        size_t size = 0x100000 - 2 * i * 0x1000;
        CHECK_OK(add(t, base, size, &owner_a, &lvl[i]));
    }
    /* the innermost range containing the pointer wins */
    for (unsigned i = 0; i < UMF_TRACKER_MAX_LEVELS; i++) {
        uintptr_t base = 0x100000 + i * 0x1000;
        CHECK(umf_tracker_find(t, P(base)) == lvl[i]);
        CHECK(umf_tracker_find(t, P(base + 0xfff)) == lvl[i]);
        CHECK(umf_tracker_find(t, P(0x200000 - i * 0x1000 - 1)) == lvl[i]);
    }
    CHECK(umf_tracker_find(t, P(0x180000)) == lvl[7]);
    CHECK(umf_tracker_find(t, P(0x200000)) == NULL);
    /* a 9th level is out of resources, wherever inside the innermost it lies */
    CHECK_RESULT(add(t, 0x180000, 0x10, &owner_a, NULL), UMF_RESULT_ERROR_OUT_OF_RESOURCES);
    CHECK_RESULT(add(t, 0x107000, 0x1, &owner_a, NULL), UMF_RESULT_ERROR_OUT_OF_RESOURCES);
    /* but a sibling on level 7's parent (inside level 6, beside level 7) is fine */
    umf_alloc_info_t *sib = NULL;
    CHECK_OK(add(t, 0x106000, 0x800, &owner_a, &sib));
    CHECK(umf_tracker_find(t, P(0x1067ff)) == sib);
    CHECK(umf_tracker_find(t, P(0x106800)) == lvl[6]);
    CHECK_EQ(umf_tracker_count(t), 9);

    /* removing a middle level leaves the inner ones findable */
    umf_alloc_info_t copy;
    CHECK_OK(umf_tracker_remove(t, P(0x103000), &owner_a, &copy));
    CHECK(copy.base == P(0x103000));
    CHECK(umf_tracker_find(t, P(0x103000)) == lvl[2]);
    CHECK(umf_tracker_find(t, P(0x104000)) == lvl[4]);
    umf_tracker_destroy(t);
}

static void test_same_base_nesting_and_owner(void) {
    umf_tracker_t *t = umf_tracker_create();
    REQUIRE(t != NULL);
    /* A nested pool's first allocation often starts where its parent's does. */
    umf_alloc_info_t *outer = NULL, *inner = NULL, *innermost = NULL;
    CHECK_OK(add(t, 0x40000, 0x10000, &owner_a, &outer));
    CHECK_OK(add(t, 0x40000, 0x1000, &owner_b, &inner));
    CHECK_OK(add(t, 0x40000, 0x1000, &owner_c, &innermost)); /* same range again: one level deeper */
    CHECK(umf_tracker_find(t, P(0x40000)) == innermost);
    CHECK(umf_tracker_find(t, P(0x40fff)) == innermost);
    CHECK(umf_tracker_find(t, P(0x41000)) == outer);

    /* remove matches the owner: the wrong one fails, the right one removes only its entry */
    CHECK_RESULT(umf_tracker_remove(t, P(0x40000), P(0x999), NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umf_tracker_remove(t, P(0x40001), &owner_a, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    uint64_t outer_id = outer->id;
    umf_alloc_info_t copy;
    memset(&copy, 0, sizeof(copy));
    CHECK_OK(umf_tracker_remove(t, P(0x40000), &owner_a, &copy));
    CHECK(copy.owner == &owner_a);
    CHECK_EQ(copy.base_size, 0x10000);
    CHECK_EQ(copy.id, outer_id);
    CHECK(umf_tracker_find(t, P(0x41000)) == NULL);
    CHECK(umf_tracker_find(t, P(0x40010)) == innermost);
    CHECK_RESULT(umf_tracker_remove(t, P(0x40000), &owner_a, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umf_tracker_remove(t, P(0x40000), &owner_c, NULL));
    CHECK(umf_tracker_find(t, P(0x40010)) == inner);
    CHECK_OK(umf_tracker_remove(t, P(0x40000), &owner_b, NULL));
    CHECK(umf_tracker_find(t, P(0x40010)) == NULL);
    CHECK_EQ(umf_tracker_count(t), 0);

    /* two equal innermost candidates of the same owner: the deeper one goes first */
    umf_alloc_info_t *d0 = NULL, *d1 = NULL;
    CHECK_OK(add(t, 0x80000, 0x2000, &owner_a, &d0));
    CHECK_OK(add(t, 0x80000, 0x1000, &owner_a, &d1));
    CHECK_OK(umf_tracker_remove(t, P(0x80000), &owner_a, &copy));
    CHECK_EQ(copy.base_size, 0x1000);
    CHECK(umf_tracker_find(t, P(0x80000)) == d0);
    umf_tracker_destroy(t);
}

static void test_partial_overlap(void) {
    umf_tracker_t *t = umf_tracker_create();
    REQUIRE(t != NULL);
    umf_alloc_info_t *r = NULL;
    CHECK_OK(add(t, 0x1000, 0x1000, &owner_a, &r));
    CHECK_RESULT(add(t, 0x1800, 0x1000, &owner_a, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* runs past the end */
    CHECK_RESULT(add(t, 0x800, 0x1000, &owner_a, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);  /* starts before */
    CHECK_RESULT(add(t, 0x800, 0x2000, &owner_a, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);  /* encloses it */
    CHECK_RESULT(add(t, 0xfff, 0x2, &owner_a, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);     /* one byte each side */
    CHECK_RESULT(add(t, 0x1fff, 0x2, &owner_a, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umf_tracker_count(t), 1);
    CHECK(umf_tracker_find(t, P(0x1fff)) == r);
    CHECK(umf_tracker_find(t, P(0x2000)) == NULL);

    /* the same on a deeper level: children of r must not overlap each other */
    umf_alloc_info_t *c1 = NULL;
    CHECK_OK(add(t, 0x1100, 0x100, &owner_b, &c1));
    CHECK_RESULT(add(t, 0x11ff, 0x100, &owner_b, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(add(t, 0x1080, 0x100, &owner_b, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(add(t, 0x1f00, 0x200, &owner_b, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* child exceeding parent */
    umf_alloc_info_t *c2 = NULL;
    CHECK_OK(add(t, 0x1200, 0x100, &owner_b, &c2));
    CHECK(umf_tracker_find(t, P(0x11ff)) == c1);
    CHECK(umf_tracker_find(t, P(0x1200)) == c2);
    CHECK(umf_tracker_find(t, P(0x1300)) == r);
    CHECK_EQ(umf_tracker_count(t), 3);
    umf_tracker_destroy(t);
}

typedef struct walk_state {
    size_t visits;
    size_t bytes;
    uint64_t id_sum;
    size_t stop_after;
} walk_state_t;

static int walk_fn(umf_alloc_info_t *e, void *arg) {
    walk_state_t *w = arg;
    w->visits++;
    w->bytes += e->base_size;
    w->id_sum += e->id;
    return (w->stop_after && w->visits == w->stop_after) ? 42 : 0;
}

static void test_for_each_count_ids(void) {
    umf_tracker_t *t = umf_tracker_create();
    umf_tracker_t *t2 = umf_tracker_create();
    REQUIRE(t != NULL && t2 != NULL);
    uint64_t prev = 0, id_sum = 0;
    size_t bytes = 0;
    for (unsigned i = 0; i < 300; i++) {
        umf_alloc_info_t *e = NULL;
        /* alternate trackers: ids come from one counter shared by all trackers */
        umf_tracker_t *which = (i % 3 == 0) ? t2 : t;
        CHECK_OK(add(which, 0x1000000 + (uintptr_t)i * 0x100, 0x40 + i % 0x80, &owner_a, &e));
        REQUIRE(e != NULL);
        CHECK(e->id > prev);
        prev = e->id;
        if (which == t) {
            id_sum += e->id;
            bytes += 0x40 + i % 0x80;
        }
    }
    /* one nested range counts too */
    umf_alloc_info_t *n = NULL;
    CHECK_OK(add(t, 0x1000000 + 0x100, 0x10, &owner_b, &n));
    CHECK(n->id > prev);
    id_sum += n->id;
    bytes += 0x10;
    CHECK_EQ(umf_tracker_count(t), 201);
    CHECK_EQ(umf_tracker_count(t2), 100);

    walk_state_t w = {0};
    CHECK_EQ(umf_tracker_for_each(t, walk_fn, &w), 0);
    CHECK_EQ(w.visits, 201);
    CHECK_EQ(w.bytes, bytes);
    CHECK(w.id_sum == id_sum);

    walk_state_t stop = {.stop_after = 7};
    CHECK_EQ(umf_tracker_for_each(t, walk_fn, &stop), 42);
    CHECK_EQ(stop.visits, 7);

    /* removals show in count and for_each; re-adding gives a fresh id */
    uint64_t old_id = umf_tracker_find(t, P(0x1000000 + 0x100 * 1))->id;
    CHECK_OK(umf_tracker_remove(t, P(0x1000000 + 0x100 * 1), &owner_a, NULL));
    CHECK_OK(umf_tracker_remove(t, P(0x1000000 + 0x100 * 2), &owner_a, NULL));
    CHECK_EQ(umf_tracker_count(t), 199);
    walk_state_t w2 = {0};
    umf_tracker_for_each(t, walk_fn, &w2);
    CHECK_EQ(w2.visits, 199);
    umf_alloc_info_t *again = NULL;
    CHECK_OK(add(t, 0x1000000 + 0x100 * 1, 0x41, &owner_a, &again));
    CHECK(again->id > n->id && again->id != old_id);
    umf_tracker_destroy(t); /* frees the 200 live entries (leak-checked under ASan) */
    umf_tracker_destroy(t2);
}

/* ---- randomized comparison with a model ---- */

typedef struct model_range {
    uintptr_t base;
    size_t size;
    void *owner;
    unsigned level;
    umf_alloc_info_t *entry;
} model_range_t;

#define MODEL_MAX 4096
static model_range_t model[MODEL_MAX];
static size_t model_n;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool overlaps(uintptr_t b1, size_t s1, uintptr_t b2, size_t s2) { return b1 < b2 + s2 && b2 < b1 + s1; }
static bool inside(uintptr_t b, size_t s, uintptr_t pb, size_t ps) { return b >= pb && b + s <= pb + ps; }

/* What the tracker should answer for an add: the level, or an error. */
static umf_result_t model_add_level(uintptr_t b, size_t s, unsigned *level) {
    for (unsigned l = 0;; l++) {
        model_range_t *hit = NULL;
        for (size_t i = 0; i < model_n; i++) {
            if (model[i].level == l && overlaps(b, s, model[i].base, model[i].size)) {
                if (!inside(b, s, model[i].base, model[i].size)) {
                    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
                }
                hit = &model[i];
            }
        }
        if (!hit) {
            *level = l;
            return UMF_RESULT_SUCCESS;
        }
        if (l + 1 == UMF_TRACKER_MAX_LEVELS) {
            return UMF_RESULT_ERROR_OUT_OF_RESOURCES;
        }
    }
}

static umf_alloc_info_t *model_find(uintptr_t p) {
    model_range_t *best = NULL;
    for (size_t i = 0; i < model_n; i++) {
        if (p >= model[i].base && p - model[i].base < model[i].size && (!best || model[i].level > best->level)) {
            best = &model[i];
        }
    }
    return best ? best->entry : NULL;
}

/*
 * Two layouts: DENSE puts ranges of 16 B to 64 KiB inside 1 MiB (plenty of nesting and overlap, all in
 * one 2 MiB granule of the level filters). SPREAD puts them in 64 regions 8 GiB + 4 MiB apart (so the
 * filters' hashed counters alias across regions), with some of 4 MiB (several granules) and some of
 * 600 MiB to 1 GiB (wider than a filter counts: they turn a level's filter off while they live), so
 * lookups often skip deeper levels that hold nothing near their pointer.
 */
enum { DENSE, SPREAD };

static size_t model_size(int layout) {
    size_t size = (size_t)16 << (rnd() % 13);
    size = size - (rnd() % 2) * (size / 2) + (rnd() % 3) * 16;
    if (layout == SPREAD) {
        unsigned r = (unsigned)(rnd() % 32);
        if (r == 0) {
            size = ((size_t)600 << 20) + (size_t)(rnd() % 424) * (1u << 20);
        } else if (r < 4) {
            size = ((size_t)4 << 20) + (rnd() % 4096) * 16;
        }
    }
    return size;
}

#define SPREAD_REGIONS 64
static uintptr_t spread_region(uintptr_t arena, unsigned r) {
    return arena + (uintptr_t)r * (((uintptr_t)8 << 30) + ((uintptr_t)4 << 20));
}

static uintptr_t model_base(int layout, uintptr_t arena) {
    if (layout == DENSE) {
        return arena + (rnd() % (1u << 20)) / 16 * 16;
    }
    return spread_region(arena, (unsigned)(rnd() % SPREAD_REGIONS)) + (rnd() % ((uintptr_t)1 << 30)) / 16 * 16;
}

static void random_against_model(uint64_t seed, int layout) {
    umf_tracker_t *t = umf_tracker_create();
    REQUIRE(t != NULL);
    model_n = 0;
    rng_state = seed;
    void *owners[3] = {&owner_a, &owner_b, &owner_c};
    const uintptr_t arena = 0x7f0000000000ull;
    size_t adds_ok = 0, adds_rejected = 0, removes_ok = 0, deep = 0, skipped_deeper = 0, wide_nested = 0;
    for (unsigned r = 0; layout == SPREAD && r < SPREAD_REGIONS; r += 2) {
        /* every other region starts inside a 4 GiB range, so the wide ranges of those nest */
        umf_alloc_info_t *e = NULL;
        CHECK_OK(add(t, spread_region(arena, r), (size_t)4 << 30, &owner_a, &e));
        model[model_n++] = (model_range_t){spread_region(arena, r), (size_t)4 << 30, &owner_a, 0, e};
        if (r % 8 == 0) { /* and a range too wide for the filter counters one level down */
            uintptr_t b = spread_region(arena, r) + ((uintptr_t)64 << 20);
            CHECK_OK(add(t, b, (size_t)700 << 20, &owner_b, &e));
            model[model_n++] = (model_range_t){b, (size_t)700 << 20, &owner_b, 1, e};
            wide_nested++;
        }
    }
    for (unsigned op = 0; op < 20000; op++) {
        unsigned kind = (unsigned)(rnd() % 8);
        if (kind < 4 && model_n < MODEL_MAX) {
            size_t size = model_size(layout);
            uintptr_t base = model_base(layout, arena);
            if (rnd() % 4 == 0 && model_n) { /* start exactly on an existing base */
                base = model[rnd() % model_n].base;
            }
            void *owner = owners[rnd() % 3];
            unsigned level = 0;
            umf_result_t want = model_add_level(base, size, &level);
            umf_alloc_info_t *e = NULL;
            umf_result_t got = add(t, base, size, owner, &e);
            CHECK_EQ(got, want);
            if (got == UMF_RESULT_SUCCESS && want == UMF_RESULT_SUCCESS) {
                model[model_n++] = (model_range_t){base, size, owner, level, e};
                adds_ok++;
                deep += level > 0;
                wide_nested += level > 0 && size >= ((size_t)512 << 20);
            } else {
                adds_rejected++;
            }
        } else if (kind < 6 && model_n) {
            /* remove: usually a live (base, owner), sometimes a wrong owner or base */
            size_t i = rnd() % model_n;
            uintptr_t base = model[i].base + ((rnd() % 8 == 0) ? 16 : 0);
            void *owner = (rnd() % 8 == 0) ? owners[rnd() % 3] : model[i].owner;
            size_t victim = SIZE_MAX;
            for (size_t j = 0; j < model_n; j++) {
                if (model[j].base == base && model[j].owner == owner &&
                    (victim == SIZE_MAX || model[j].level > model[victim].level)) {
                    victim = j;
                }
            }
            umf_alloc_info_t copy;
            umf_result_t got = umf_tracker_remove(t, P(base), owner, &copy);
            if (victim == SIZE_MAX) {
                CHECK_EQ(got, UMF_RESULT_ERROR_INVALID_ARGUMENT);
            } else {
                CHECK_EQ(got, UMF_RESULT_SUCCESS);
                CHECK_EQ(copy.base_size, model[victim].size);
                model[victim] = model[--model_n];
                removes_ok++;
            }
        } else {
            /* lookups around a random live range's edges and at random points */
            uintptr_t probes[6];
            if (model_n) {
                model_range_t *m = &model[rnd() % model_n];
                probes[0] = m->base;
                probes[1] = m->base - 1;
                probes[2] = m->base + m->size - 1;
                probes[3] = m->base + m->size;
                probes[4] = m->base + rnd() % m->size;
            } else {
                probes[0] = probes[1] = probes[2] = probes[3] = probes[4] = arena;
            }
            probes[5] = layout == DENSE ? arena + rnd() % (1u << 21) : model_base(layout, arena);
            for (unsigned k = 0; k < 6; k++) {
                umf_alloc_info_t *want = model_find(probes[k]);
                CHECK(umf_tracker_find(t, P(probes[k])) == want);
                /* a pointer whose innermost range is shallower than the deepest level in use */
                for (size_t i = 0; want && i < model_n; i++) {
                    if (model[i].entry == want) {
                        for (size_t j = 0; j < model_n; j++) {
                            if (model[j].level > model[i].level) {
                                skipped_deeper++;
                                break;
                            }
                        }
                        break;
                    }
                }
            }
        }
        if (op % 1000 == 0) {
            CHECK_EQ(umf_tracker_count(t), model_n);
        }
    }
    CHECK_EQ(umf_tracker_count(t), model_n);
    walk_state_t w = {0};
    umf_tracker_for_each(t, walk_fn, &w);
    CHECK_EQ(w.visits, model_n);
    /* the run must have exercised every path */
    CHECK(adds_ok > 1000 && removes_ok > 500 && deep > 100 && skipped_deeper > 1000);
    CHECK(layout == SPREAD ? wide_nested > 0 : adds_rejected > 100);
    /* drain: everything removable in the model's order, and the tracker ends empty */
    while (model_n) {
        model_range_t m = model[model_n - 1];
        size_t deepest = model_n - 1;
        for (size_t j = 0; j < model_n; j++) {
            if (model[j].base == m.base && model[j].owner == m.owner && model[j].level > model[deepest].level) {
                deepest = j;
            }
        }
        CHECK_OK(umf_tracker_remove(t, P(m.base), m.owner, NULL));
        model[deepest] = model[--model_n];
    }
    CHECK_EQ(umf_tracker_count(t), 0);
    CHECK(umf_tracker_find(t, P(arena + 0x100)) == NULL);
    umf_tracker_destroy(t);
}

static void test_random_against_model(void) {
    static const uint64_t seeds[] = {0x9e3779b97f4a7c15ull, 0x2545f4914f6cdd1dull, 0xd1b54a32d192ed03ull};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        random_against_model(seeds[i], DENSE);
        random_against_model(seeds[i], SPREAD);
    }
}

/* ---- the per-thread lookup cache never answers a stale range ---- */

/* Each find right after a change: the first finds are answered from the cache when it is used. */
static void test_lookup_cache_invalidation(void) {
    umf_tracker_t *t = umf_tracker_create();
    REQUIRE(t != NULL);
    umf_alloc_info_t *a, *b, *c, *a2, *b2;
    CHECK_OK(add(t, 0x100000, 0x10000, &owner_a, &a));
    CHECK(umf_tracker_find(t, P(0x104000)) == a);
    CHECK(umf_tracker_find(t, P(0x104000)) == a);
    /* a range added inside a cached one wins from then on */
    CHECK_OK(add(t, 0x104000, 0x1000, &owner_b, &b));
    CHECK(umf_tracker_find(t, P(0x104010)) == b);
    CHECK(umf_tracker_find(t, P(0x104010)) == b);
    CHECK(umf_tracker_find(t, P(0x108000)) == a);
    /* removed: the outer range answers again, and a removed one never */
    CHECK_OK(umf_tracker_remove(t, P(0x104000), &owner_b, NULL));
    CHECK(umf_tracker_find(t, P(0x104010)) == a);
    CHECK_OK(umf_tracker_remove(t, P(0x100000), &owner_a, NULL));
    CHECK(umf_tracker_find(t, P(0x104010)) == NULL);
    CHECK(umf_tracker_find(t, P(0x100000)) == NULL);
    /* the same range added again is a new entry (new id) */
    CHECK_OK(add(t, 0x100000, 0x10000, &owner_a, &a2));
    CHECK(umf_tracker_find(t, P(0x100010)) == a2);
    CHECK(umf_tracker_find(t, P(0x100010))->id == a2->id);

    /* orphans: a > b > c; b and then a go first, a comes back: c must still be found */
    CHECK_OK(add(t, 0x104000, 0x1000, &owner_b, &b2));
    CHECK_OK(add(t, 0x104100, 0x100, &owner_c, &c));
    CHECK(umf_tracker_find(t, P(0x104180)) == c);
    CHECK_OK(umf_tracker_remove(t, P(0x104000), &owner_b, NULL));
    CHECK(umf_tracker_find(t, P(0x104180)) == c);
    CHECK(umf_tracker_find(t, P(0x104800)) == a2);
    CHECK_OK(umf_tracker_remove(t, P(0x100000), &owner_a, NULL));
    CHECK(umf_tracker_find(t, P(0x104180)) == c);
    CHECK_OK(add(t, 0x100000, 0x10000, &owner_a, &a));
    CHECK(umf_tracker_find(t, P(0x104800)) == a); /* cached now, unless a knows it holds c */
    CHECK(umf_tracker_find(t, P(0x104800)) == a);
    CHECK(umf_tracker_find(t, P(0x104180)) == c);
    CHECK(umf_tracker_find(t, P(0x104180)) == c);
    umf_tracker_destroy(t);

    /* a new tracker (possibly at the same address) shares nothing with the old one's cache */
    for (int i = 0; i < 3; i++) {
        umf_tracker_t *u = umf_tracker_create();
        REQUIRE(u != NULL);
        CHECK(umf_tracker_find(u, P(0x100010)) == NULL);
        CHECK_OK(add(u, 0x100000, 0x10000, &owner_a, &a));
        CHECK(umf_tracker_find(u, P(0x100010)) == a);
        CHECK(umf_tracker_find(u, P(0x100010)) == a);
        umf_tracker_destroy(u);
    }
}

/* ---- multi-thread stress ---- */

/*
 * Each writer owns a region of 256-byte cells: [0,64) of every cell is a
 * pinned range added before the threads start and never removed; [64,128) is
 * churned (added and removed over and over, sometimes with a nested range
 * inside); [128,256) is never tracked. Readers look up pinned ranges at random
 * offsets and holes, and must always get the pinned entry (or NULL).
 */
#define STRESS_WRITERS 4
#define STRESS_READERS 2
#define STRESS_CELLS 4096
#define STRESS_HOT 256 /* churn happens in the first cells of each region, where most lookups go */
#define STRESS_REGION(w) ((uintptr_t)0x200000000000ull + (uintptr_t)(w) * 0x10000000ull)

typedef struct stress {
    umf_tracker_t *t;
    umf_alloc_info_t *pinned[STRESS_WRITERS][STRESS_CELLS];
    uint64_t pinned_id[STRESS_WRITERS][STRESS_CELLS];
    _Atomic int stop;
    _Atomic size_t errors;
    _Atomic size_t lookups;
    _Atomic size_t churns;
} stress_t;

typedef struct stress_arg {
    stress_t *s;
    unsigned idx;
} stress_arg_t;

static void *stress_writer(void *p) {
    stress_arg_t *a = p;
    stress_t *s = a->s;
    uint64_t r = 0x1234567ull * (a->idx + 1);
    size_t errors = 0, churns = 0;
    void *owner = (char *)&owner_a + a->idx;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        /* a burst of adds, then removes in another order */
        uintptr_t cells[32];
        bool nested[32];
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        unsigned start = (unsigned)(r >> 33) % STRESS_HOT;
        for (unsigned i = 0; i < 32; i++) {
            /* 32 distinct cells: 97 is odd, so start + i * 97 never repeats mod 256 for i < 256 */
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            cells[i] = STRESS_REGION(a->idx) + (uintptr_t)((start + i * 97u) % STRESS_HOT) * 256 + 64;
            nested[i] = false;
            umf_alloc_info_t info = info_of(cells[i], 64, owner);
            if (umf_tracker_add(s->t, &info, NULL) != UMF_RESULT_SUCCESS) {
                cells[i] = 0;
                errors++;
                continue;
            }
            if ((r >> 20) % 4 == 0) {
                umf_alloc_info_t in = info_of(cells[i] + 16, 16, owner);
                errors += umf_tracker_add(s->t, &in, NULL) != UMF_RESULT_SUCCESS;
                nested[i] = true;
            }
        }
        for (unsigned k = 0; k < 32; k++) {
            unsigned i = (k * 7 + 3) % 32;
            if (!cells[i]) {
                continue;
            }
            if (nested[i]) {
                errors += umf_tracker_remove(s->t, P(cells[i] + 16), owner, NULL) != UMF_RESULT_SUCCESS;
            }
            errors += umf_tracker_remove(s->t, P(cells[i]), owner, NULL) != UMF_RESULT_SUCCESS;
            churns++;
        }
    }
    atomic_fetch_add(&s->errors, errors);
    atomic_fetch_add(&s->churns, churns);
    return NULL;
}

static void *stress_reader(void *p) {
    stress_arg_t *a = p;
    stress_t *s = a->s;
    uint64_t r = 0xabcdefull * (a->idx + 7);
    size_t errors = 0, lookups = 0;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        for (unsigned i = 0; i < 256; i++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            unsigned w = (unsigned)(r >> 60) % STRESS_WRITERS;
            unsigned c = (unsigned)((r >> 20) % ((r & 0x300) ? STRESS_HOT : STRESS_CELLS));
            uintptr_t cell = STRESS_REGION(w) + (uintptr_t)c * 256;
            umf_alloc_info_t *e = umf_tracker_find(s->t, P(cell + (r >> 8) % 64));
            if (e != s->pinned[w][c] || e->id != s->pinned_id[w][c] || e->base != P(cell) || e->base_size != 64) {
                errors++;
            }
            if (umf_tracker_find(s->t, P(cell + 128 + (r >> 8) % 128)) != NULL) {
                errors++;
            }
            lookups += 2;
        }
    }
    atomic_fetch_add(&s->errors, errors);
    atomic_fetch_add(&s->lookups, lookups);
    return NULL;
}

static void test_threads_stress(void) {
    static stress_t s;
    memset(&s, 0, sizeof(s));
    s.t = umf_tracker_create();
    REQUIRE(s.t != NULL);
    for (unsigned w = 0; w < STRESS_WRITERS; w++) {
        for (unsigned c = 0; c < STRESS_CELLS; c++) {
            umf_alloc_info_t info = info_of(STRESS_REGION(w) + (uintptr_t)c * 256, 64, &owner_b);
            CHECK_OK(umf_tracker_add(s.t, &info, &s.pinned[w][c]));
            s.pinned_id[w][c] = s.pinned[w][c]->id;
        }
    }
    pthread_t th[STRESS_WRITERS + STRESS_READERS];
    stress_arg_t args[STRESS_WRITERS + STRESS_READERS];
    for (unsigned i = 0; i < STRESS_WRITERS + STRESS_READERS; i++) {
        args[i] = (stress_arg_t){&s, i < STRESS_WRITERS ? i : i - STRESS_WRITERS};
        CHECK_EQ(pthread_create(&th[i], NULL, i < STRESS_WRITERS ? stress_writer : stress_reader, &args[i]), 0);
    }
    struct timespec pause = {1, 500 * 1000 * 1000};
    nanosleep(&pause, NULL);
    atomic_store(&s.stop, 1);
    for (unsigned i = 0; i < STRESS_WRITERS + STRESS_READERS; i++) {
        pthread_join(th[i], NULL);
    }
    CHECK_EQ(atomic_load(&s.errors), 0);
    CHECK(atomic_load(&s.lookups) > 1000);
    CHECK(atomic_load(&s.churns) > 1000);
    CHECK_EQ(umf_tracker_count(s.t), STRESS_WRITERS * STRESS_CELLS);
    fprintf(stderr, "  stress: %zu lookups, %zu add/remove cycles\n", atomic_load(&s.lookups), atomic_load(&s.churns));
    umf_tracker_destroy(s.t);
}

int main(void) {
    RUN_TEST(test_add_find_boundaries);
    RUN_TEST(test_bad_arguments);
    RUN_TEST(test_nesting);
    RUN_TEST(test_same_base_nesting_and_owner);
    RUN_TEST(test_partial_overlap);
    RUN_TEST(test_for_each_count_ids);
    RUN_TEST(test_random_against_model);
    RUN_TEST(test_lookup_cache_invalidation);
    RUN_TEST(test_threads_stress);
    return TEST_SUMMARY();
}
