/* Memory targets: NUMA nodes as hwloc sees them (umf/experimental/memtarget.h). */
#include <stdlib.h>

#include "base/log.h"
#include "base/topology.h"
#include "memspace/memspace_internal.h"

umf_result_t umf_memtarget_numa_create(unsigned id, struct umf_memtarget_t **out) {
#ifdef UMF_HAVE_HWLOC
    hwloc_topology_t topo = umf_topology_get();
    if (topo == NULL) {
        LOG_ERR("the hwloc topology is not available");
        return UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
    }
    hwloc_obj_t node = hwloc_get_numanode_obj_by_os_index(topo, id);
    if (node == NULL) {
        LOG_ERR("NUMA node %u does not exist on this machine", id);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct umf_memtarget_t *t = malloc(sizeof(*t));
    if (t == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    t->type = UMF_MEMTARGET_TYPE_NUMA;
    t->id = id;
    t->capacity = (size_t)node->attr->numanode.local_memory;
    *out = t;
    return UMF_RESULT_SUCCESS;
#else
    (void)id;
    (void)out;
    LOG_ERR("memory targets need hwloc, which this build lacks");
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
#endif
}

bool umf_memtarget_equal(const struct umf_memtarget_t *a, const struct umf_memtarget_t *b) {
    return a->type == b->type && a->id == b->id;
}

umf_result_t umfMemtargetGetType(umf_const_memtarget_handle_t hMemtarget, umf_memtarget_type_t *type) {
    if (hMemtarget == NULL || type == NULL) {
        LOG_ERR("hMemtarget or type is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *type = hMemtarget->type;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfMemtargetGetCapacity(umf_const_memtarget_handle_t hMemtarget, size_t *capacity) {
    if (hMemtarget == NULL || capacity == NULL) {
        LOG_ERR("hMemtarget or capacity is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *capacity = hMemtarget->capacity;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfMemtargetGetId(umf_const_memtarget_handle_t hMemtarget, unsigned *id) {
    if (hMemtarget == NULL || id == NULL) {
        LOG_ERR("hMemtarget or id is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *id = hMemtarget->id;
    return UMF_RESULT_SUCCESS;
}
