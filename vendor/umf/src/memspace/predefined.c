/*
 * The four predefined memspaces: HostAll, HighestCapacity, HighestBandwidth, LowestLatency.
 *
 * Each is built from the hwloc topology on first use, shared by every caller, never changed (the
 * changing calls refuse them) and released by the last umfTearDown, after which the next use builds
 * it again. A memspace that comes out NULL (no HMAT values) is remembered too, so asking again is cheap.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/log.h"
#include "base/topology.h"
#include "memspace/memspace_internal.h"

typedef enum predefined_id_t { HOST_ALL, HIGHEST_CAPACITY, HIGHEST_BANDWIDTH, LOWEST_LATENCY, PREDEFINED_COUNT } predefined_id_t;

typedef struct predefined_t {
    _Atomic bool built; /* set (release) after ms, so a reader that sees it also sees ms */
    struct umf_memspace_t *ms;
} predefined_t;

static predefined_t g_predefined[PREDEFINED_COUNT];
static pthread_mutex_t g_predefined_lock = PTHREAD_MUTEX_INITIALIZER;

#ifdef UMF_HAVE_HWLOC

static struct umf_memspace_t *build_host_all(hwloc_topology_t topo) {
    int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    if (n <= 0) {
        return NULL;
    }
    unsigned *ids = malloc(sizeof(*ids) * (size_t)n);
    if (ids == NULL) {
        return NULL;
    }
    size_t len = 0;
    for (hwloc_obj_t node = NULL; (node = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, node)) != NULL && len < (size_t)n;) {
        /* insertion sort by OS index: hwloc's logical order need not follow it */
        size_t i = len++;
        while (i > 0 && ids[i - 1] > node->os_index) {
            ids[i] = ids[i - 1];
            i--;
        }
        ids[i] = node->os_index;
    }
    struct umf_memspace_t *ms = NULL;
    umf_result_t rc = umfMemspaceCreateFromNumaArray(ids, len, &ms);
    free(ids);
    return rc == UMF_RESULT_SUCCESS ? ms : NULL;
}

static struct umf_memspace_t *build_highest_capacity(const struct umf_memspace_t *all) {
    struct umf_memspace_t *ms = NULL;
    if (all == NULL || umfMemspaceClone(all, &ms) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    /* stable insertion sort, largest first: equal nodes keep their OS index order */
    for (size_t i = 1; i < ms->len; i++) {
        struct umf_memtarget_t *t = ms->targets[i];
        size_t j = i;
        while (j > 0 && ms->targets[j - 1]->capacity < t->capacity) {
            ms->targets[j] = ms->targets[j - 1];
            j--;
        }
        ms->targets[j] = t;
    }
    return ms;
}

/*
 * Each NUMA node in turn stands for its CPUs as the initiator and picks the target it reaches best
 * (bandwidth: highest, latency: lowest). A target whose cpuset does not meet the initiator's is remote
 * and counts as worst. The distinct winners, in the order found, form the memspace.
 *
 * Where UMF 1.1 gives up (NULL) as soon as hwloc has no value for a pair, a pair without a value is
 * skipped here. That is what makes CPU-less nodes (HBM, CXL) work: such a node hangs off the machine or
 * a package and takes its cpuset, HMAT lists no initiator that wide, so as an initiator it finds
 * nothing and picks nothing, while as a target it is still found from the CPUs that have values for it.
 * A node with no cpuset at all is looked at from the whole machine. Only when no pair has a value (no
 * HMAT) is the memspace NULL.
 */
static struct umf_memspace_t *build_best(hwloc_topology_t topo, const struct umf_memspace_t *all, hwloc_memattr_id_t attr,
                                         bool higher_is_better) {
    if (all == NULL) {
        return NULL;
    }
    struct umf_memspace_t *ms = NULL;
    if (umf_memspace_alloc(&ms) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    hwloc_const_cpuset_t machine = hwloc_topology_get_topology_cpuset(topo);
    bool any_value = false;
    for (size_t i = 0; i < all->len; i++) {
        hwloc_obj_t initiator = hwloc_get_numanode_obj_by_os_index(topo, all->targets[i]->id);
        if (initiator == NULL) {
            continue;
        }
        hwloc_cpuset_t cpus = hwloc_bitmap_iszero(initiator->cpuset) ? (hwloc_cpuset_t)machine : initiator->cpuset;
        struct hwloc_location where = {.type = HWLOC_LOCATION_TYPE_CPUSET, .location.cpuset = cpus};
        const struct umf_memtarget_t *best = NULL;
        hwloc_uint64_t best_value = 0;
        for (size_t j = 0; j < all->len; j++) {
            hwloc_obj_t target = hwloc_get_numanode_obj_by_os_index(topo, all->targets[j]->id);
            if (target == NULL || !hwloc_bitmap_intersects(cpus, target->cpuset)) {
                continue; /* remote: the worst value, never the best */
            }
            hwloc_uint64_t value = 0;
            if (hwloc_memattr_get_value(topo, attr, target, &where, 0, &value) != 0) {
                continue; /* no value for this pair */
            }
            any_value = true;
            if (best == NULL || (higher_is_better ? value > best_value : value < best_value)) {
                best = all->targets[j];
                best_value = value;
            }
        }
        if (best == NULL) {
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < ms->len && !known; k++) {
            known = umf_memtarget_equal(ms->targets[k], best);
        }
        if (known) {
            continue;
        }
        struct umf_memtarget_t *copy = malloc(sizeof(*copy));
        if (copy != NULL) {
            *copy = *best;
        }
        if (copy == NULL || umf_memspace_append(ms, copy) != UMF_RESULT_SUCCESS) {
            umf_memspace_free(ms);
            return NULL;
        }
    }
    if (!any_value || ms->len == 0) {
        LOG_INFO("hwloc has no %s values for this machine (no HMAT)", higher_is_better ? "bandwidth" : "latency");
        umf_memspace_free(ms);
        return NULL;
    }
    return ms;
}

static struct umf_memspace_t *build(predefined_id_t id) {
    hwloc_topology_t topo = umf_topology_get();
    if (topo == NULL) {
        return NULL;
    }
    if (id == HOST_ALL) {
        return build_host_all(topo);
    }
    /* the others start from HostAll; the lock is held, so build it directly when it is not there yet */
    if (!atomic_load_explicit(&g_predefined[HOST_ALL].built, memory_order_relaxed)) {
        g_predefined[HOST_ALL].ms = build_host_all(topo);
        if (g_predefined[HOST_ALL].ms != NULL) {
            g_predefined[HOST_ALL].ms->predefined = true;
        }
        atomic_store_explicit(&g_predefined[HOST_ALL].built, true, memory_order_release);
    }
    const struct umf_memspace_t *all = g_predefined[HOST_ALL].ms;
    switch (id) {
    case HIGHEST_CAPACITY:
        return build_highest_capacity(all);
    case HIGHEST_BANDWIDTH:
        return build_best(topo, all, HWLOC_MEMATTR_ID_BANDWIDTH, true);
    case LOWEST_LATENCY:
        return build_best(topo, all, HWLOC_MEMATTR_ID_LATENCY, false);
    default:
        return NULL;
    }
}

#else

static struct umf_memspace_t *build(predefined_id_t id) {
    (void)id;
    return NULL; /* no hwloc, no NUMA nodes to describe */
}

#endif

static umf_const_memspace_handle_t get(predefined_id_t id) {
    predefined_t *p = &g_predefined[id];
    if (atomic_load_explicit(&p->built, memory_order_acquire)) {
        return p->ms;
    }
    pthread_mutex_lock(&g_predefined_lock);
    if (!atomic_load_explicit(&p->built, memory_order_relaxed)) {
        p->ms = build(id);
        if (p->ms != NULL) {
            p->ms->predefined = true;
        }
        atomic_store_explicit(&p->built, true, memory_order_release);
    }
    pthread_mutex_unlock(&g_predefined_lock);
    return p->ms;
}

umf_const_memspace_handle_t umfMemspaceHostAllGet(void) { return get(HOST_ALL); }
umf_const_memspace_handle_t umfMemspaceHighestCapacityGet(void) { return get(HIGHEST_CAPACITY); }
umf_const_memspace_handle_t umfMemspaceHighestBandwidthGet(void) { return get(HIGHEST_BANDWIDTH); }
umf_const_memspace_handle_t umfMemspaceLowestLatencyGet(void) { return get(LOWEST_LATENCY); }

/* Compared by address: only the shared instances get the special default placement. */
bool umf_memspace_is_host_all(const struct umf_memspace_t *ms) {
    return ms != NULL && ms->predefined && ms == g_predefined[HOST_ALL].ms;
}

bool umf_memspace_is_highest_capacity(const struct umf_memspace_t *ms) {
    return ms != NULL && ms->predefined && ms == g_predefined[HIGHEST_CAPACITY].ms;
}

void umf_memspace_predefined_fini(void) {
    pthread_mutex_lock(&g_predefined_lock);
    for (int i = 0; i < PREDEFINED_COUNT; i++) {
        atomic_store_explicit(&g_predefined[i].built, false, memory_order_relaxed);
        umf_memspace_free(g_predefined[i].ms);
        g_predefined[i].ms = NULL;
    }
    pthread_mutex_unlock(&g_predefined_lock);
}
