/* The framework's global lifetime: umfInit/umfTearDown (reference-counted), run on load and unload. */
#include <pthread.h>

#include <umf.h>

#include "base/log.h"
#include "core/core.h"
#include "core/ctl_internal.h"

/* Components with global state to release at the last umfTearDown. They are weak so the core
 * links even when a component is compiled out. */
extern void umf_memspace_predefined_fini(void) __attribute__((weak));
extern void umf_topology_fini(void) __attribute__((weak));
extern void umf_topology_prefork(void) __attribute__((weak));
extern void umf_scalable_fini(void) __attribute__((weak));
extern void umf_cuda_fini(void) __attribute__((weak));
extern void umf_ze_fini(void) __attribute__((weak));
extern umf_result_t umf_ipc_init(void) __attribute__((weak));
extern void umf_ipc_fini(void) __attribute__((weak));

static pthread_mutex_t g_init_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned g_init_count;
umf_tracker_t *_Atomic umf_g_tracker;

static void prefork_hook(void);
static void register_atfork(void) { pthread_atfork(prefork_hook, NULL, NULL); }

static void prefork_hook(void) {
    /* Loading the topology in a child right after fork can deadlock on locks held by other
     * threads of the parent; have it loaded before the fork. */
    if (umf_topology_prefork) {
        umf_topology_prefork();
    }
}

umf_result_t umfInit(void) {
    umf_result_t rc = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&g_init_lock);
    if (g_init_count == 0) {
        umf_log_init();
        umf_ctl_init(); /* after UMF_LOG, so that UMF_CONF's umf.logger.* win */
        umf_tracker_t *tracker = umf_tracker_create();
        if (tracker == NULL) {
            LOG_ERR("cannot create the allocation tracker");
            rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
            goto out;
        }
        atomic_store_explicit(&umf_g_tracker, tracker, memory_order_release);
        if (umf_ipc_init && (rc = umf_ipc_init()) != UMF_RESULT_SUCCESS) {
            goto fail;
        }
        static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
        pthread_once(&atfork_once, register_atfork);
        LOG_DEBUG("UMF %d.%d initialized", UMF_MAJOR_VERSION(UMF_VERSION_CURRENT),
                  UMF_MINOR_VERSION(UMF_VERSION_CURRENT));
    }
    g_init_count++;
    goto out;
fail:
    umf_tracker_destroy(atomic_exchange(&umf_g_tracker, NULL));
    umf_log_fini();
out:
    pthread_mutex_unlock(&g_init_lock);
    return rc;
}

umf_result_t umfTearDown(void) {
    pthread_mutex_lock(&g_init_lock);
    if (g_init_count > 0 && --g_init_count == 0) {
        if (umf_ipc_fini) {
            umf_ipc_fini();
        }
        if (umf_memspace_predefined_fini) {
            umf_memspace_predefined_fini();
        }
        if (umf_topology_fini) {
            umf_topology_fini();
        }
        umf_tracker_t *tracker = atomic_exchange(&umf_g_tracker, NULL);
        size_t leaked = tracker ? umf_tracker_count(tracker) : 0;
        if (leaked != 0) {
            LOG_WARN("%zu tracked allocations were never freed", leaked);
        }
        umf_tracker_destroy(tracker);
        if (umf_scalable_fini) {
            umf_scalable_fini();
        }
        umf_ctl_fini();
        if (umf_cuda_fini) {
            umf_cuda_fini();
        }
        if (umf_ze_fini) {
            umf_ze_fini();
        }
        LOG_DEBUG("UMF torn down");
        umf_log_fini();
    }
    pthread_mutex_unlock(&g_init_lock);
    return UMF_RESULT_SUCCESS;
}

int umfGetCurrentVersion(void) { return UMF_VERSION_CURRENT; }

__attribute__((constructor)) static void umf_on_load(void) { (void)umfInit(); }

__attribute__((destructor)) static void umf_on_unload(void) { (void)umfTearDown(); }
