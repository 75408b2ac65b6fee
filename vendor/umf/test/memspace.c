/*
 * Memspaces, memtargets and mempolicies on this machine's real topology: the API and its bad arguments,
 * the four predefined memspaces (shared, immutable, rebuilt after teardown, safe from many threads),
 * filters (all or nothing), and where the pages of providers and pools from a memspace really land
 * (the kernel's get_mempolicy view of each page).
 */
#include <linux/mempolicy.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <umf/experimental/memspace.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>

#include "provider_os_test.h"
#include "test_common.h"

static int have_hwloc;
static unsigned first_node; /* the first node HostAll lists */
static size_t page;

static int policy_at(void *addr, int *mode, unsigned long *mask) {
    unsigned long m[16] = {0};
    if (syscall(SYS_get_mempolicy, mode, m, sizeof(m) * 8, addr, MPOL_F_ADDR) != 0) {
        return -1;
    }
    *mask = m[0];
    return 0;
}

static int node_at(void *addr) {
    int node = -1;
    if (syscall(SYS_get_mempolicy, &node, NULL, 0, addr, MPOL_F_ADDR | MPOL_F_NODE) != 0) {
        return -1;
    }
    return node;
}

static unsigned target_id(umf_const_memspace_handle_t ms, unsigned i) {
    unsigned id = UINT32_MAX;
    CHECK_OK(umfMemtargetGetId(umfMemspaceMemtargetGet(ms, i), &id));
    return id;
}

static void test_without_hwloc(void) {
    if (have_hwloc) {
        return;
    }
    unsigned id = 0;
    umf_memspace_handle_t ms = NULL;
    CHECK(umfMemspaceHostAllGet() == NULL);
    CHECK(umfMemspaceHighestCapacityGet() == NULL);
    CHECK_RESULT(umfMemspaceCreateFromNumaArray(&id, 1, &ms), UMF_RESULT_ERROR_NOT_SUPPORTED);
}

static void test_host_all(void) {
    if (!have_hwloc) {
        return;
    }
    umf_const_memspace_handle_t all = umfMemspaceHostAllGet();
    REQUIRE(all != NULL);
    CHECK(umfMemspaceHostAllGet() == all); /* built once, shared */
    size_t n = umfMemspaceMemtargetNum(all);
    CHECK(n >= 1);
    long online = sysconf(_SC_NPROCESSORS_CONF);
    CHECK(online >= 1);
    for (unsigned i = 0; i < n; i++) {
        umf_const_memtarget_handle_t t = umfMemspaceMemtargetGet(all, i);
        REQUIRE(t != NULL);
        umf_memtarget_type_t type = UMF_MEMTARGET_TYPE_UNKNOWN;
        size_t capacity = 0;
        CHECK_OK(umfMemtargetGetType(t, &type));
        CHECK_EQ(type, UMF_MEMTARGET_TYPE_NUMA);
        CHECK_OK(umfMemtargetGetCapacity(t, &capacity));
        /* without sysfs (a chroot, some containers) hwloc knows no node sizes and reports 0 */
        if (access("/sys/devices/system/node", F_OK) == 0) {
            CHECK(capacity > 0);
        } else {
            CHECK_EQ(capacity, 0);
        }
        if (i > 0) {
            CHECK(target_id(all, i - 1) < target_id(all, i)); /* OS index order */
        }
    }
    CHECK(umfMemspaceMemtargetGet(all, (unsigned)n) == NULL);
    /* the predefined memspaces refuse every change */
    umf_memspace_handle_t cheat = (umf_memspace_handle_t)all;
    unsigned id = first_node;
    CHECK_RESULT(umfMemspaceDestroy(cheat), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceMemtargetRemove(cheat, umfMemspaceMemtargetGet(all, 0)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceMemtargetAdd(cheat, umfMemspaceMemtargetGet(all, 0)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceFilterById(cheat, &id, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceFilterByCapacity(cheat, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemspaceMemtargetNum(all), n);
    /* HighestCapacity holds the same nodes, largest first */
    umf_const_memspace_handle_t cap = umfMemspaceHighestCapacityGet();
    REQUIRE(cap != NULL);
    CHECK_EQ(umfMemspaceMemtargetNum(cap), n);
    for (unsigned i = 1; i < n; i++) {
        size_t a = 0, b = 0;
        CHECK_OK(umfMemtargetGetCapacity(umfMemspaceMemtargetGet(cap, i - 1), &a));
        CHECK_OK(umfMemtargetGetCapacity(umfMemspaceMemtargetGet(cap, i), &b));
        CHECK(a >= b);
    }
}

static void test_build_and_change(void) {
    if (!have_hwloc) {
        return;
    }
    umf_memspace_handle_t ms = NULL;
    CHECK_OK(umfMemspaceCreateFromNumaArray(&first_node, 1, &ms));
    REQUIRE(ms != NULL);
    CHECK_EQ(umfMemspaceMemtargetNum(ms), 1);
    CHECK_EQ(target_id(ms, 0), first_node);
    umf_const_memtarget_handle_t t = umfMemspaceMemtargetGet(ms, 0);
    CHECK_RESULT(umfMemspaceMemtargetAdd(ms, t), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* already there */

    umf_memspace_handle_t copy = NULL;
    CHECK_OK(umfMemspaceClone(ms, &copy));
    REQUIRE(copy != NULL);
    CHECK(umfMemspaceMemtargetGet(copy, 0) != t); /* a copy, not the same target */
    CHECK_OK(umfMemspaceMemtargetRemove(ms, t)); /* the handle of the removed target itself */
    CHECK_EQ(umfMemspaceMemtargetNum(ms), 0);
    CHECK_RESULT(umfMemspaceMemtargetRemove(ms, umfMemspaceMemtargetGet(copy, 0)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemspaceMemtargetAdd(ms, umfMemspaceMemtargetGet(copy, 0)));
    CHECK_EQ(target_id(ms, 0), first_node);
    CHECK_OK(umfMemspaceDestroy(copy));
    CHECK_OK(umfMemspaceDestroy(ms));

    /* a changeable clone of a predefined memspace */
    CHECK_OK(umfMemspaceClone(umfMemspaceHostAllGet(), &copy));
    CHECK_EQ(umfMemspaceMemtargetNum(copy), umfMemspaceMemtargetNum(umfMemspaceHostAllGet()));
    CHECK_OK(umfMemspaceMemtargetRemove(copy, umfMemspaceMemtargetGet(copy, 0)));
    CHECK_EQ(umfMemspaceMemtargetNum(copy) + 1, umfMemspaceMemtargetNum(umfMemspaceHostAllGet()));
    CHECK_OK(umfMemspaceDestroy(copy));

    /* an empty one, filled by hand */
    CHECK_OK(umfMemspaceNew(&ms));
    CHECK_EQ(umfMemspaceMemtargetNum(ms), 0);
    CHECK(umfMemspaceMemtargetGet(ms, 0) == NULL);
    CHECK_OK(umfMemspaceMemtargetAdd(ms, umfMemspaceMemtargetGet(umfMemspaceHostAllGet(), 0)));
    CHECK_EQ(umfMemspaceMemtargetNum(ms), 1);
    CHECK_OK(umfMemspaceDestroy(ms));
}

static void test_bad_arguments(void) {
    umf_memspace_handle_t ms = NULL;
    unsigned id = first_node;
    unsigned missing = 4095; /* no machine here has that many nodes */
    umf_memtarget_type_t type;
    size_t size;
    umf_mempolicy_handle_t pol = NULL;
    umf_mempolicy_split_partition_t part = {1, first_node};
    umf_memory_provider_handle_t prov = NULL;
    umf_memory_pool_handle_t pool = NULL;

    CHECK_RESULT(umfMemspaceCreateFromNumaArray(NULL, 1, &ms), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceCreateFromNumaArray(&id, 0, &ms), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceCreateFromNumaArray(&id, 1, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (have_hwloc) {
        unsigned twice[2] = {first_node, first_node};
        CHECK_RESULT(umfMemspaceCreateFromNumaArray(&missing, 1, &ms), UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK_RESULT(umfMemspaceCreateFromNumaArray(twice, 2, &ms), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    }
    CHECK(ms == NULL);
    CHECK_RESULT(umfMemspaceNew(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceDestroy(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_EQ(umfMemspaceMemtargetNum(NULL), 0);
    CHECK(umfMemspaceMemtargetGet(NULL, 0) == NULL);
    CHECK_RESULT(umfMemspaceClone(NULL, &ms), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemtargetGetType(NULL, &type), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemtargetGetCapacity(NULL, &size), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemtargetGetId(NULL, &id), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    CHECK_OK(umfMemspaceNew(&ms));
    REQUIRE(ms != NULL);
    CHECK_RESULT(umfMemspaceClone(ms, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceMemtargetAdd(ms, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceMemtargetAdd(NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceMemtargetRemove(ms, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceFilterById(ms, NULL, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceFilterById(ms, &id, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceFilterById(NULL, &id, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceFilterByCapacity(ms, -1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceFilterByCapacity(NULL, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemspaceUserFilter(ms, NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* an empty memspace gives no provider and no pool */
    CHECK_RESULT(umfMemoryProviderCreateFromMemspace(ms, NULL, &prov), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolCreateFromMemspace(ms, NULL, &pool), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMemoryProviderCreateFromMemspace(NULL, NULL, &prov), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfPoolCreateFromMemspace(NULL, NULL, &pool), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (have_hwloc) {
        umf_memspace_handle_t one = NULL;
        CHECK_OK(umfMemspaceCreateFromNumaArray(&first_node, 1, &one));
        CHECK_RESULT(umfMemoryProviderCreateFromMemspace(one, NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK_RESULT(umfPoolCreateFromMemspace(one, NULL, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
        /* a split share on a node outside the memspace, and one of weight 0: the OS provider refuses both */
        CHECK_OK(umfMempolicyCreate(UMF_MEMPOLICY_SPLIT, &pol));
        umf_mempolicy_split_partition_t outside = {1, missing}, weightless = {0, first_node};
        CHECK_OK(umfMempolicySetCustomSplitPartitions(pol, &outside, 1));
        CHECK_RESULT(umfMemoryProviderCreateFromMemspace(one, pol, &prov), UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK_OK(umfMempolicySetCustomSplitPartitions(pol, &weightless, 1));
        CHECK_RESULT(umfPoolCreateFromMemspace(one, pol, &pool), UMF_RESULT_ERROR_INVALID_ARGUMENT);
        CHECK_OK(umfMempolicyDestroy(pol));
        CHECK_OK(umfMemspaceDestroy(one));
    }
    CHECK(prov == NULL && pool == NULL);
    CHECK_OK(umfMemspaceDestroy(ms));

    CHECK_RESULT(umfMempolicyCreate(UMF_MEMPOLICY_BIND, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMempolicyCreate((umf_mempolicy_membind_t)4, &pol), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMempolicyCreate((umf_mempolicy_membind_t)-1, &pol), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMempolicyDestroy(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMempolicySetInterleavePartSize(NULL, 4096), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMempolicySetCustomSplitPartitions(NULL, &part, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMempolicyCreate(UMF_MEMPOLICY_BIND, &pol));
    CHECK_RESULT(umfMempolicySetInterleavePartSize(pol, 4096), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* not interleave */
    CHECK_RESULT(umfMempolicySetCustomSplitPartitions(pol, &part, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT); /* not split */
    CHECK_OK(umfMempolicyDestroy(pol));
    CHECK_OK(umfMempolicyCreate(UMF_MEMPOLICY_SPLIT, &pol));
    CHECK_RESULT(umfMempolicySetCustomSplitPartitions(pol, NULL, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfMempolicySetCustomSplitPartitions(pol, &part, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMempolicySetCustomSplitPartitions(pol, &part, 1));
    CHECK_OK(umfMempolicyDestroy(pol));
}

static int fail_on_second(umf_const_memspace_handle_t ms, umf_const_memtarget_handle_t t, void *args) {
    int *calls = args;
    return ++*calls == 2 ? -1 : 0;
}

static int keep_first_node(umf_const_memspace_handle_t ms, umf_const_memtarget_handle_t t, void *args) {
    unsigned id;
    if (umfMemtargetGetId(t, &id) != UMF_RESULT_SUCCESS) {
        return -1;
    }
    return id == *(unsigned *)args;
}

static void test_filters(void) {
    if (!have_hwloc) {
        return;
    }
    umf_memspace_handle_t ms = NULL;
    size_t capacity = 0;
    CHECK_OK(umfMemtargetGetCapacity(umfMemspaceMemtargetGet(umfMemspaceHostAllGet(), 0), &capacity));

    CHECK_OK(umfMemspaceClone(umfMemspaceHostAllGet(), &ms));
    size_t n = umfMemspaceMemtargetNum(ms);
    /* a user filter that fails on the second target removes nothing, not even the first */
    int calls = 0;
    if (n >= 2) {
        CHECK_RESULT(umfMemspaceUserFilter(ms, fail_on_second, &calls), UMF_RESULT_ERROR_USER_SPECIFIC);
        CHECK_EQ(umfMemspaceMemtargetNum(ms), n);
    }
    unsigned keep = first_node;
    CHECK_OK(umfMemspaceUserFilter(ms, keep_first_node, &keep));
    CHECK_EQ(umfMemspaceMemtargetNum(ms), 1);
    CHECK_EQ(target_id(ms, 0), first_node);
    /* capacity: exactly the node's size keeps it, one byte more empties the memspace (still SUCCESS) */
    CHECK_OK(umfMemspaceFilterByCapacity(ms, (int64_t)capacity));
    CHECK_EQ(umfMemspaceMemtargetNum(ms), 1);
    CHECK_OK(umfMemspaceFilterByCapacity(ms, (int64_t)capacity + 1));
    CHECK_EQ(umfMemspaceMemtargetNum(ms), 0);
    umf_memory_provider_handle_t prov = NULL;
    CHECK_RESULT(umfMemoryProviderCreateFromMemspace(ms, NULL, &prov), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfMemspaceDestroy(ms));

    /* by id: an id that is not there empties it; the right one keeps it */
    CHECK_OK(umfMemspaceCreateFromNumaArray(&first_node, 1, &ms));
    unsigned other = first_node + 1;
    CHECK_OK(umfMemspaceFilterById(ms, &keep, 1));
    CHECK_EQ(umfMemspaceMemtargetNum(ms), 1);
    CHECK_OK(umfMemspaceFilterById(ms, &other, 1));
    CHECK_EQ(umfMemspaceMemtargetNum(ms), 0);
    /* a user filter that always fails on an empty memspace is never called */
    calls = 1;
    CHECK_OK(umfMemspaceUserFilter(ms, fail_on_second, &calls));
    CHECK_EQ(calls, 1);
    CHECK_OK(umfMemspaceDestroy(ms));
}

/* Allocates from the provider, touches every page and checks its kernel policy (mode, mask) and node. */
static void check_pages(umf_memory_provider_handle_t prov, int want_mode, const char *what) {
    size_t size = 16 * page;
    unsigned char *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(prov, size, 0, (void **)&ptr));
    REQUIRE(ptr != NULL);
    unsigned long want_mask = want_mode == MPOL_DEFAULT ? 0 : 1UL << first_node;
    int bad = 0;
    for (size_t off = 0; off < size; off += page) {
        ptr[off] = 1;
        int mode = -1;
        unsigned long mask = 0;
        if (policy_at(ptr + off, &mode, &mask) != 0 || node_at(ptr + off) != (int)first_node) {
            bad++;
            continue;
        }
        if (want_mode == MPOL_PREFERRED) {
            bad += mode != MPOL_PREFERRED && mode != 5 /* MPOL_PREFERRED_MANY */;
        } else {
            bad += mode != want_mode;
        }
        bad += mask != want_mask;
    }
    if (bad) {
        fprintf(stderr, "  %s: %d pages wrong\n", what, bad);
    }
    CHECK_EQ(bad, 0);
    CHECK_OK(umfMemoryProviderFree(prov, ptr, size));
}

static void test_placement(void) {
    if (!have_hwloc) {
        return;
    }
    umf_memspace_handle_t one = NULL;
    CHECK_OK(umfMemspaceCreateFromNumaArray(&first_node, 1, &one));
    REQUIRE(one != NULL);
    umf_memory_provider_handle_t prov = NULL;

    /* no policy: a memspace of its own binds, HostAll leaves placement to the system */
    CHECK_OK(umfMemoryProviderCreateFromMemspace(one, NULL, &prov));
    REQUIRE(prov != NULL);
    check_pages(prov, MPOL_BIND, "own memspace, no policy");
    umfMemoryProviderDestroy(prov);
    CHECK_OK(umfMemoryProviderCreateFromMemspace(umfMemspaceHostAllGet(), NULL, &prov));
    REQUIRE(prov != NULL);
    check_pages(prov, MPOL_DEFAULT, "HostAll, no policy");
    umfMemoryProviderDestroy(prov);
    CHECK_OK(umfMemoryProviderCreateFromMemspace(umfMemspaceHighestCapacityGet(), NULL, &prov));
    REQUIRE(prov != NULL);
    check_pages(prov, MPOL_BIND, "HighestCapacity, no policy");
    umfMemoryProviderDestroy(prov);

    static const struct {
        umf_mempolicy_membind_t bind;
        int mode;
        const char *what;
    } cases[] = {
        {UMF_MEMPOLICY_BIND, MPOL_BIND, "bind"},
        {UMF_MEMPOLICY_INTERLEAVE, MPOL_INTERLEAVE, "interleave"},
        {UMF_MEMPOLICY_PREFERRED, MPOL_PREFERRED, "preferred"},
        /* split binds each share without MPOL_F_STRICT, which the kernel reports as preferred */
        {UMF_MEMPOLICY_SPLIT, MPOL_PREFERRED, "split"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        umf_mempolicy_handle_t pol = NULL;
        CHECK_OK(umfMempolicyCreate(cases[i].bind, &pol));
        CHECK_OK(umfMemoryProviderCreateFromMemspace(one, pol, &prov));
        REQUIRE(prov != NULL);
        check_pages(prov, cases[i].mode, cases[i].what);
        umfMemoryProviderDestroy(prov);
        CHECK_OK(umfMempolicyDestroy(pol)); /* the provider does not need the policy afterwards */
    }
    /* interleave by parts of two pages: the OS provider binds each part itself */
    umf_mempolicy_handle_t pol = NULL;
    CHECK_OK(umfMempolicyCreate(UMF_MEMPOLICY_INTERLEAVE, &pol));
    CHECK_OK(umfMempolicySetInterleavePartSize(pol, 2 * page));
    CHECK_OK(umfMemoryProviderCreateFromMemspace(one, pol, &prov));
    REQUIRE(prov != NULL);
    check_pages(prov, MPOL_BIND, "interleave by parts");
    umfMemoryProviderDestroy(prov);
    CHECK_OK(umfMempolicyDestroy(pol));
    umf_mempolicy_split_partition_t share = {3, first_node};
    CHECK_OK(umfMempolicyCreate(UMF_MEMPOLICY_SPLIT, &pol));
    CHECK_OK(umfMempolicySetCustomSplitPartitions(pol, &share, 1));
    CHECK_OK(umfMemoryProviderCreateFromMemspace(one, pol, &prov));
    REQUIRE(prov != NULL);
    check_pages(prov, MPOL_PREFERRED, "split with a share");
    umfMemoryProviderDestroy(prov);
    CHECK_OK(umfMempolicyDestroy(pol));

    /* a pool from the memspace: disjoint over the OS provider, owning it */
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreateFromMemspace(one, NULL, &pool));
    REQUIRE(pool != NULL);
    const char *name = NULL;
    CHECK_OK(umfPoolGetName(pool, &name));
    CHECK(name != NULL && strcmp(name, "disjoint") == 0);
    umf_memory_provider_handle_t inner = NULL;
    CHECK_OK(umfPoolGetMemoryProvider(pool, &inner));
    name = NULL;
    CHECK(inner != NULL && umfMemoryProviderGetName(inner, &name) == UMF_RESULT_SUCCESS);
    CHECK(name != NULL && strcmp(name, "OS") == 0);
    unsigned char *p = umfPoolMalloc(pool, 3 * page);
    REQUIRE(p != NULL);
    memset(p, 7, 3 * page);
    CHECK_EQ(node_at(p), first_node);
    int mode = -1;
    unsigned long mask = 0;
    CHECK_EQ(policy_at(p, &mode, &mask), 0);
    CHECK_EQ(mode, MPOL_BIND);
    CHECK_EQ(mask, 1UL << first_node);
    umf_memory_pool_handle_t owner = NULL;
    CHECK_OK(umfPoolByPtr(p, &owner));
    CHECK(owner == pool);
    CHECK_OK(umfFree(p));
    CHECK_OK(umfPoolDestroy(pool)); /* frees the provider too (ASan sees a leak otherwise) */
    CHECK_OK(umfMemspaceDestroy(one));
}

#define THREADS 8

typedef struct seen_t {
    umf_const_memspace_handle_t spaces[4];
} seen_t;

static pthread_barrier_t start;

static void *ask_all(void *arg) {
    seen_t *seen = arg;
    pthread_barrier_wait(&start);
    seen->spaces[0] = umfMemspaceHostAllGet();
    seen->spaces[1] = umfMemspaceHighestCapacityGet();
    seen->spaces[2] = umfMemspaceHighestBandwidthGet();
    seen->spaces[3] = umfMemspaceLowestLatencyGet();
    return NULL;
}

/* After a full teardown the predefined memspaces are built again; many threads asking at once get the same ones. */
static void test_threads_and_teardown(void) {
    CHECK_OK(umfTearDown()); /* the library's own init from load */
    CHECK_OK(umfInit());
    pthread_t threads[THREADS];
    seen_t seen[THREADS];
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        pthread_create(&threads[i], NULL, ask_all, &seen[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
    }
    pthread_barrier_destroy(&start);
    for (int i = 1; i < THREADS; i++) {
        for (int k = 0; k < 4; k++) {
            CHECK(seen[i].spaces[k] == seen[0].spaces[k]);
        }
    }
    CHECK((seen[0].spaces[0] != NULL) == (have_hwloc != 0));
    CHECK(seen[0].spaces[0] == umfMemspaceHostAllGet());
}

int main(void) {
    have_hwloc = os_test_umf_has_hwloc();
    page = (size_t)sysconf(_SC_PAGESIZE);
    if (have_hwloc && umfMemspaceHostAllGet() != NULL) {
        umfMemtargetGetId(umfMemspaceMemtargetGet(umfMemspaceHostAllGet(), 0), &first_node);
    }
    RUN_TEST(test_without_hwloc);
    RUN_TEST(test_host_all);
    RUN_TEST(test_build_and_change);
    RUN_TEST(test_bad_arguments);
    RUN_TEST(test_filters);
    RUN_TEST(test_placement);
    RUN_TEST(test_threads_and_teardown);
    return TEST_SUMMARY();
}
