/*
 * The predefined memspaces, filters and providers on fake machines: hwloc XML topologies
 * (test/fixtures/topology, described in its README) given through HWLOC_XMLFILE. A full
 * umfTearDown drops the topology and the predefined memspaces, so each fixture is loaded
 * fresh after setenv + umfInit. Placement cannot be checked here: binding to fake nodes
 * does nothing (memspace.c checks pages on the real node).
 */
#include <stdint.h>
#include <stdlib.h>

#include <umf/experimental/memspace.h>

#include "provider_os_test.h"
#include "test_common.h"

#define GiB ((size_t)1 << 30)

static int have_hwloc;

static void use_topology(const char *file) {
    CHECK_OK(umfTearDown());
    if (file) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", UMF_TEST_TOPOLOGY_DIR, file);
        setenv("HWLOC_XMLFILE", path, 1);
    } else {
        unsetenv("HWLOC_XMLFILE");
    }
    CHECK_OK(umfInit());
}

/* Checks that ms lists exactly the node ids of want (n of them, -1 ends), in that order; NULL ms for n < 0. */
static void check_ids(umf_const_memspace_handle_t ms, const int *want, int n, const char *what) {
    if (n < 0) {
        if (ms != NULL) {
            fprintf(stderr, "  %s: expected NULL\n", what);
        }
        CHECK(ms == NULL);
        return;
    }
    if (ms == NULL) {
        fprintf(stderr, "  %s: NULL\n", what);
    }
    REQUIRE(ms != NULL);
    CHECK_EQ(umfMemspaceMemtargetNum(ms), n);
    for (int i = 0; i < n && i < (int)umfMemspaceMemtargetNum(ms); i++) {
        unsigned id = UINT32_MAX;
        CHECK_OK(umfMemtargetGetId(umfMemspaceMemtargetGet(ms, (unsigned)i), &id));
        if ((int)id != want[i]) {
            fprintf(stderr, "  %s: target %d is node %u, want %d\n", what, i, id, want[i]);
        }
        CHECK_EQ(id, want[i]);
    }
}

static size_t capacity_of(umf_const_memspace_handle_t ms, unsigned i) {
    size_t c = 0;
    CHECK_OK(umfMemtargetGetCapacity(umfMemspaceMemtargetGet(ms, i), &c));
    return c;
}

/* No memory attributes at all: bandwidth and latency memspaces are NULL, as in UMF without HMAT. */
static void test_fake_two_nodes(void) {
    use_topology("two-nodes.xml");
    check_ids(umfMemspaceHostAllGet(), (int[]){0, 1}, 2, "HostAll");
    check_ids(umfMemspaceHighestCapacityGet(), (int[]){1, 0}, 2, "HighestCapacity");
    check_ids(umfMemspaceHighestBandwidthGet(), NULL, -1, "HighestBandwidth");
    check_ids(umfMemspaceLowestLatencyGet(), NULL, -1, "LowestLatency");
    umf_const_memspace_handle_t all = umfMemspaceHostAllGet();
    REQUIRE(all != NULL);
    CHECK_EQ(capacity_of(all, 0), 4 * GiB);
    CHECK_EQ(capacity_of(all, 1), 8 * GiB);

    /* filters on a clone: by capacity keeps the 8 GiB node; a memspace of both nodes from an array */
    umf_memspace_handle_t ms = NULL;
    CHECK_OK(umfMemspaceClone(all, &ms));
    CHECK_OK(umfMemspaceFilterByCapacity(ms, (int64_t)(4 * GiB + 1)));
    check_ids(ms, (int[]){1}, 1, "filtered by capacity");
    CHECK_OK(umfMemspaceDestroy(ms));
    unsigned ids[] = {1, 0};
    CHECK_OK(umfMemspaceCreateFromNumaArray(ids, 2, &ms));
    check_ids(ms, (int[]){1, 0}, 2, "from array, in the given order");
    unsigned keep = 0;
    CHECK_OK(umfMemspaceFilterById(ms, &keep, 1));
    check_ids(ms, (int[]){0}, 1, "filtered by id");
    CHECK_OK(umfMemspaceDestroy(ms));
    unsigned missing = 2;
    CHECK_RESULT(umfMemspaceCreateFromNumaArray(&missing, 1, &ms), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    /* providers from the memspaces are created (binding to fake nodes succeeds without effect) */
    umf_memory_provider_handle_t prov = NULL;
    CHECK_OK(umfMemoryProviderCreateFromMemspace(umfMemspaceHighestCapacityGet(), NULL, &prov));
    REQUIRE(prov != NULL);
    void *p = NULL;
    CHECK_OK(umfMemoryProviderAlloc(prov, 4096, 0, &p));
    CHECK(p != NULL);
    CHECK_OK(umfMemoryProviderFree(prov, p, 4096));
    umfMemoryProviderDestroy(prov);
}

/* One package, a near DRAM node and a bigger, faster, farther node: bandwidth and latency pick differently. */
static void test_fake_two_tiers(void) {
    use_topology("two-tiers.xml");
    check_ids(umfMemspaceHostAllGet(), (int[]){0, 1}, 2, "HostAll");
    check_ids(umfMemspaceHighestCapacityGet(), (int[]){1, 0}, 2, "HighestCapacity");
    check_ids(umfMemspaceHighestBandwidthGet(), (int[]){1}, 1, "HighestBandwidth");
    check_ids(umfMemspaceLowestLatencyGet(), (int[]){0}, 1, "LowestLatency");
    umf_const_memspace_handle_t bw = umfMemspaceHighestBandwidthGet();
    REQUIRE(bw != NULL);
    CHECK_EQ(capacity_of(bw, 0), 8 * GiB);
    /* a pool from the bandwidth memspace works and its memory is usable */
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreateFromMemspace(bw, NULL, &pool));
    REQUIRE(pool != NULL);
    char *s = umfPoolMalloc(pool, 100);
    REQUIRE(s != NULL);
    memset(s, 1, 100);
    CHECK_OK(umfPoolFree(pool, s));
    CHECK_OK(umfPoolDestroy(pool));
}

/* A CPU-less high-bandwidth node on the machine: UMF 1.1 gives NULL; here it wins bandwidth and loses latency. */
static void test_fake_cpuless_hbm(void) {
    use_topology("three-nodes-hbm.xml");
    check_ids(umfMemspaceHostAllGet(), (int[]){0, 1, 2}, 3, "HostAll");
    check_ids(umfMemspaceHighestCapacityGet(), (int[]){0, 1, 2}, 3, "HighestCapacity (ties in node order)");
    check_ids(umfMemspaceHighestBandwidthGet(), (int[]){2}, 1, "HighestBandwidth");
    check_ids(umfMemspaceLowestLatencyGet(), (int[]){0, 1}, 2, "LowestLatency");
}

/* Node 1 has no memory attributes: its CPUs pick nothing; node 0 stays. */
static void test_fake_node_without_memattr(void) {
    use_topology("node1-no-memattr.xml");
    check_ids(umfMemspaceHostAllGet(), (int[]){0, 1}, 2, "HostAll");
    check_ids(umfMemspaceHighestBandwidthGet(), (int[]){0}, 1, "HighestBandwidth");
    check_ids(umfMemspaceLowestLatencyGet(), (int[]){0}, 1, "LowestLatency");
}

/* Back on the real machine after the fake ones: the predefined memspaces are rebuilt from it. */
static void test_back_to_real_machine(void) {
    use_topology(NULL);
    umf_const_memspace_handle_t all = umfMemspaceHostAllGet();
    REQUIRE(all != NULL);
    CHECK(umfMemspaceMemtargetNum(all) >= 1);
    CHECK(capacity_of(all, 0) != 4 * GiB && capacity_of(all, 0) != 8 * GiB);
}

int main(void) {
    have_hwloc = os_test_umf_has_hwloc();
    if (!have_hwloc) {
        /* without hwloc there is no topology to fake; the memspaces are simply absent */
        CHECK(umfMemspaceHostAllGet() == NULL);
        return TEST_SUMMARY();
    }
    RUN_TEST(test_fake_two_nodes);
    RUN_TEST(test_fake_two_tiers);
    RUN_TEST(test_fake_cpuless_hbm);
    RUN_TEST(test_fake_node_without_memattr);
    RUN_TEST(test_back_to_real_machine);
    return TEST_SUMMARY();
}
