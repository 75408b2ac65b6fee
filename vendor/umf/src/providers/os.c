/*
 * The OS memory provider: memory mapped straight from the kernel with mmap,
 * optionally shared through one file descriptor per provider, and optionally
 * placed on NUMA nodes through hwloc.
 *
 * Private memory is anonymous mmap. Shared memory (UMF_MEM_MAP_SHARED) comes
 * from one fd per provider (a named POSIX shm object, memfd_secret or
 * memfd_create) sized to the largest possible file; every allocation maps the
 * next unused range of that fd, and the fd offset of each allocation is kept
 * in a small hash map so that IPC can describe it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <umf/memory_provider_ops.h>
#include <umf/providers/provider_os_memory.h>

#include "base/ctl_value.h"
#include "base/topology.h"
#include "base/fd_copy.h"
#include "base/utils.h"
#include "core/ipc_internal.h"
#include "providers/provider_stats.h"

#define OS_DEFAULT_NAME "OS"
#define OS_NAME_SIZE 64
/* The fd of a shared provider is this big; its pages exist only once touched. */
#define OS_FD_SIZE ((size_t)INT64_MAX & ~(size_t)0xfffff)

/* ---------------------------------------------------------------- params */

struct umf_os_memory_provider_params_t {
    unsigned protection;
    umf_memory_visibility_t visibility;
    char *shm_name; /* NULL: no named shm object */
    unsigned *numa_list;
    unsigned numa_list_len;
    umf_numa_mode_t numa_mode;
    size_t part_size;
    umf_numa_split_partition_t *partitions;
    unsigned partitions_len;
    char name[OS_NAME_SIZE];
};

umf_result_t umfOsMemoryProviderParamsCreate(umf_os_memory_provider_params_handle_t *hParams) {
    if (hParams == NULL) {
        LOG_ERR("hParams is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct umf_os_memory_provider_params_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        LOG_ERR("out of memory for OS provider params");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->protection = UMF_PROTECTION_READ | UMF_PROTECTION_WRITE;
    p->visibility = UMF_MEM_MAP_PRIVATE;
    p->numa_mode = UMF_NUMA_MODE_DEFAULT;
    umf_strlcpy(p->name, OS_DEFAULT_NAME, sizeof(p->name));
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfOsMemoryProviderParamsDestroy(umf_os_memory_provider_params_handle_t hParams) {
    if (hParams != NULL) {
        free(hParams->shm_name);
        free(hParams->numa_list);
        free(hParams->partitions);
        free(hParams);
    }
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfOsMemoryProviderParamsSetProtection(umf_os_memory_provider_params_handle_t hParams,
                                                     unsigned protection) {
    CHECK_PARAMS_HANDLE(hParams);
    hParams->protection = protection; /* checked when the provider is created */
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfOsMemoryProviderParamsSetVisibility(umf_os_memory_provider_params_handle_t hParams,
                                                     umf_memory_visibility_t visibility) {
    CHECK_PARAMS_HANDLE(hParams);
    hParams->visibility = visibility; /* checked when the provider is created */
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfOsMemoryProviderParamsSetShmName(umf_os_memory_provider_params_handle_t hParams,
                                                  const char *shm_name) {
    CHECK_PARAMS_HANDLE(hParams);
    char *copy = NULL;
    if (shm_name != NULL && shm_name[0] != '\0') {
        copy = strdup(shm_name);
        if (copy == NULL) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
    }
    free(hParams->shm_name);
    hParams->shm_name = copy;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfOsMemoryProviderParamsSetNumaList(umf_os_memory_provider_params_handle_t hParams,
                                                  unsigned *numa_list, unsigned numa_list_len) {
    CHECK_PARAMS_HANDLE(hParams);
    if (numa_list_len > 0 && numa_list == NULL) {
        LOG_ERR("numa_list is NULL but numa_list_len is %u", numa_list_len);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    unsigned *copy = NULL;
    if (numa_list_len > 0) {
        copy = malloc(sizeof(*copy) * numa_list_len);
        if (copy == NULL) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        memcpy(copy, numa_list, sizeof(*copy) * numa_list_len);
    }
    free(hParams->numa_list);
    hParams->numa_list = copy;
    hParams->numa_list_len = numa_list_len;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfOsMemoryProviderParamsSetNumaMode(umf_os_memory_provider_params_handle_t hParams,
                                                  umf_numa_mode_t numa_mode) {
    CHECK_PARAMS_HANDLE(hParams);
    hParams->numa_mode = numa_mode; /* checked when the provider is created */
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfOsMemoryProviderParamsSetPartSize(umf_os_memory_provider_params_handle_t hParams,
                                                  size_t part_size) {
    CHECK_PARAMS_HANDLE(hParams);
    hParams->part_size = part_size;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfOsMemoryProviderParamsSetPartitions(umf_os_memory_provider_params_handle_t hParams,
                                                    umf_numa_split_partition_t *partitions,
                                                    unsigned partitions_len) {
    CHECK_PARAMS_HANDLE(hParams);
    if (partitions_len > 0 && partitions == NULL) {
        LOG_ERR("partitions is NULL but partitions_len is %u", partitions_len);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_numa_split_partition_t *copy = NULL;
    if (partitions_len > 0) {
        copy = malloc(sizeof(*copy) * partitions_len);
        if (copy == NULL) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        memcpy(copy, partitions, sizeof(*copy) * partitions_len);
    }
    free(hParams->partitions);
    hParams->partitions = copy;
    hParams->partitions_len = partitions_len;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfOsMemoryProviderParamsSetName(umf_os_memory_provider_params_handle_t hParams,
                                              const char *name) {
    CHECK_PARAMS_HANDLE(hParams);
    return umf_params_set_name(hParams->name, sizeof(hParams->name), name, false);
}

/* ------------------------------------------------- native error (per thread) */

static __thread umf_native_error_t os_last_error;

/* What each UMF_OS_RESULT_* code means: every native-error message starts with it, as UMF's do. */
static const char *const os_result_text[] = {
    "success",
    "memory allocation failed",
    "allocated address is not aligned",
    "binding memory to NUMA node failed",
    "memory deallocation failed",
    "lazy purging failed",
    "force purging failed",
    "HWLOC topology discovery failed",
};

/* Records a native error (err is an errno value or 0) and returns PROVIDER_SPECIFIC. The message is
 * the code's fixed text, then what failed, then errno's text. */
static umf_result_t os_fail(int32_t code, int err, const char *what) {
    char msg[sizeof(os_last_error.msg)];
    size_t i = (size_t)(code - UMF_OS_RESULTS_START_FROM);
    snprintf(msg, sizeof(msg), "%s: %s", i < UMF_ARRAY_SIZE(os_result_text) ? os_result_text[i] : "error", what);
    umf_native_error_set(&os_last_error, code, err, msg);
    LOG_ERR("OS provider: %s", os_last_error.msg);
    return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
}

/* ------------------------------------------- address -> fd offset hash map */

typedef struct os_offset_entry_t {
    uintptr_t addr;
    size_t offset;
    struct os_offset_entry_t *next;
} os_offset_entry_t;

typedef struct os_offset_map_t {
    pthread_mutex_t lock;
    os_offset_entry_t **buckets;
    size_t nbuckets; /* a power of 2, or 0 before the first insert */
    size_t count;
} os_offset_map_t;

static size_t offset_map_slot(uintptr_t addr, size_t nbuckets) {
    uint64_t h = (uint64_t)(addr >> 12) * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 32) & (nbuckets - 1);
}

static int offset_map_grow(os_offset_map_t *m) {
    size_t n = m->nbuckets ? m->nbuckets * 2 : 64;
    os_offset_entry_t **b = calloc(n, sizeof(*b));
    if (b == NULL) {
        return -1;
    }
    for (size_t i = 0; i < m->nbuckets; i++) {
        os_offset_entry_t *e = m->buckets[i];
        while (e != NULL) {
            os_offset_entry_t *next = e->next;
            size_t s = offset_map_slot(e->addr, n);
            e->next = b[s];
            b[s] = e;
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
    return 0;
}

/* Records addr -> offset (replacing an old record of addr). -1 when out of memory. */
static int offset_map_put(os_offset_map_t *m, const void *addr, size_t offset) {
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    if (m->count >= m->nbuckets && offset_map_grow(m) != 0 && m->nbuckets == 0) {
        rc = -1;
        goto out;
    }
    size_t s = offset_map_slot((uintptr_t)addr, m->nbuckets);
    for (os_offset_entry_t *e = m->buckets[s]; e != NULL; e = e->next) {
        if (e->addr == (uintptr_t)addr) {
            e->offset = offset;
            goto out;
        }
    }
    os_offset_entry_t *e = malloc(sizeof(*e));
    if (e == NULL) {
        rc = -1;
        goto out;
    }
    e->addr = (uintptr_t)addr;
    e->offset = offset;
    e->next = m->buckets[s];
    m->buckets[s] = e;
    m->count++;
out:
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* Looks addr up; when remove is set the record is dropped. False when addr has none. */
static bool offset_map_take(os_offset_map_t *m, const void *addr, size_t *offset, bool remove) {
    bool found = false;
    pthread_mutex_lock(&m->lock);
    if (m->nbuckets > 0) {
        size_t s = offset_map_slot((uintptr_t)addr, m->nbuckets);
        for (os_offset_entry_t **pe = &m->buckets[s]; *pe != NULL; pe = &(*pe)->next) {
            os_offset_entry_t *e = *pe;
            if (e->addr == (uintptr_t)addr) {
                found = true;
                if (offset) {
                    *offset = e->offset;
                }
                if (remove) {
                    *pe = e->next;
                    free(e);
                    m->count--;
                }
                break;
            }
        }
    }
    pthread_mutex_unlock(&m->lock);
    return found;
}

static void offset_map_destroy(os_offset_map_t *m) {
    for (size_t i = 0; i < m->nbuckets; i++) {
        os_offset_entry_t *e = m->buckets[i];
        while (e != NULL) {
            os_offset_entry_t *next = e->next;
            free(e);
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = NULL;
    m->nbuckets = m->count = 0;
    pthread_mutex_destroy(&m->lock);
}

/* ---------------------------------------------------------------- provider */

typedef struct os_provider_t {
    int prot;                  /* PROT_* */
    unsigned protection;       /* umf_mem_protection_flag_t bits, as given */
    umf_memory_visibility_t visibility;
    int fd;                    /* the shared fd, or -1 for private memory */
    char *shm_name;            /* the named shm object to unlink at finalize, or NULL */
    _Atomic size_t fd_next;    /* first unused offset of fd */
    os_offset_map_t offsets;   /* shared only: allocation address -> fd offset */
    os_offset_map_t opened;    /* IPC handles this provider opened: mapping address -> length */

    umf_numa_mode_t mode;
    unsigned *nodes; /* the node list without duplicates, in the order given */
    unsigned nodes_len;
    size_t part_size; /* INTERLEAVE: page-aligned part size, 0 = page-wise by the kernel */
    umf_numa_split_partition_t *parts; /* SPLIT: the shares (equal ones when none were given) */
    unsigned parts_len;
    uint64_t parts_weight; /* sum of the shares' weights */
#ifdef UMF_HAVE_HWLOC
    hwloc_topology_t topo;
    hwloc_bitmap_t nodeset; /* all listed nodes */
#endif

    provider_stats_t stats;
    char name[OS_NAME_SIZE];
} os_provider_t;

/* The fd offset of the allocation (or split piece) at ptr; false for private memory or an unknown ptr. */
static bool os_get_fd_offset(os_provider_t *p, const void *ptr, size_t *offset) {
    if (p->fd < 0) {
        return false;
    }
    return offset_map_take(&p->offsets, ptr, offset, false);
}

static int os_translate_protection(unsigned protection, int *prot) {
    return umf_protection_to_prot(protection, prot) ? 0 : -1;
}

static umf_result_t os_open_fd(os_provider_t *p, const char *shm_name) {
    int fd = -1;
    const char *what;
    if (shm_name != NULL) {
        char path[NAME_MAX + 1];
        path[0] = '/';
        umf_strlcpy(path + 1, shm_name, sizeof(path) - 1);
        fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
        what = "shm_open failed";
        if (fd >= 0) {
            p->shm_name = strdup(path);
            if (p->shm_name == NULL) {
                shm_unlink(path);
                close(fd);
                return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
            }
        }
    } else {
        const char *func = getenv("UMF_MEM_FD_FUNC");
        bool want_plain = func != NULL && strstr(func, "memfd_create") != NULL;
#ifdef SYS_memfd_secret
        if (!want_plain) {
            fd = (int)syscall(SYS_memfd_secret, O_CLOEXEC);
            if (fd < 0) {
                LOG_DEBUG("memfd_secret unavailable (errno %d), using memfd_create", errno);
            }
        }
#else
        (void)want_plain;
#endif
        if (fd < 0) {
            fd = memfd_create("umf_os_provider", MFD_CLOEXEC);
        }
        what = "memfd_create failed";
    }
    if (fd < 0) {
        return os_fail(UMF_OS_RESULT_ERROR_ALLOC_FAILED, errno, what);
    }
    if (ftruncate(fd, (off_t)OS_FD_SIZE) != 0) {
        int err = errno;
        if (p->shm_name != NULL) {
            shm_unlink(p->shm_name);
            free(p->shm_name);
            p->shm_name = NULL;
        }
        close(fd);
        return os_fail(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err, "ftruncate of the shared fd failed");
    }
    p->fd = fd;
    return UMF_RESULT_SUCCESS;
}

static void os_provider_free(os_provider_t *p) {
    if (p->fd >= 0) {
        close(p->fd);
    }
    offset_map_destroy(&p->offsets);
    offset_map_destroy(&p->opened);
    if (p->shm_name != NULL) {
        shm_unlink(p->shm_name); /* an IPC consumer may have unlinked it already */
        free(p->shm_name);
    }
#ifdef UMF_HAVE_HWLOC
    if (p->nodeset != NULL) {
        hwloc_bitmap_free(p->nodeset);
    }
#endif
    free(p->nodes);
    free(p->parts);
    free(p);
}

static bool os_node_listed(const os_provider_t *p, unsigned node) {
    for (unsigned i = 0; i < p->nodes_len; i++) {
        if (p->nodes[i] == node) {
            return true;
        }
    }
    return false;
}

/* Checks and copies the NUMA part of the params. */
static umf_result_t os_init_numa(os_provider_t *p, const struct umf_os_memory_provider_params_t *in) {
    p->mode = in->numa_mode;
    if (p->mode == UMF_NUMA_MODE_DEFAULT) {
        return UMF_RESULT_SUCCESS;
    }
    /* the node list without duplicates */
    if (in->numa_list_len > 0) {
        p->nodes = malloc(sizeof(*p->nodes) * in->numa_list_len);
        if (p->nodes == NULL) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        for (unsigned i = 0; i < in->numa_list_len; i++) {
            if (!os_node_listed(p, in->numa_list[i])) {
                p->nodes[p->nodes_len++] = in->numa_list[i];
            }
        }
    }
#ifdef UMF_HAVE_HWLOC
    p->topo = umf_topology_get();
    if (p->topo == NULL) {
        return os_fail(UMF_OS_RESULT_ERROR_TOPO_DISCOVERY_FAILED, 0, "NUMA topology discovery failed");
    }
    p->nodeset = hwloc_bitmap_alloc();
    if (p->nodeset == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    for (unsigned i = 0; i < p->nodes_len; i++) {
        if (hwloc_get_numanode_obj_by_os_index(p->topo, p->nodes[i]) == NULL) {
            LOG_ERR("NUMA node %u does not exist on this machine", p->nodes[i]);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        if (hwloc_bitmap_set(p->nodeset, p->nodes[i]) != 0) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
    }
#else
    if (p->mode != UMF_NUMA_MODE_LOCAL) {
        LOG_ERR("NUMA mode %d needs hwloc, which this build lacks", (int)p->mode);
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
#endif
    if (p->mode == UMF_NUMA_MODE_INTERLEAVE && in->part_size > 0) {
        size_t page = umf_page_size();
        if (in->part_size > SIZE_MAX - page) {
            LOG_ERR("part size %zu is too big", in->part_size);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        p->part_size = ALIGN_UP(in->part_size, page);
    }
    if (p->mode == UMF_NUMA_MODE_SPLIT) {
        unsigned n = in->partitions_len > 0 ? in->partitions_len : p->nodes_len;
        p->parts = malloc(sizeof(*p->parts) * n);
        if (p->parts == NULL) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        for (unsigned i = 0; i < n; i++) {
            umf_numa_split_partition_t part;
            if (in->partitions_len > 0) {
                part = in->partitions[i];
            } else {
                part.weight = 1;
                part.target = p->nodes[i];
            }
            if (part.weight == 0) {
                LOG_ERR("partition %u has weight 0", i);
                return UMF_RESULT_ERROR_INVALID_ARGUMENT;
            }
            if (!os_node_listed(p, part.target)) {
                LOG_ERR("partition %u targets node %u, which is not in the node list", i, part.target);
                return UMF_RESULT_ERROR_INVALID_ARGUMENT;
            }
            p->parts[i] = part;
            p->parts_weight += part.weight;
        }
        p->parts_len = n;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_initialize(const void *params, void **provider) {
    if (params == NULL || provider == NULL) {
        LOG_ERR("params or provider is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const struct umf_os_memory_provider_params_t *in = params;
    int prot = 0;
    if (os_translate_protection(in->protection, &prot) != 0) {
        LOG_ERR("invalid protection flags 0x%x", in->protection);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (in->visibility != UMF_MEM_MAP_PRIVATE && in->visibility != UMF_MEM_MAP_SHARED) {
        LOG_ERR("invalid visibility %d", (int)in->visibility);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if ((unsigned)in->numa_mode > UMF_NUMA_MODE_LOCAL) {
        LOG_ERR("invalid NUMA mode %d", (int)in->numa_mode);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (in->visibility == UMF_MEM_MAP_SHARED && in->numa_mode != UMF_NUMA_MODE_DEFAULT) {
        LOG_ERR("shared memory supports only UMF_NUMA_MODE_DEFAULT");
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    switch (in->numa_mode) {
    case UMF_NUMA_MODE_DEFAULT:
    case UMF_NUMA_MODE_LOCAL:
        if (in->numa_list_len != 0) {
            LOG_ERR("NUMA mode %d needs an empty node list", (int)in->numa_mode);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        break;
    case UMF_NUMA_MODE_BIND:
    case UMF_NUMA_MODE_INTERLEAVE:
    case UMF_NUMA_MODE_SPLIT:
        if (in->numa_list_len == 0) {
            LOG_ERR("NUMA mode %d needs a node list", (int)in->numa_mode);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        break;
    case UMF_NUMA_MODE_PREFERRED:
        break;
    }
    if (in->shm_name != NULL) {
        if (strchr(in->shm_name, '/') != NULL || strlen(in->shm_name) > NAME_MAX - 2) {
            LOG_ERR("invalid shm name (no '/', at most %d characters)", NAME_MAX - 2);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
    }

    os_provider_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->fd = -1;
    pthread_mutex_init(&p->offsets.lock, NULL);
    pthread_mutex_init(&p->opened.lock, NULL);
    p->prot = prot;
    p->protection = in->protection;
    p->visibility = in->visibility;
    umf_strlcpy(p->name, in->name, sizeof(p->name));

    umf_result_t rc = os_init_numa(p, in);
    if (rc != UMF_RESULT_SUCCESS) {
        os_provider_free(p);
        return rc;
    }
    if (p->visibility == UMF_MEM_MAP_SHARED) {
        rc = os_open_fd(p, in->shm_name);
        if (rc != UMF_RESULT_SUCCESS) {
            os_provider_free(p);
            return rc;
        }
    }
    *provider = p;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_finalize(void *provider) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_free(provider);
    return UMF_RESULT_SUCCESS;
}

/* Maps len bytes aligned to alignment (both page multiples), from the fd at offset when shared. */
static void *os_map(os_provider_t *p, size_t len, size_t alignment, size_t offset) {
    size_t page = umf_page_size();
    int flags = p->fd >= 0 ? MAP_SHARED : (MAP_PRIVATE | MAP_ANONYMOUS);
    if (alignment <= page) {
        void *addr = mmap(NULL, len, p->prot, flags, p->fd, (off_t)offset);
        return addr == MAP_FAILED ? NULL : addr;
    }
    /* over-map, then keep the aligned middle */
    size_t span = len + alignment - page;
    if (span < len) {
        errno = ENOMEM;
        return NULL;
    }
    int reserve_prot = p->fd >= 0 ? PROT_NONE : p->prot;
    int reserve_flags = MAP_PRIVATE | MAP_ANONYMOUS | (p->fd >= 0 ? MAP_NORESERVE : 0);
    char *base = mmap(NULL, span, reserve_prot, reserve_flags, -1, 0);
    if (base == MAP_FAILED) {
        return NULL;
    }
    /* alignment is a page multiple, not always a power of 2 (UMF honours e.g. 3 pages) */
    char *aligned = (char *)(((uintptr_t)base + alignment - 1) / alignment * alignment);
    if (p->fd >= 0) {
        void *m = mmap(aligned, len, p->prot, MAP_SHARED | MAP_FIXED, p->fd, (off_t)offset);
        if (m == MAP_FAILED) {
            int err = errno;
            munmap(base, span);
            errno = err;
            return NULL;
        }
    }
    size_t head = (size_t)(aligned - base);
    size_t tail = span - head - len;
    if (head > 0) {
        munmap(base, head);
    }
    if (tail > 0) {
        munmap(aligned + len, tail);
    }
    return aligned;
}

#ifdef UMF_HAVE_HWLOC
/* Binds [addr, addr+len) to one node; scratch is a bitmap to reuse. */
static int os_bind_one(os_provider_t *p, void *addr, size_t len, unsigned node, int strict,
                       hwloc_bitmap_t scratch) {
    hwloc_bitmap_only(scratch, node);
    int flags = HWLOC_MEMBIND_BYNODESET | (strict ? HWLOC_MEMBIND_STRICT : 0);
    return hwloc_set_area_membind(p->topo, addr, len, scratch, HWLOC_MEMBIND_BIND, flags);
}

/* Applies the NUMA mode to a fresh mapping. Returns 0 or an errno value. */
static int os_bind(os_provider_t *p, void *addr, size_t len) {
    int ret = 0;
    size_t page = umf_page_size();
    hwloc_bitmap_t scratch = NULL;
    errno = 0;
    switch (p->mode) {
    case UMF_NUMA_MODE_DEFAULT:
        return 0;
    case UMF_NUMA_MODE_BIND:
        ret = hwloc_set_area_membind(p->topo, addr, len, p->nodeset, HWLOC_MEMBIND_BIND,
                                     HWLOC_MEMBIND_BYNODESET | HWLOC_MEMBIND_STRICT);
        break;
    case UMF_NUMA_MODE_INTERLEAVE:
        if (p->part_size == 0) {
            ret = hwloc_set_area_membind(p->topo, addr, len, p->nodeset, HWLOC_MEMBIND_INTERLEAVE,
                                         HWLOC_MEMBIND_BYNODESET);
            break;
        }
        /* part i of the allocation goes to the i-th listed node (modulo the list) */
        scratch = hwloc_bitmap_alloc();
        if (scratch == NULL) {
            return ENOMEM;
        }
        for (size_t off = 0, i = 0; off < len && ret == 0; off += p->part_size, i++) {
            size_t chunk = UMF_MIN(p->part_size, len - off);
            ret = os_bind_one(p, (char *)addr + off, chunk, p->nodes[i % p->nodes_len], 1, scratch);
        }
        break;
    case UMF_NUMA_MODE_PREFERRED:
        if (p->nodes_len > 0) {
            ret = hwloc_set_area_membind(p->topo, addr, len, p->nodeset, HWLOC_MEMBIND_BIND,
                                         HWLOC_MEMBIND_BYNODESET);
            break;
        }
        /* no node named: prefer the local one */
        __attribute__((fallthrough));
    case UMF_NUMA_MODE_LOCAL: {
        unsigned cpu = 0, node = 0;
        if (getcpu(&cpu, &node) != 0) {
            return 0; /* nothing to bind to: the kernel allocates locally by default */
        }
        scratch = hwloc_bitmap_alloc();
        if (scratch == NULL) {
            return ENOMEM;
        }
        ret = os_bind_one(p, addr, len, node, 0, scratch);
        break;
    }
    case UMF_NUMA_MODE_SPLIT: {
        scratch = hwloc_bitmap_alloc();
        if (scratch == NULL) {
            return ENOMEM;
        }
        /* share i covers pages [pages*W(<i)/W, pages*W(<=i)/W) where W sums the weights */
        uint64_t pages = len / page, done_weight = 0, start = 0;
        for (unsigned i = 0; i < p->parts_len && ret == 0; i++) {
            done_weight += p->parts[i].weight;
            uint64_t end = (uint64_t)(((unsigned __int128)pages * done_weight) / p->parts_weight);
            if (end > start) {
                ret = os_bind_one(p, (char *)addr + start * page, (size_t)(end - start) * page,
                                  p->parts[i].target, 0, scratch);
            }
            start = end;
        }
        break;
    }
    }
    int err = ret == 0 ? 0 : errno;
    if (scratch != NULL) {
        hwloc_bitmap_free(scratch);
    }
    /* no NUMA support in the kernel, or nothing reported: nothing to undo */
    if (ret != 0 && (err == ENOSYS || err == 0)) {
        return 0;
    }
    return ret == 0 ? 0 : err;
}
#else
static int os_bind(os_provider_t *p, void *addr, size_t len) {
    (void)p, (void)addr, (void)len;
    return 0; /* only DEFAULT and LOCAL exist without hwloc; the kernel allocates locally */
}
#endif

static umf_result_t os_alloc(void *provider, size_t size, size_t alignment, void **ptr) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *p = provider;
    size_t page = umf_page_size();
    *ptr = NULL;
    if (alignment == 0) {
        alignment = page;
    }
    /* any multiple of the page size (3 pages too, as UMF), or a divisor of it */
    if (alignment % page != 0 && page % alignment != 0) {
        LOG_ERR("alignment %zu is neither a multiple nor a divisor of the page size %zu", alignment, page);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (alignment < page) {
        alignment = page;
    }
    if (size == 0) {
        LOG_ERR("size is 0");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (size > SIZE_MAX - page || ALIGN_UP(size, page) > OS_FD_SIZE) {
        return os_fail(UMF_OS_RESULT_ERROR_ALLOC_FAILED, ENOMEM, "mmap failed");
    }
    size_t len = ALIGN_UP(size, page);

    size_t offset = 0;
    if (p->fd >= 0) {
        offset = atomic_fetch_add_explicit(&p->fd_next, len, memory_order_relaxed);
        if (offset > OS_FD_SIZE - len) {
            return os_fail(UMF_OS_RESULT_ERROR_ALLOC_FAILED, ENOSPC, "the shared fd is exhausted");
        }
    }
    void *addr = os_map(p, len, alignment, offset);
    if (addr == NULL) {
        return os_fail(UMF_OS_RESULT_ERROR_ALLOC_FAILED, errno, "mmap failed");
    }
    if ((uintptr_t)addr % alignment != 0) {
        munmap(addr, len);
        return os_fail(UMF_OS_RESULT_ERROR_ADDRESS_NOT_ALIGNED, 0, "mapped memory is not aligned as asked");
    }
    int err = os_bind(p, addr, len);
    if (err != 0) {
        munmap(addr, len);
        return os_fail(UMF_OS_RESULT_ERROR_BIND_FAILED, err, "binding memory to NUMA nodes failed");
    }
    if (p->fd >= 0 && offset_map_put(&p->offsets, addr, offset) != 0) {
        munmap(addr, len);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    provider_stats_add(&p->stats, len);
    *ptr = addr;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_free(void *provider, void *ptr, size_t size) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ptr == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    os_provider_t *p = provider;
    size_t page = umf_page_size();
    size_t len = size > SIZE_MAX - page ? size : ALIGN_UP(size, page);
    /* the record goes first: once unmapped, another thread may get this address again */
    size_t offset = 0;
    bool had_offset = p->fd >= 0 && offset_map_take(&p->offsets, ptr, &offset, true);
    if (munmap(ptr, len) != 0) {
        int err = errno;
        if (had_offset) {
            (void)offset_map_put(&p->offsets, ptr, offset);
        }
        return os_fail(UMF_OS_RESULT_ERROR_FREE_FAILED, err, "munmap failed");
    }
    if (had_offset) {
        /* give the pages back now instead of when the fd is closed (secretmem cannot: harmless) */
        (void)fallocate(p->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)len);
    }
    provider_stats_sub(&p->stats, len);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_get_last_native_error(void *provider, const char **ppMessage, int32_t *pError) {
    (void)provider;
    if (ppMessage != NULL) {
        *ppMessage = os_last_error.msg;
    }
    if (pError != NULL) {
        *pError = os_last_error.code;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_get_recommended_page_size(void *provider, size_t size, size_t *pageSize) {
    (void)size;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = umf_page_size();
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_get_min_page_size(void *provider, const void *ptr, size_t *pageSize) {
    (void)ptr;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = umf_page_size();
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_get_name(void *provider, const char **name) {
    if (name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *name = provider == NULL ? OS_DEFAULT_NAME : ((os_provider_t *)provider)->name;
    return UMF_RESULT_SUCCESS;
}

/*
 * Purging. Private memory: MADV_FREE (lazy) and MADV_DONTNEED (force). Shared
 * memory lives in the fd, which those leave alone (MADV_FREE even refuses it),
 * so both remove the pages from the fd with MADV_REMOVE; where that is not
 * possible (read-only mappings, secretmem), MADV_DONTNEED drops at least this
 * mapping's pages. secretmem mappings are locked and refuse both: a lazy purge,
 * being only advice, then does nothing; a forced one fails.
 */
static int os_purge(os_provider_t *p, void *ptr, size_t size, bool lazy) {
    if (p->fd < 0) {
        return madvise(ptr, size, lazy ? MADV_FREE : MADV_DONTNEED);
    }
    if (!IS_ALIGNED(ptr, umf_page_size())) {
        errno = EINVAL;
        return -1;
    }
    if (madvise(ptr, size, MADV_REMOVE) == 0) {
        return 0;
    }
    if (errno != EINVAL && errno != EOPNOTSUPP && errno != EACCES) {
        return -1;
    }
    if (madvise(ptr, size, MADV_DONTNEED) == 0) {
        return 0;
    }
    return lazy && errno == EINVAL ? 0 : -1;
}

static umf_result_t os_purge_lazy(void *provider, void *ptr, size_t size) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (os_purge(provider, ptr, size, true) != 0) {
        return os_fail(UMF_OS_RESULT_ERROR_PURGE_LAZY_FAILED, errno, "lazy purge (madvise) failed");
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_purge_force(void *provider, void *ptr, size_t size) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (os_purge(provider, ptr, size, false) != 0) {
        return os_fail(UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED, errno, "forced purge (madvise) failed");
    }
    return UMF_RESULT_SUCCESS;
}

/*
 * Split and merge change nothing in the kernel (each page can be unmapped on
 * its own); they check the arguments and keep the fd offsets of shared pieces.
 */
static umf_result_t os_allocation_split(void *provider, void *ptr, size_t totalSize, size_t firstSize) {
    if (provider == NULL || ptr == NULL || firstSize == 0 || firstSize >= totalSize ||
        !IS_ALIGNED(ptr, umf_page_size()) || !IS_ALIGNED(firstSize, umf_page_size())) {
        LOG_ERR("invalid split of %p (%zu bytes) at %zu", ptr, totalSize, firstSize);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *p = provider;
    if (p->fd >= 0) {
        size_t offset;
        if (!os_get_fd_offset(p, ptr, &offset)) {
            LOG_ERR("%p is not an allocation of this provider", ptr);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        if (offset_map_put(&p->offsets, (char *)ptr + firstSize, offset + firstSize) != 0) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_allocation_merge(void *provider, void *lowPtr, void *highPtr, size_t totalSize) {
    if (provider == NULL || lowPtr == NULL || highPtr == NULL || totalSize == 0 ||
        (uintptr_t)lowPtr >= (uintptr_t)highPtr ||
        (size_t)((char *)highPtr - (char *)lowPtr) >= totalSize) {
        LOG_ERR("invalid merge of %p and %p (%zu bytes)", lowPtr, highPtr, totalSize);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *p = provider;
    if (p->fd >= 0) {
        size_t low_off, high_off;
        if (!os_get_fd_offset(p, lowPtr, &low_off) || !os_get_fd_offset(p, highPtr, &high_off)) {
            LOG_ERR("%p or %p is not an allocation of this provider", lowPtr, highPtr);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        /* one region must be one contiguous range of the fd, or IPC could not describe it */
        if (high_off != low_off + (size_t)((char *)highPtr - (char *)lowPtr)) {
            LOG_DEBUG("not merging %p and %p: their fd ranges are not contiguous", lowPtr, highPtr);
            return UMF_RESULT_ERROR_NOT_SUPPORTED;
        }
        offset_map_take(&p->offsets, highPtr, NULL, true);
    }
    return UMF_RESULT_SUCCESS;
}

/*
 * IPC (shared memory only). The handle names the fd range of an allocation:
 * a named shm object is opened by its name, an anonymous fd is copied out of
 * the owner process with pidfd_open + pidfd_getfd. Layout as UMF 1.1's, so
 * handles travel between this library and upstream builds.
 */
typedef struct os_ipc_data_t {
    int pid;
    int fd;
    size_t fd_offset;
    size_t size;
    unsigned protection;
    unsigned visibility;
    size_t shm_name_len; /* strlen of shm_name, 0 for an anonymous fd */
    char shm_name[];     /* NUL-terminated */
} os_ipc_data_t;
_Static_assert(sizeof(os_ipc_data_t) == 40 && offsetof(os_ipc_data_t, fd_offset) == 8 &&
                   offsetof(os_ipc_data_t, protection) == 24 && offsetof(os_ipc_data_t, shm_name) == 40,
               "os_ipc_data_t must keep UMF 1.1's layout");

static const char *os_ipc_name(const os_provider_t *p) { return p->shm_name ? p->shm_name + 1 : ""; }

static umf_result_t os_check_ipc(const os_provider_t *p) {
    if (p->visibility != UMF_MEM_MAP_SHARED) {
        LOG_ERR("IPC needs a provider with UMF_MEM_MAP_SHARED visibility");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_get_ipc_handle_size(void *provider, size_t *size) {
    if (provider == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = os_check_ipc(provider);
    if (rc == UMF_RESULT_SUCCESS) {
        *size = sizeof(os_ipc_data_t) + strlen(os_ipc_name(provider)) + 1;
    }
    return rc;
}

static umf_result_t os_get_ipc_handle(void *provider, const void *ptr, size_t size, void *providerIpcData) {
    if (provider == NULL || ptr == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *p = provider;
    umf_result_t rc = os_check_ipc(p);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    size_t offset;
    if (!os_get_fd_offset(p, ptr, &offset)) {
        LOG_ERR("%p is not an allocation of this provider", ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_ipc_data_t *d = providerIpcData;
    const char *name = os_ipc_name(p);
    d->pid = (int)getpid();
    if (name[0] == '\0') {
        umf_fd_allow_copy();
    }
    d->fd = p->fd;
    d->fd_offset = offset;
    d->size = size;
    d->protection = p->protection;
    d->visibility = (unsigned)p->visibility;
    d->shm_name_len = strlen(name);
    memcpy(d->shm_name, name, d->shm_name_len + 1);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_put_ipc_handle(void *provider, void *providerIpcData) {
    if (provider == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *p = provider;
    umf_result_t rc = os_check_ipc(p);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    const os_ipc_data_t *d = providerIpcData;
    const char *name = os_ipc_name(p);
    if (d->pid != (int)getpid() || d->fd != p->fd || d->shm_name_len != strlen(name) ||
        memcmp(d->shm_name, name, d->shm_name_len) != 0) {
        LOG_ERR("the IPC handle was not made by this provider");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS; /* nothing was set up for it */
}

/* A descriptor of the fd the handle names, owned by the caller; -1 with rc set on failure. */
static int os_ipc_fd(const os_ipc_data_t *d, umf_result_t *rc) {
    int fd;
    if (d->pid <= 0) {
        *rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        return -1;
    }
    if (d->shm_name_len > 0) {
        /* the object may outlive its maker, but a handle of a process that is gone is stale */
        if (kill((pid_t)d->pid, 0) != 0 && errno == ESRCH) {
            *rc = os_fail(UMF_OS_RESULT_ERROR_ALLOC_FAILED, ESRCH, "the process that made the IPC handle has exited");
            return -1;
        }
        char path[NAME_MAX + 1];
        if (d->shm_name_len > NAME_MAX - 2 || memchr(d->shm_name, '\0', d->shm_name_len) != NULL) {
            *rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
            return -1;
        }
        path[0] = '/';
        memcpy(path + 1, d->shm_name, d->shm_name_len);
        path[d->shm_name_len + 1] = '\0';
        fd = shm_open(path, O_RDWR, 0);
        if (fd < 0) {
            *rc = os_fail(UMF_OS_RESULT_ERROR_ALLOC_FAILED, errno, "shm_open of the IPC handle's object failed");
            return -1;
        }
        shm_unlink(path); /* as UMF does: the object lives on while it is mapped */
        return fd;
    }
    const char *failed = NULL;
    fd = umf_fd_copy_from(d->pid, d->fd, &failed);
    if (fd < 0) {
        int err = errno;
        char msg[96];
        snprintf(msg, sizeof(msg), "%s of the IPC handle's %s failed", failed,
                 strcmp(failed, "pidfd_open") == 0 ? "process" : "fd");
        *rc = err == ENOSYS ? UMF_RESULT_ERROR_NOT_SUPPORTED : os_fail(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err, msg);
        return -1;
    }
    return fd;
}

static umf_result_t os_open_ipc_handle(void *provider, void *providerIpcData, void **ptr) {
    if (provider == NULL || providerIpcData == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = os_check_ipc(provider);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    const os_ipc_data_t *d = providerIpcData;
    size_t page = umf_page_size();
    int prot = 0;
    if (d->size == 0 || d->size > SIZE_MAX - page || !IS_ALIGNED(d->fd_offset, page) ||
        d->fd_offset > OS_FD_SIZE || os_translate_protection(d->protection, &prot) != 0) {
        LOG_ERR("malformed IPC handle");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    int fd = os_ipc_fd(d, &rc);
    if (fd < 0) {
        return rc;
    }
    void *addr = mmap(NULL, ALIGN_UP(d->size, page), prot, MAP_SHARED, fd, (off_t)d->fd_offset);
    int err = errno;
    close(fd); /* the mapping keeps the memory */
    if (addr == MAP_FAILED) {
        return os_fail(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err, "mmap of the IPC handle failed");
    }
    /* close unmaps what was mapped here, whatever size it is given (a forged handle's header may lie) */
    if (offset_map_put(&((os_provider_t *)provider)->opened, addr, ALIGN_UP(d->size, page)) != 0) {
        munmap(addr, ALIGN_UP(d->size, page));
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    umf_ipc_report_mapped_size(ALIGN_UP(d->size, page));
    *ptr = addr;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_close_ipc_handle(void *provider, void *ptr, size_t size) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = os_check_ipc(provider);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    size_t len = 0;
    if (!offset_map_take(&((os_provider_t *)provider)->opened, ptr, &len, true)) {
        LOG_ERR("%p is not an IPC mapping this provider opened", ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    (void)size; /* the length recorded at open is what is unmapped */
    if (munmap(ptr, len) != 0) {
        return os_fail(UMF_OS_RESULT_ERROR_FREE_FAILED, errno, "munmap of an opened IPC handle failed");
    }
    return UMF_RESULT_SUCCESS;
}

/* CTL: the statistics every built-in provider has, and params.ipc_enabled. */
static umf_result_t os_ctl(void *provider, umf_ctl_query_source_t source, const char *name, void *arg,
                           size_t size, umf_ctl_query_type_t queryType, va_list args) {
    (void)source;
    char path[UMF_CTL_PATH_MAX];
    if (provider == NULL || name == NULL || !umf_ctl_resolve_path(name, args, path, sizeof(path))) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    name = path;
    os_provider_t *p = provider;
    if (strcmp(name, "post_initialize") == 0 && queryType == CTL_QUERY_RUNNABLE) {
        return UMF_RESULT_SUCCESS;
    }
    if (strcmp(name, "params.ipc_enabled") == 0 && queryType == CTL_QUERY_READ) {
        return umf_ctl_out_int(arg, size, p->visibility == UMF_MEM_MAP_SHARED);
    }
    return provider_stats_ctl(&p->stats, name, arg, size, queryType);
}

static const umf_memory_provider_ops_t OS_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = os_initialize,
    .finalize = os_finalize,
    .alloc = os_alloc,
    .free = os_free,
    .get_last_native_error = os_get_last_native_error,
    .get_recommended_page_size = os_get_recommended_page_size,
    .get_min_page_size = os_get_min_page_size,
    .get_name = os_get_name,
    .ext_purge_lazy = os_purge_lazy,
    .ext_purge_force = os_purge_force,
    .ext_allocation_merge = os_allocation_merge,
    .ext_allocation_split = os_allocation_split,
    .ext_get_ipc_handle_size = os_get_ipc_handle_size,
    .ext_get_ipc_handle = os_get_ipc_handle,
    .ext_put_ipc_handle = os_put_ipc_handle,
    .ext_open_ipc_handle = os_open_ipc_handle,
    .ext_close_ipc_handle = os_close_ipc_handle,
    .ext_ctl = os_ctl,
};

const umf_memory_provider_ops_t *umfOsMemoryProviderOps(void) { return &OS_OPS; }
