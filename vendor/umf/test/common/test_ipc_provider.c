#include "test_ipc_provider.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The memfd of an instance is this big (sparse); offsets are handed out once each. */
#define TIPC_FD_SIZE ((uint64_t)1 << 40)

typedef struct tipc_alloc_t {
    void *addr;
    uint64_t offset;
    size_t size;
} tipc_alloc_t;

typedef struct tipc_provider_t {
    test_ipc_params_t params;
    uint64_t cookie;
    int fd;
    uint64_t next_offset;
    tipc_alloc_t *allocs;
    size_t nallocs, cap;
    struct tipc_provider_t *next; /* the list of live instances */
} tipc_provider_t;

typedef struct tipc_opened_t {
    void *addr;
    size_t size;
    struct tipc_opened_t *next;
} tipc_opened_t;

/* One lock for everything: instances, their allocations, opened mappings. Tests only. */
static pthread_mutex_t tipc_lock = PTHREAD_MUTEX_INITIALIZER;
static tipc_provider_t *tipc_instances;
static tipc_opened_t *tipc_opened;
static uint64_t tipc_next_cookie = 0x1000;

static size_t tipc_page(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static void count(size_t *counter) { __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }

static umf_result_t tipc_initialize(const void *params, void **provider) {
    const test_ipc_params_t *in = params;
    if (in == NULL || in->counters == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    tipc_provider_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->params = *in;
    p->fd = memfd_create("test_ipc", MFD_CLOEXEC);
    if (p->fd < 0 || ftruncate(p->fd, (off_t)TIPC_FD_SIZE) != 0) {
        if (p->fd >= 0) {
            close(p->fd);
        }
        free(p);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    pthread_mutex_lock(&tipc_lock);
    p->cookie = tipc_next_cookie++;
    p->next = tipc_instances;
    tipc_instances = p;
    pthread_mutex_unlock(&tipc_lock);
    *provider = p;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t tipc_finalize(void *provider) {
    tipc_provider_t *p = provider;
    pthread_mutex_lock(&tipc_lock);
    for (tipc_provider_t **pp = &tipc_instances; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    pthread_mutex_unlock(&tipc_lock);
    for (size_t i = 0; i < p->nallocs; i++) {
        munmap(p->allocs[i].addr, p->allocs[i].size);
    }
    free(p->allocs);
    close(p->fd);
    free(p);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t tipc_alloc(void *provider, size_t size, size_t alignment, void **ptr) {
    tipc_provider_t *p = provider;
    *ptr = NULL;
    size_t page = tipc_page();
    if (alignment == 0) {
        alignment = page;
    }
    if ((alignment & (alignment - 1)) != 0) {
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    if (size == 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size = (size + page - 1) / page * page;
    size_t extra = alignment > page ? alignment : 0;
    char *raw = mmap(NULL, size + extra, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    char *at = (char *)(((uintptr_t)raw + alignment - 1) & ~(uintptr_t)(alignment - 1));
    pthread_mutex_lock(&tipc_lock);
    if (p->nallocs == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        tipc_alloc_t *grown = realloc(p->allocs, cap * sizeof(*grown));
        if (grown == NULL) {
            pthread_mutex_unlock(&tipc_lock);
            munmap(raw, size + extra);
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        p->allocs = grown;
        p->cap = cap;
    }
    uint64_t offset = p->next_offset;
    p->next_offset += size;
    if (mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, p->fd, (off_t)offset) == MAP_FAILED) {
        pthread_mutex_unlock(&tipc_lock);
        munmap(raw, size + extra);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->allocs[p->nallocs++] = (tipc_alloc_t){at, offset, size};
    pthread_mutex_unlock(&tipc_lock);
    if (at > raw) {
        munmap(raw, (size_t)(at - raw));
    }
    if (raw + size + extra > at + size) {
        munmap(at + size, (size_t)(raw + size + extra - (at + size)));
    }
    count(&p->params.counters->alloc_count);
    __atomic_fetch_add(&p->params.counters->bytes_live, size, __ATOMIC_RELAXED);
    *ptr = at;
    return UMF_RESULT_SUCCESS;
}

/* Lock held. */
static tipc_alloc_t *tipc_find_alloc(tipc_provider_t *p, const void *ptr) {
    for (size_t i = 0; i < p->nallocs; i++) {
        if (p->allocs[i].addr == ptr) {
            return &p->allocs[i];
        }
    }
    return NULL;
}

static umf_result_t tipc_free(void *provider, void *ptr, size_t size) {
    tipc_provider_t *p = provider;
    if (ptr == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    pthread_mutex_lock(&tipc_lock);
    tipc_alloc_t *a = tipc_find_alloc(p, ptr);
    if (a == NULL) {
        pthread_mutex_unlock(&tipc_lock);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t len = a->size;
    /* give the pages back, so that the fd does not keep freed memory */
    fallocate(p->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)a->offset, (off_t)len);
    *a = p->allocs[--p->nallocs];
    munmap(ptr, len);
    pthread_mutex_unlock(&tipc_lock);
    count(&p->params.counters->free_count);
    __atomic_fetch_sub(&p->params.counters->bytes_live, len, __ATOMIC_RELAXED);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t tipc_last_native_error(void *provider, const char **msg, int32_t *err) {
    *msg = "no native error";
    *err = 0;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t tipc_page_size(void *provider, size_t size, size_t *page) {
    *page = tipc_page();
    return UMF_RESULT_SUCCESS;
}

static umf_result_t tipc_min_page_size(void *provider, const void *ptr, size_t *page) {
    *page = tipc_page();
    return UMF_RESULT_SUCCESS;
}

static umf_result_t tipc_name(void *provider, const char **name) {
    *name = "test_ipc";
    return UMF_RESULT_SUCCESS;
}

static umf_result_t tipc_ipc_size(void *provider, size_t *size) {
    *size = sizeof(test_ipc_data_t);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t tipc_ipc_get(void *provider, const void *ptr, size_t size, void *data) {
    tipc_provider_t *p = provider;
    if (p->params.get_delay_us != 0) {
        usleep(p->params.get_delay_us);
    }
    pthread_mutex_lock(&tipc_lock);
    tipc_alloc_t *a = tipc_find_alloc(p, ptr);
    if (a == NULL || a->size < size) {
        pthread_mutex_unlock(&tipc_lock);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    test_ipc_data_t d = {TEST_IPC_MAGIC, p->cookie, (int32_t)getpid(), p->fd, a->offset, a->size};
    pthread_mutex_unlock(&tipc_lock);
    memcpy(data, &d, sizeof(d));
    count(&p->params.counters->ipc_get_count);
    return UMF_RESULT_SUCCESS;
}

/* Lock held. The live instance that made d, or NULL when d is not a handle of this process. */
static tipc_provider_t *tipc_check(const test_ipc_data_t *d) {
    if (d->magic != TEST_IPC_MAGIC || d->pid != (int32_t)getpid() || d->size == 0 ||
        d->offset % tipc_page() != 0 || d->size % tipc_page() != 0) {
        return NULL;
    }
    for (tipc_provider_t *p = tipc_instances; p != NULL; p = p->next) {
        if (p->cookie == d->cookie) {
            bool fits = d->offset < p->next_offset && d->size <= p->next_offset - d->offset;
            return (p->fd == d->fd && fits) ? p : NULL;
        }
    }
    return NULL;
}

static umf_result_t tipc_ipc_put(void *provider, void *data) {
    tipc_provider_t *p = provider;
    test_ipc_data_t d;
    memcpy(&d, data, sizeof(d));
    pthread_mutex_lock(&tipc_lock);
    bool ok = tipc_check(&d) == p;
    pthread_mutex_unlock(&tipc_lock);
    if (!ok) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    count(&p->params.counters->ipc_put_count);
    return UMF_RESULT_SUCCESS;
}

void test_gate_init(test_gate_t *g) {
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    g->closed = false;
    g->waiting = 0;
}

void test_gate_set(test_gate_t *g, bool closed) {
    pthread_mutex_lock(&g->lock);
    g->closed = closed;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

void test_gate_await(test_gate_t *g, unsigned n) {
    pthread_mutex_lock(&g->lock);
    while (g->waiting < n) {
        pthread_cond_wait(&g->cond, &g->lock);
    }
    pthread_mutex_unlock(&g->lock);
}

unsigned test_gate_waiting(test_gate_t *g) {
    pthread_mutex_lock(&g->lock);
    unsigned n = g->waiting;
    pthread_mutex_unlock(&g->lock);
    return n;
}

static void gate_pass(test_gate_t *g) {
    pthread_mutex_lock(&g->lock);
    g->waiting++;
    pthread_cond_broadcast(&g->cond);
    while (g->closed) {
        pthread_cond_wait(&g->cond, &g->lock);
    }
    g->waiting--;
    pthread_mutex_unlock(&g->lock);
}

static umf_result_t tipc_ipc_open(void *provider, void *data, void **ptr) {
    tipc_provider_t *p = provider;
    if (p->params.open_gate != NULL) {
        gate_pass(p->params.open_gate);
    }
    test_ipc_data_t d;
    memcpy(&d, data, sizeof(d));
    tipc_opened_t *rec = malloc(sizeof(*rec));
    if (rec == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    pthread_mutex_lock(&tipc_lock);
    tipc_provider_t *maker = tipc_check(&d);
    if (maker == NULL) {
        pthread_mutex_unlock(&tipc_lock);
        free(rec);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    void *m = mmap(NULL, d.size, PROT_READ | PROT_WRITE, MAP_SHARED, maker->fd, (off_t)d.offset);
    if (m == MAP_FAILED) {
        pthread_mutex_unlock(&tipc_lock);
        free(rec);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    *rec = (tipc_opened_t){m, d.size, tipc_opened};
    tipc_opened = rec;
    pthread_mutex_unlock(&tipc_lock);
    count(&p->params.counters->ipc_open_count);
    *ptr = m;
    return UMF_RESULT_SUCCESS;
}

/* Unmaps what open mapped (its own record of the size), whatever size the caller claims. */
static umf_result_t tipc_ipc_close(void *provider, void *ptr, size_t size) {
    tipc_provider_t *p = provider;
    pthread_mutex_lock(&tipc_lock);
    tipc_opened_t **pp = &tipc_opened;
    while (*pp != NULL && (*pp)->addr != ptr) {
        pp = &(*pp)->next;
    }
    tipc_opened_t *rec = *pp;
    if (rec == NULL) {
        pthread_mutex_unlock(&tipc_lock);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pp = rec->next;
    pthread_mutex_unlock(&tipc_lock);
    munmap(rec->addr, rec->size);
    size_t page = tipc_page();
    bool same = rec->size == (size + page - 1) / page * page;
    free(rec);
    count(&p->params.counters->ipc_close_count);
    return same ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

static umf_result_t tipc_split(void *provider, void *ptr, size_t total, size_t first) {
    tipc_provider_t *p = provider;
    size_t page = tipc_page();
    if (first % page != 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    pthread_mutex_lock(&tipc_lock);
    tipc_alloc_t *a = tipc_find_alloc(p, ptr);
    if (a == NULL || first >= a->size || p->nallocs == p->cap) {
        pthread_mutex_unlock(&tipc_lock);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    tipc_alloc_t high = {(char *)ptr + first, a->offset + first, a->size - first};
    a->size = first;
    p->allocs[p->nallocs++] = high;
    pthread_mutex_unlock(&tipc_lock);
    count(&p->params.counters->split_count);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t tipc_merge(void *provider, void *low, void *high, size_t total) {
    tipc_provider_t *p = provider;
    pthread_mutex_lock(&tipc_lock);
    tipc_alloc_t *lo = tipc_find_alloc(p, low), *hi = tipc_find_alloc(p, high);
    if (lo == NULL || hi == NULL || (char *)low + lo->size != (char *)high || lo->offset + lo->size != hi->offset) {
        pthread_mutex_unlock(&tipc_lock);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    lo->size += hi->size;
    *hi = p->allocs[--p->nallocs];
    pthread_mutex_unlock(&tipc_lock);
    count(&p->params.counters->merge_count);
    return UMF_RESULT_SUCCESS;
}

static const umf_memory_provider_ops_t TIPC_OPS = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = tipc_initialize,
    .finalize = tipc_finalize,
    .alloc = tipc_alloc,
    .free = tipc_free,
    .get_last_native_error = tipc_last_native_error,
    .get_recommended_page_size = tipc_page_size,
    .get_min_page_size = tipc_min_page_size,
    .get_name = tipc_name,
    .ext_allocation_merge = tipc_merge,
    .ext_allocation_split = tipc_split,
    .ext_get_ipc_handle_size = tipc_ipc_size,
    .ext_get_ipc_handle = tipc_ipc_get,
    .ext_put_ipc_handle = tipc_ipc_put,
    .ext_open_ipc_handle = tipc_ipc_open,
    .ext_close_ipc_handle = tipc_ipc_close,
};

const umf_memory_provider_ops_t *test_ipc_provider_ops(void) { return &TIPC_OPS; }
