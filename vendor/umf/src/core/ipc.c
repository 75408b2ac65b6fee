/*
 * IPC: handles that let another process map memory of a pool allocation.
 *
 * Producer side. A handle always describes a whole provider allocation (the
 * range the tracker holds: base, baseSize) plus the offset of the pointer the
 * caller gave. The provider's part of the handle is made once per provider
 * allocation, on the first umfGetIPCHandle() for any pointer inside it, and
 * cached in the tracker entry (its ipc_cache field). Every umfGetIPCHandle()
 * returns a fresh copy of the cached handle; umfPutIPCHandle() frees only that
 * copy. The provider's put runs when the allocation is freed (the tracking
 * provider calls umf_ipc_on_free) or when its pool is destroyed with it still
 * live. The copies handed out are kept in a set, so a put of anything else (a
 * forged pointer, a double put) is refused instead of freeing foreign memory.
 *
 * Consumer side. Handles arrive as bytes from another process, so everything
 * in them is checked before use, and the handler must be one this library
 * handed out (umfPoolGetIPCHandler registers it; pool destruction removes it):
 * the pointer is looked up, never dereferenced first. Opened mappings are
 * cached under {remote base, handler, remote pid}; the entry also keeps the
 * handle_id, so a handle of a new allocation at a reused address replaces the
 * stale mapping instead of being confused with it. A hit takes a reference on
 * the cached mapping, a miss calls the provider's open once. Mappings are
 * tracked in a tracker of their own (for umfCloseIPCHandle of interior
 * pointers and for memory properties). umfCloseIPCHandle() drops a reference;
 * mappings with no reference stay cached, in LRU order, and the provider's
 * close runs when UMF_MAX_OPENED_IPC_HANDLES forces an eviction, when the
 * opening pool is destroyed, or at the last umfTearDown().
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <umf/ipc.h>

#include "base/log.h"
#include "core/core.h"
#include "core/ipc_internal.h"

/* The layout of an IPC handle (shared with upstream UMF, so handles interoperate). */
struct umf_ipc_data_t {
    uint64_t handle_id;    /* unique per provider allocation of the producer; never 0 */
    void *base;            /* the allocation's base address in the producer */
    int pid;               /* the producer's process id */
    size_t baseSize;       /* the allocation's size */
    uint64_t offset;       /* where the handle's pointer is inside the allocation */
    char providerIpcData[]; /* what the provider's ext_get_ipc_handle wrote */
};
typedef struct umf_ipc_data_t umf_ipc_data_t;

#define IPC_HEADER_SIZE offsetof(umf_ipc_data_t, providerIpcData)
_Static_assert(IPC_HEADER_SIZE == 40, "the IPC handle header is 40 bytes");
_Static_assert(offsetof(umf_ipc_data_t, pid) == 16 && offsetof(umf_ipc_data_t, baseSize) == 24 &&
                   offsetof(umf_ipc_data_t, offset) == 32,
               "IPC handle header layout");

/* This process's id, kept because getpid() is a system call; a fork child refreshes it. */
static _Atomic int g_pid;

static void refresh_pid(void) { atomic_store_explicit(&g_pid, (int)getpid(), memory_order_relaxed); }

static inline int my_pid(void) {
    int pid = atomic_load_explicit(&g_pid, memory_order_relaxed);
    return pid != 0 ? pid : (int)getpid();
}

/* A provider asking for more than this for its part of a handle is not believed. */
#define IPC_MAX_PROVIDER_DATA ((size_t)1 << 20)

/* ------------------------------------------------------------------ producer side */

/* The provider's part of the handles of one provider allocation, made once. */
typedef struct ipc_cached_t {
    size_t total;          /* bytes of a handle: header + provider data */
    umf_ipc_data_t handle; /* pid and offset are filled in each copy */
} ipc_cached_t;

/* Serializes the first get of an allocation, so its provider is asked once. */
#define IPC_GET_STRIPES 32
static pthread_mutex_t g_get_locks[IPC_GET_STRIPES] = {[0 ... IPC_GET_STRIPES - 1] = PTHREAD_MUTEX_INITIALIZER};

static inline pthread_mutex_t *get_lock_of(const void *base) {
    uintptr_t x = (uintptr_t)base;
    x ^= x >> 21;
    x *= 0x9e3779b97f4a7c15ull;
    return &g_get_locks[(x >> 58) % IPC_GET_STRIPES];
}

/* The set of handle copies given out and not yet put (open addressing, linear probing). */
static pthread_mutex_t g_out_lock = PTHREAD_MUTEX_INITIALIZER;
static void **g_out_slots;
static size_t g_out_cap; /* power of 2, or 0 */
static size_t g_out_count;

static inline size_t out_slot(const void *p, size_t cap) {
    uint64_t x = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;
    return (size_t)(x >> 32) & (cap - 1);
}

static bool out_grow(void) {
    size_t cap = g_out_cap ? g_out_cap * 2 : 64;
    void **slots = calloc(cap, sizeof(void *));
    if (slots == NULL) {
        return false;
    }
    for (size_t i = 0; i < g_out_cap; i++) {
        void *p = g_out_slots[i];
        if (p != NULL) {
            size_t j = out_slot(p, cap);
            while (slots[j] != NULL) {
                j = (j + 1) & (cap - 1);
            }
            slots[j] = p;
        }
    }
    free(g_out_slots);
    g_out_slots = slots;
    g_out_cap = cap;
    return true;
}

/* Lock held. */
static bool out_insert(void *p) {
    if ((g_out_count + 1) * 2 > g_out_cap && !out_grow()) {
        return false;
    }
    size_t j = out_slot(p, g_out_cap);
    while (g_out_slots[j] != NULL) {
        j = (j + 1) & (g_out_cap - 1);
    }
    g_out_slots[j] = p;
    g_out_count++;
    return true;
}

/* Lock held. Removes p (backward-shift deletion, no tombstones); false when absent. */
static bool out_remove(const void *p) {
    if (g_out_cap == 0 || p == NULL) {
        return false;
    }
    size_t mask = g_out_cap - 1;
    size_t i = out_slot(p, g_out_cap);
    while (g_out_slots[i] != p) {
        if (g_out_slots[i] == NULL) {
            return false;
        }
        i = (i + 1) & mask;
    }
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (g_out_slots[j] == NULL) {
            break;
        }
        size_t home = out_slot(g_out_slots[j], g_out_cap);
        /* the element at j may move to the hole at i unless its home lies in (i, j] */
        bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            g_out_slots[i] = g_out_slots[j];
            i = j;
        }
    }
    g_out_slots[i] = NULL;
    g_out_count--;
    return true;
}

umf_result_t umfPoolGetIPCHandleSize(umf_memory_pool_handle_t hPool, size_t *size) {
    if (hPool == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_memory_provider_handle_t prov = hPool->provider;
    size_t psize = 0;
    umf_result_t rc = prov->ops.ext_get_ipc_handle_size(prov->priv, &psize);
    if (rc != UMF_RESULT_SUCCESS) {
        umf_provider_note_result(prov, rc);
        return rc;
    }
    if (psize > IPC_MAX_PROVIDER_DATA) {
        LOG_ERR("the provider's IPC handle size %zu is implausible", psize);
        return UMF_RESULT_ERROR_UNKNOWN;
    }
    *size = IPC_HEADER_SIZE + psize;
    return UMF_RESULT_SUCCESS;
}

/* Makes the cached handle of a tracked allocation (first get). */
static umf_result_t make_cached(umf_alloc_info_t *entry, ipc_cached_t **out) {
    umf_memory_provider_handle_t up = entry->provider;
    size_t psize = 0;
    umf_result_t rc = up->ops.ext_get_ipc_handle_size(up->priv, &psize);
    if (rc != UMF_RESULT_SUCCESS) {
        umf_provider_note_result(up, rc);
        return rc;
    }
    if (psize > IPC_MAX_PROVIDER_DATA) {
        LOG_ERR("the provider's IPC handle size %zu is implausible", psize);
        return UMF_RESULT_ERROR_UNKNOWN;
    }
    ipc_cached_t *c = calloc(1, sizeof(ipc_cached_t) + psize);
    if (c == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    c->total = IPC_HEADER_SIZE + psize;
    c->handle.handle_id = entry->id;
    c->handle.base = entry->base;
    c->handle.baseSize = entry->base_size;
    c->handle.pid = my_pid();
    rc = up->ops.ext_get_ipc_handle(up->priv, entry->base, entry->base_size, c->handle.providerIpcData);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_DEBUG("the provider cannot make an IPC handle of %p: %d", entry->base, rc);
        umf_provider_note_result(up, rc);
        free(c);
        return rc;
    }
    *out = c;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfGetIPCHandle(const void *ptr, umf_ipc_handle_t *ipcHandle, size_t *size) {
    if (ptr == NULL || ipcHandle == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_tracker_t *tracker = umf_global_tracker();
    umf_alloc_info_t *entry = tracker ? umf_tracker_find(tracker, ptr) : NULL;
    if (entry == NULL || entry->pool == NULL) {
        LOG_ERR("%p is not memory of a tracked pool", ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    ipc_cached_t *c = __atomic_load_n((ipc_cached_t **)&entry->ipc_cache, __ATOMIC_ACQUIRE);
    if (c == NULL) {
        pthread_mutex_t *lock = get_lock_of(entry->base);
        pthread_mutex_lock(lock);
        c = __atomic_load_n((ipc_cached_t **)&entry->ipc_cache, __ATOMIC_ACQUIRE);
        if (c == NULL) {
            umf_result_t rc = make_cached(entry, &c);
            if (rc != UMF_RESULT_SUCCESS) {
                pthread_mutex_unlock(lock);
                return rc;
            }
            __atomic_store_n((ipc_cached_t **)&entry->ipc_cache, c, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(lock);
    }
    umf_ipc_data_t *copy = malloc(c->total);
    if (copy == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    memcpy(copy, &c->handle, c->total);
    copy->pid = my_pid();
    copy->offset = (uint64_t)((uintptr_t)ptr - (uintptr_t)c->handle.base);
    pthread_mutex_lock(&g_out_lock);
    bool ok = out_insert(copy);
    pthread_mutex_unlock(&g_out_lock);
    if (!ok) {
        free(copy);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *ipcHandle = copy;
    *size = c->total;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfPutIPCHandle(umf_ipc_handle_t ipcHandle) {
    if (ipcHandle == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    pthread_mutex_lock(&g_out_lock);
    bool found = out_remove(ipcHandle);
    pthread_mutex_unlock(&g_out_lock);
    if (!found) {
        LOG_ERR("%p is not an IPC handle returned by umfGetIPCHandle (or it was put already)", (void *)ipcHandle);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    free(ipcHandle);
    return UMF_RESULT_SUCCESS;
}

/* Called by the tracking provider when an allocation whose ipc_cache is set is freed or dropped. */
void umf_ipc_on_free(umf_alloc_info_t *freed, umf_memory_provider_handle_t upstream) {
    ipc_cached_t *c = freed->ipc_cache;
    freed->ipc_cache = NULL;
    if (c == NULL) {
        return;
    }
    umf_result_t rc = upstream->ops.ext_put_ipc_handle(upstream->priv, c->handle.providerIpcData);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_ERR("the provider failed to release the IPC handle of %p: %d", freed->base, rc);
    }
    free(c);
}

/* ------------------------------------------------------------------ consumer side */

typedef enum ipc_opened_state_t {
    IPC_OPENING, /* the provider's open runs (without the lock); others wanting it wait */
    IPC_READY,   /* mapped and tracked */
    IPC_FAILED,  /* the open failed: only waiters still hold the record, the last one frees it */
} ipc_opened_state_t;

typedef struct ipc_opened_t {
    /* the cache key */
    void *remote_base;
    int remote_pid;
    umf_memory_provider_handle_t handler;
    uint64_t handle_id;
    /* the mapping */
    void *mapped;
    size_t size;     /* baseSize of the handle: the range tracked */
    size_t map_size; /* what the provider's close is given: what it mapped, when it said so, else size */
    size_t refs;   /* umfOpenIPCHandle calls not yet closed (and waiters of an opening one) */
    bool detached; /* superseded by a newer handle of the same key: out of the index, closed at refs 0 */
    ipc_opened_state_t state;
    umf_result_t error; /* IPC_FAILED: what the open returned */
    struct ipc_opened_t *hnext;                /* index chain */
    struct ipc_opened_t *idle_prev, *idle_next; /* LRU list of mappings with refs 0 (oldest first) */
    struct ipc_opened_t *all_prev, *all_next;   /* every live mapping */
} ipc_opened_t;

typedef struct ipc_handler_reg_t {
    umf_memory_pool_handle_t pool;
    umf_memory_provider_handle_t handler;
    size_t busy; /* provider opens running through this handler without the lock */
    bool dying;  /* its pool is being destroyed: it opens nothing more */
} ipc_handler_reg_t;

/* Everything below is guarded by g_lock, except the opened tracker's lock-free lookups. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER; /* an open finished */
static umf_tracker_t *_Atomic g_opened_tracker;
static size_t g_max_opened; /* 0: no limit */
static ipc_opened_t **g_index;
static size_t g_index_cap; /* power of 2, or 0 */
static size_t g_opened_count; /* live mappings, detached ones included */
static ipc_opened_t g_idle = {.idle_prev = &g_idle, .idle_next = &g_idle};
static ipc_opened_t g_all = {.all_prev = &g_all, .all_next = &g_all};
static ipc_handler_reg_t *g_handlers;
static size_t g_handlers_len, g_handlers_cap;

static inline size_t index_slot(const void *base, int pid, const void *handler, size_t cap) {
    uint64_t x = (uint64_t)(uintptr_t)base * 0x9e3779b97f4a7c15ull;
    x ^= (uint64_t)(uint32_t)pid * 0xc2b2ae3d27d4eb4full;
    x ^= (uint64_t)(uintptr_t)handler * 0x165667b19e3779f9ull;
    x ^= x >> 29;
    return (size_t)x & (cap - 1);
}

static bool index_grow(void) {
    size_t cap = g_index_cap ? g_index_cap * 2 : 64;
    ipc_opened_t **idx = calloc(cap, sizeof(*idx));
    if (idx == NULL) {
        return false;
    }
    for (size_t i = 0; i < g_index_cap; i++) {
        ipc_opened_t *e = g_index[i];
        while (e != NULL) {
            ipc_opened_t *next = e->hnext;
            size_t j = index_slot(e->remote_base, e->remote_pid, e->handler, cap);
            e->hnext = idx[j];
            idx[j] = e;
            e = next;
        }
    }
    free(g_index);
    g_index = idx;
    g_index_cap = cap;
    return true;
}

static ipc_opened_t *index_find(const void *base, int pid, const void *handler) {
    if (g_index_cap == 0) {
        return NULL;
    }
    for (ipc_opened_t *e = g_index[index_slot(base, pid, handler, g_index_cap)]; e != NULL; e = e->hnext) {
        if (e->remote_base == base && e->remote_pid == pid && e->handler == handler) {
            return e;
        }
    }
    return NULL;
}

static void index_remove(ipc_opened_t *rec) {
    ipc_opened_t **pp = &g_index[index_slot(rec->remote_base, rec->remote_pid, rec->handler, g_index_cap)];
    while (*pp != NULL && *pp != rec) {
        pp = &(*pp)->hnext;
    }
    if (*pp == rec) {
        *pp = rec->hnext;
    }
    rec->hnext = NULL;
}

static void idle_unlink(ipc_opened_t *rec) {
    rec->idle_prev->idle_next = rec->idle_next;
    rec->idle_next->idle_prev = rec->idle_prev;
    rec->idle_prev = rec->idle_next = NULL;
}

static void idle_push(ipc_opened_t *rec) {
    rec->idle_prev = g_idle.idle_prev;
    rec->idle_next = &g_idle;
    g_idle.idle_prev->idle_next = rec;
    g_idle.idle_prev = rec;
}

static ipc_handler_reg_t *handler_find_by_pool(umf_memory_pool_handle_t pool) {
    for (size_t i = 0; i < g_handlers_len; i++) {
        if (g_handlers[i].pool == pool) {
            return &g_handlers[i];
        }
    }
    return NULL;
}

/* A live registration of the handler (not one whose pool is going), or NULL. */
static ipc_handler_reg_t *handler_find(const void *handler) {
    for (size_t i = 0; i < g_handlers_len; i++) {
        if ((const void *)g_handlers[i].handler == handler && !g_handlers[i].dying) {
            return &g_handlers[i];
        }
    }
    return NULL;
}

static bool handler_known(const void *handler) { return handler_find(handler) != NULL; }

/* Ends what handler_find(handler)->busy++ began (the registration may be dying by now). */
static void busy_drop(const void *handler) {
    for (size_t i = 0; i < g_handlers_len; i++) {
        if ((const void *)g_handlers[i].handler == handler && g_handlers[i].busy > 0) {
            g_handlers[i].busy--;
            if (g_handlers[i].dying && g_handlers[i].busy == 0) {
                pthread_cond_broadcast(&g_cond); /* a pool destruction waits for this */
            }
            return;
        }
    }
}

static void all_unlink(ipc_opened_t *rec) {
    rec->all_prev->all_next = rec->all_next;
    rec->all_next->all_prev = rec->all_prev;
    rec->all_prev = rec->all_next = NULL;
    g_opened_count--;
}

/* Unmaps a mapping that is out of the index and the idle list, and frees its record. */
static void opened_destroy(ipc_opened_t *rec) {
    umf_tracker_t *t = atomic_load_explicit(&g_opened_tracker, memory_order_relaxed);
    if (t != NULL) {
        umf_tracker_remove(t, rec->mapped, rec->handler, NULL);
    }
    umf_memory_provider_handle_t h = rec->handler;
    umf_result_t rc = h->ops.ext_close_ipc_handle(h->priv, rec->mapped, rec->map_size);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_ERR("the provider failed to close the IPC mapping %p (%zu bytes): %d", rec->mapped, rec->size, rc);
    }
    all_unlink(rec);
    free(rec);
}

/* Closes a cached mapping nobody uses. */
static void opened_evict(ipc_opened_t *rec) {
    LOG_DEBUG("closing the cached IPC mapping %p of pid %d", rec->mapped, rec->remote_pid);
    idle_unlink(rec);
    if (!rec->detached) {
        index_remove(rec);
    }
    opened_destroy(rec);
}

/* Evicts least recently used idle mappings until at most `keep` remain (when there is a limit). */
static void enforce_limit(size_t keep) {
    while (g_max_opened != 0 && g_opened_count > keep && g_idle.idle_next != &g_idle) {
        opened_evict(g_idle.idle_next);
    }
}

umf_result_t umfPoolGetIPCHandler(umf_memory_pool_handle_t hPool, umf_ipc_handler_handle_t *hIPCHandler) {
    if (hPool == NULL || hIPCHandler == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&g_lock);
    if (handler_find_by_pool(hPool) == NULL) {
        if (g_handlers_len == g_handlers_cap) {
            size_t cap = g_handlers_cap ? g_handlers_cap * 2 : 8;
            ipc_handler_reg_t *grown = realloc(g_handlers, cap * sizeof(*grown));
            if (grown == NULL) {
                rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
                goto out;
            }
            g_handlers = grown;
            g_handlers_cap = cap;
        }
        g_handlers[g_handlers_len++] = (ipc_handler_reg_t){.pool = hPool, .handler = hPool->provider};
    }
    *hIPCHandler = hPool->provider;
out:
    pthread_mutex_unlock(&g_lock);
    return rc;
}

static __thread size_t tls_mapped_size; /* see ipc_internal.h */

void umf_ipc_report_mapped_size(size_t size) { tls_mapped_size = size; }

/* Checks what can be checked of a handle's header; false when it cannot describe a real allocation. */
static bool header_is_sane(const umf_ipc_data_t *h) {
    if (h->handle_id == 0 || h->base == NULL || h->pid <= 0 || h->baseSize == 0 || h->offset >= h->baseSize) {
        return false;
    }
    uintptr_t base = (uintptr_t)h->base;
    if (base + (h->baseSize - 1) < base) { /* the range would wrap around the address space */
        return false;
    }
    return true;
}

umf_result_t umfOpenIPCHandle(umf_ipc_handler_handle_t hIPCHandler, umf_ipc_handle_t ipcHandle, void **ptr) {
    if (hIPCHandler == NULL || ipcHandle == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_ipc_data_t hdr;
    memcpy(&hdr, ipcHandle, IPC_HEADER_SIZE); /* the bytes may be unaligned */
    if (!header_is_sane(&hdr)) {
        LOG_ERR("malformed IPC handle (id %llu, base %p, pid %d, size %zu, offset %llu)",
                (unsigned long long)hdr.handle_id, hdr.base, hdr.pid, hdr.baseSize,
                (unsigned long long)hdr.offset);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&g_lock);
    umf_tracker_t *t = atomic_load_explicit(&g_opened_tracker, memory_order_relaxed);
    if (t == NULL) {
        LOG_ERR("the library is not initialized");
        rc = UMF_RESULT_ERROR_UNKNOWN;
        goto out;
    }
    if (!handler_known(hIPCHandler)) {
        LOG_ERR("%p is not an IPC handler of a live pool (see umfPoolGetIPCHandler)", hIPCHandler);
        rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    umf_memory_provider_handle_t handler = hIPCHandler;
    ipc_opened_t *rec = index_find(hdr.base, hdr.pid, handler);
    if (rec != NULL && rec->handle_id == hdr.handle_id) {
        if (hdr.baseSize != rec->size) {
            LOG_ERR("IPC handle %llu of pid %d: size %zu, but it was opened with %zu",
                    (unsigned long long)hdr.handle_id, hdr.pid, hdr.baseSize, rec->size);
            rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
            goto out;
        }
        if (rec->refs++ == 0) {
            idle_unlink(rec); /* in use again: not a candidate for eviction */
        }
        if (rec->state == IPC_OPENING) { /* another thread is opening this very handle: wait for it */
            handler_find(handler)->busy++; /* the pool's destruction waits for waiters too */
            while (rec->state == IPC_OPENING) {
                pthread_cond_wait(&g_cond, &g_lock);
            }
            busy_drop(handler);
        }
        if (rec->state == IPC_FAILED) {
            rc = rec->error;
            if (--rec->refs == 0) {
                free(rec);
            }
            goto out;
        }
        *ptr = (char *)rec->mapped + hdr.offset;
        goto out;
    }
    if (rec != NULL) {
        /* The producer freed that allocation and made a new one at the same address. */
        LOG_DEBUG("IPC handle %llu of pid %d replaces the stale mapping of handle %llu",
                  (unsigned long long)hdr.handle_id, hdr.pid, (unsigned long long)rec->handle_id);
        index_remove(rec);
        rec->detached = true;
        if (rec->refs == 0) {
            idle_unlink(rec);
            opened_destroy(rec);
        }
        rec = NULL;
    }
    if (g_max_opened != 0) {
        enforce_limit(g_max_opened - 1); /* make room for the new one */
    }
    if ((g_opened_count + 1) > g_index_cap && !index_grow()) {
        rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        goto out;
    }
    rec = calloc(1, sizeof(*rec));
    if (rec == NULL) {
        rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        goto out;
    }
    /* Publish the record as opening, then call the provider without the lock: opens of other
     * handles and hits on cached ones need not wait for this one's system calls. */
    rec->remote_base = hdr.base;
    rec->remote_pid = hdr.pid;
    rec->handler = handler;
    rec->handle_id = hdr.handle_id;
    rec->size = hdr.baseSize;
    rec->refs = 1;
    rec->state = IPC_OPENING;
    size_t slot = index_slot(rec->remote_base, rec->remote_pid, handler, g_index_cap);
    rec->hnext = g_index[slot];
    g_index[slot] = rec;
    rec->all_prev = g_all.all_prev;
    rec->all_next = &g_all;
    g_all.all_prev->all_next = rec;
    g_all.all_prev = rec;
    g_opened_count++;
    handler_find(handler)->busy++; /* keeps the pool's destruction waiting until the call returns */
    pthread_mutex_unlock(&g_lock);

    void *mapped = NULL;
    tls_mapped_size = 0;
    rc = handler->ops.ext_open_ipc_handle(handler->priv, (char *)ipcHandle + IPC_HEADER_SIZE, &mapped);
    size_t map_size = tls_mapped_size ? tls_mapped_size : hdr.baseSize;
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_DEBUG("the provider cannot open IPC handle %llu of pid %d: %d", (unsigned long long)hdr.handle_id,
                  hdr.pid, rc);
        umf_provider_note_result(handler, rc);
    } else if (mapped == NULL) {
        LOG_ERR("the provider opened IPC handle %llu at NULL", (unsigned long long)hdr.handle_id);
        rc = UMF_RESULT_ERROR_UNKNOWN;
    } else if (map_size < hdr.baseSize) {
        /* the header claims more than the provider's data describes: a forged or corrupt handle */
        LOG_ERR("IPC handle %llu of pid %d claims %zu bytes, its provider data %zu", (unsigned long long)hdr.handle_id,
                hdr.pid, hdr.baseSize, map_size);
        handler->ops.ext_close_ipc_handle(handler->priv, mapped, map_size);
        rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }

    pthread_mutex_lock(&g_lock);
    busy_drop(handler);
    if (rc == UMF_RESULT_SUCCESS) {
        umf_alloc_info_t info = {
            .pool = NULL,
            .provider = handler->upstream ? handler->upstream : handler,
            .base = mapped,
            .base_size = hdr.baseSize,
            .memory_type = UMF_MEMORY_TYPE_UNKNOWN,
            .owner = handler,
            .ipc_cache = rec,
        };
        rc = umf_tracker_add(t, &info, NULL);
        if (rc != UMF_RESULT_SUCCESS) {
            LOG_ERR("cannot track the IPC mapping %p (%zu bytes): %d", mapped, hdr.baseSize, rc);
            handler->ops.ext_close_ipc_handle(handler->priv, mapped, map_size);
            if (rc != UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY) {
                /* its range overlaps mappings already open in a way no real handle can */
                rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
            }
        }
    }
    if (rc != UMF_RESULT_SUCCESS) {
        if (!rec->detached) {
            index_remove(rec);
            rec->detached = true;
        }
        all_unlink(rec);
        rec->state = IPC_FAILED;
        rec->error = rc;
        if (--rec->refs == 0) {
            free(rec);
        }
    } else {
        rec->mapped = mapped;
        rec->map_size = map_size;
        rec->state = IPC_READY;
        if (g_max_opened != 0 && g_opened_count > g_max_opened) {
            LOG_DEBUG("%zu IPC mappings are in use: over the limit of %zu", g_opened_count, g_max_opened);
        }
        *ptr = (char *)mapped + hdr.offset;
    }
    pthread_cond_broadcast(&g_cond);
out:
    pthread_mutex_unlock(&g_lock);
    return rc;
}

umf_result_t umfCloseIPCHandle(void *ptr) {
    if (ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&g_lock);
    umf_tracker_t *t = atomic_load_explicit(&g_opened_tracker, memory_order_relaxed);
    umf_alloc_info_t *entry = t ? umf_tracker_find(t, ptr) : NULL;
    ipc_opened_t *rec = entry ? entry->ipc_cache : NULL;
    if (rec == NULL || rec->refs == 0) {
        LOG_ERR("%p is not in an opened IPC mapping", ptr);
        rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    if (--rec->refs == 0) {
        if (rec->detached) {
            opened_destroy(rec);
        } else {
            idle_push(rec);
            enforce_limit(g_max_opened);
        }
    }
out:
    pthread_mutex_unlock(&g_lock);
    return rc;
}

/* The memory properties of an opened mapping holding ptr (pool NULL), or NULL. */
umf_alloc_info_t *umf_ipc_find_opened(const void *ptr) {
    umf_tracker_t *t = atomic_load_explicit(&g_opened_tracker, memory_order_acquire);
    return t ? umf_tracker_find(t, ptr) : NULL;
}

/* Called by umfPoolDestroy before the pool goes: its handler can open nothing more, and its mappings close. */
void umf_ipc_on_pool_destroy(umf_memory_pool_handle_t pool) {
    pthread_mutex_lock(&g_lock);
    ipc_handler_reg_t *reg = handler_find_by_pool(pool);
    if (reg == NULL) {
        pthread_mutex_unlock(&g_lock);
        return;
    }
    umf_memory_provider_handle_t handler = reg->handler;
    reg->dying = true; /* no new opens through it; wait for the running ones */
    while ((reg = handler_find_by_pool(pool))->busy > 0) {
        pthread_cond_wait(&g_cond, &g_lock);
    }
    *reg = g_handlers[--g_handlers_len];
    if (!handler_known(handler)) { /* another pool may share the provider (tracking disabled) */
        ipc_opened_t *rec = g_all.all_next;
        while (rec != &g_all) {
            ipc_opened_t *next = rec->all_next;
            if (rec->handler == handler) {
                if (rec->refs != 0) {
                    LOG_WARN("the IPC mapping %p is still open (%zu references) as its pool is destroyed",
                             rec->mapped, rec->refs);
                } else {
                    idle_unlink(rec);
                }
                if (!rec->detached) {
                    index_remove(rec);
                }
                opened_destroy(rec);
            }
            rec = next;
        }
    }
    pthread_mutex_unlock(&g_lock);
}

/* ------------------------------------------------------------------ lifetime */

/* UMF_MAX_OPENED_IPC_HANDLES: a decimal number, the whole string; 0 or unset: no limit. */
static size_t read_limit(void) {
    const char *s = getenv("UMF_MAX_OPENED_IPC_HANDLES");
    if (s == NULL) {
        return 0;
    }
    size_t v = 0;
    bool ok = *s != '\0';
    for (const char *c = s; ok && *c != '\0'; c++) {
        if (*c < '0' || *c > '9' || v > (SIZE_MAX - (size_t)(*c - '0')) / 10) {
            ok = false;
            break;
        }
        v = v * 10 + (size_t)(*c - '0');
    }
    if (!ok) {
        LOG_ERR("UMF_MAX_OPENED_IPC_HANDLES=\"%s\" is not a decimal number: the opened IPC handles are not limited", s);
        return 0;
    }
    return v;
}

/* fork() while another thread holds one of the locks would leave it locked forever in the child: hold
 * them all across the fork. */
static void before_fork(void) {
    pthread_mutex_lock(&g_lock);
    pthread_mutex_lock(&g_out_lock);
    for (int i = 0; i < IPC_GET_STRIPES; i++) {
        pthread_mutex_lock(&g_get_locks[i]);
    }
}

static void after_fork(void) {
    for (int i = IPC_GET_STRIPES; i-- > 0;) {
        pthread_mutex_unlock(&g_get_locks[i]);
    }
    pthread_mutex_unlock(&g_out_lock);
    pthread_mutex_unlock(&g_lock);
}

static void after_fork_child(void) {
    /* Opens that other threads of the parent were running will never finish here: forget them
     * (their records stay allocated; whoever waits for them does not exist in the child). */
    for (ipc_opened_t *rec = g_all.all_next, *next; rec != &g_all; rec = next) {
        next = rec->all_next;
        if (rec->state == IPC_OPENING) {
            if (!rec->detached) {
                index_remove(rec);
                rec->detached = true;
            }
            all_unlink(rec);
            rec->state = IPC_FAILED;
            rec->error = UMF_RESULT_ERROR_UNKNOWN;
        }
    }
    for (size_t i = 0; i < g_handlers_len; i++) {
        g_handlers[i].busy = 0;
    }
    after_fork();
    refresh_pid();
}

static void register_fork_handler(void) { pthread_atfork(before_fork, after_fork, after_fork_child); }

umf_result_t umf_ipc_init(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_fork_handler);
    refresh_pid();
    umf_tracker_t *t = umf_tracker_create();
    if (t == NULL) {
        LOG_ERR("cannot create the tracker of opened IPC mappings");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    pthread_mutex_lock(&g_lock);
    g_max_opened = read_limit();
    atomic_store_explicit(&g_opened_tracker, t, memory_order_release);
    pthread_mutex_unlock(&g_lock);
    if (g_max_opened != 0) {
        LOG_DEBUG("at most %zu opened IPC mappings are kept", g_max_opened);
    }
    return UMF_RESULT_SUCCESS;
}

static int release_cached(umf_alloc_info_t *entry, void *arg) {
    (void)arg;
    if (entry->ipc_cache != NULL && entry->provider != NULL) {
        umf_ipc_on_free(entry, entry->provider);
    }
    return 0;
}

void umf_ipc_fini(void) {
    pthread_mutex_lock(&g_lock);
    while (g_all.all_next != &g_all) {
        ipc_opened_t *rec = g_all.all_next;
        if (rec->state != IPC_READY) {
            all_unlink(rec); /* an open still running while the library is torn down: left alone */
            continue;
        }
        if (rec->refs == 0) {
            idle_unlink(rec);
        }
        opened_destroy(rec);
    }
    g_idle.idle_prev = g_idle.idle_next = &g_idle;
    umf_tracker_destroy(atomic_exchange(&g_opened_tracker, NULL));
    free(g_index);
    g_index = NULL;
    g_index_cap = 0;
    free(g_handlers);
    g_handlers = NULL;
    g_handlers_len = g_handlers_cap = 0;
    pthread_mutex_unlock(&g_lock);

    /* Handles of allocations of pools that were never destroyed. */
    umf_tracker_t *tracker = umf_global_tracker();
    if (tracker != NULL) {
        umf_tracker_for_each(tracker, release_cached, NULL);
    }

    pthread_mutex_lock(&g_out_lock);
    for (size_t i = 0; i < g_out_cap; i++) {
        free(g_out_slots[i]);
    }
    free(g_out_slots);
    g_out_slots = NULL;
    g_out_cap = g_out_count = 0;
    pthread_mutex_unlock(&g_out_lock);
}
