/*
 * The machine's hwloc topology, shared by the OS provider and the memspaces.
 *
 * It is loaded once, on first use, and kept until umf_topology_fini() (called
 * by umfTearDown). Only the object types the framework needs are kept, so a
 * load is cheap. Without hwloc (UMF_HAVE_HWLOC unset) only the lifetime hooks
 * exist and do nothing.
 */
#ifndef UMF_INTERNAL_TOPOLOGY_H
#define UMF_INTERNAL_TOPOLOGY_H 1

#ifdef UMF_HAVE_HWLOC
#include <hwloc.h>

/*
 * The process-wide topology, loading it when this is the first call (thread-safe).
 * NULL when hwloc could not load it; the next call tries again.
 * The topology must not be modified by callers.
 */
hwloc_topology_t umf_topology_get(void);
#endif

/* True when umf_topology_get() would return a topology (loads it if needed); false without hwloc. */
int umf_topology_available(void);

/*
 * pthread_atfork prepare hook: loads the topology in the parent so a child
 * inherits it and never has to load it after fork.
 */
void umf_topology_prefork(void);

/* Frees the topology (umfTearDown). A later umf_topology_get() loads it again. */
void umf_topology_fini(void);

#endif
