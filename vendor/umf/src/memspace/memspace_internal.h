/*
 * What memtarget.c, memspace.c, mempolicy.c, predefined.c and from_memspace.c share.
 */
#ifndef UMF_INTERNAL_MEMSPACE_H
#define UMF_INTERNAL_MEMSPACE_H 1

#include <stdbool.h>
#include <stddef.h>

#include <umf/experimental/mempolicy.h>
#include <umf/experimental/memspace.h>
#include <umf/experimental/memtarget.h>

/* A memtarget is plain data (no hwloc pointer), so copies outlive the topology. */
struct umf_memtarget_t {
    umf_memtarget_type_t type;
    unsigned id;     /* NUMA node OS index */
    size_t capacity; /* bytes */
};

/* Targets are separate allocations so handles given out stay valid while others are removed. */
struct umf_memspace_t {
    struct umf_memtarget_t **targets;
    size_t len;
    size_t cap;
    bool predefined; /* shared and immutable: no add/remove/filter/destroy */
};

struct umf_mempolicy_t {
    umf_mempolicy_membind_t type;
    size_t part_size;                       /* INTERLEAVE */
    umf_mempolicy_split_partition_t *parts; /* SPLIT: our copy, or NULL for equal shares */
    size_t parts_len;
};

/* memtarget.c: a NUMA target for the node with this OS index (INVALID_ARGUMENT when it does not exist). */
umf_result_t umf_memtarget_numa_create(unsigned id, struct umf_memtarget_t **out);
bool umf_memtarget_equal(const struct umf_memtarget_t *a, const struct umf_memtarget_t *b);

/* memspace.c */
umf_result_t umf_memspace_alloc(struct umf_memspace_t **out);
/* Appends t, taking ownership of it (it is freed on failure too). */
umf_result_t umf_memspace_append(struct umf_memspace_t *ms, struct umf_memtarget_t *t);
void umf_memspace_free(struct umf_memspace_t *ms);

/* predefined.c: which predefined memspace this is, if any (the provider's default placement depends on it). */
bool umf_memspace_is_host_all(const struct umf_memspace_t *ms);
bool umf_memspace_is_highest_capacity(const struct umf_memspace_t *ms);
/* Releases the predefined memspaces (umfTearDown). */
void umf_memspace_predefined_fini(void);

#endif
