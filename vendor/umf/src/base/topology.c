/* Lazily loaded, process-wide hwloc topology (see topology.h). */
#include "topology.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "log.h"

#ifdef UMF_HAVE_HWLOC

/* Readers load the pointer without a lock; only loading and freeing take it. */
static _Atomic(hwloc_topology_t) g_topology;
static pthread_mutex_t g_topology_lock = PTHREAD_MUTEX_INITIALIZER;

static hwloc_topology_t topology_load(void) {
    hwloc_topology_t topo = NULL;
    if (hwloc_topology_init(&topo) != 0) {
        LOG_ERR("hwloc_topology_init failed");
        return NULL;
    }
    /* I/O devices and instruction caches are never needed. The CPU-side levels stay: without them
     * every NUMA node hangs off the Machine and takes its cpuset, and the memspaces lose which CPUs
     * each node is local to (the initiators of bandwidth and latency). */
    if (hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE) != 0 ||
        hwloc_topology_set_icache_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE) != 0) {
        LOG_ERR("hwloc_topology_set_*_types_filter failed");
        hwloc_topology_destroy(topo);
        return NULL;
    }
    if (hwloc_topology_load(topo) != 0) {
        LOG_ERR("hwloc_topology_load failed");
        hwloc_topology_destroy(topo);
        return NULL;
    }
    LOG_DEBUG("hwloc topology loaded: %d NUMA node(s)", hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE));
    return topo;
}

hwloc_topology_t umf_topology_get(void) {
    hwloc_topology_t topo = atomic_load_explicit(&g_topology, memory_order_acquire);
    if (topo != NULL) {
        return topo;
    }
    pthread_mutex_lock(&g_topology_lock);
    topo = atomic_load_explicit(&g_topology, memory_order_relaxed);
    if (topo == NULL) {
        topo = topology_load();
        if (topo != NULL) {
            atomic_store_explicit(&g_topology, topo, memory_order_release);
        }
    }
    pthread_mutex_unlock(&g_topology_lock);
    return topo;
}

int umf_topology_available(void) { return umf_topology_get() != NULL; }

void umf_topology_prefork(void) { (void)umf_topology_get(); }

void umf_topology_fini(void) {
    pthread_mutex_lock(&g_topology_lock);
    hwloc_topology_t topo = atomic_exchange_explicit(&g_topology, NULL, memory_order_acq_rel);
    pthread_mutex_unlock(&g_topology_lock);
    if (topo != NULL) {
        hwloc_topology_destroy(topo);
    }
}

#else /* !UMF_HAVE_HWLOC */

int umf_topology_available(void) { return 0; }

void umf_topology_prefork(void) {}

void umf_topology_fini(void) {}

#endif
