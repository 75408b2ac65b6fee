/*
 * NUMA modes of the OS memory provider: the kernel's memory policy of every
 * page (get_mempolicy) and the node each touched page landed on, for every
 * mode on the first NUMA node; and hwloc topology failure in a child process.
 */
#include <linux/mempolicy.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/memory_provider.h>
#include <umf/providers/provider_os_memory.h>

#include "provider_os_test.h"
#include "test_common.h"

static size_t page;
static int have_hwloc; /* without hwloc only DEFAULT and LOCAL exist, and LOCAL binds nothing */
static unsigned first_node; /* the first online NUMA node (0 on almost every machine) */

static unsigned read_first_node(void) {
    FILE *f = fopen("/sys/devices/system/node/online", "r");
    unsigned n = 0;
    if (f) {
        if (fscanf(f, "%u", &n) != 1) {
            n = 0;
        }
        fclose(f);
    }
    return n;
}

/* The policy of the page at addr: mode and the first word of its node mask. */
static int policy_at(void *addr, int *mode, unsigned long *mask) {
    unsigned long m[16] = {0};
    int md = -1;
    if (syscall(SYS_get_mempolicy, &md, m, sizeof(m) * 8, addr, MPOL_F_ADDR) != 0) {
        return -1;
    }
    *mode = md;
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

typedef struct numa_case_t {
    const char *what;
    umf_numa_mode_t mode;
    unsigned list_len; /* 0 or 1 (the first node) */
    size_t part_size;
    umf_numa_split_partition_t *parts;
    unsigned parts_len;
    int want_mode;     /* MPOL_*; MPOL_PREFERRED also accepts MPOL_PREFERRED_MANY */
    int want_local;    /* mask is the node of the calling CPU rather than the listed one */
} numa_case_t;

static umf_memory_provider_handle_t numa_provider(const numa_case_t *c, umf_result_t *rc) {
    umf_os_memory_provider_params_handle_t p = NULL;
    CHECK_OK(umfOsMemoryProviderParamsCreate(&p));
    CHECK_OK(umfOsMemoryProviderParamsSetNumaMode(p, c->mode));
    CHECK_OK(umfOsMemoryProviderParamsSetNumaList(p, &first_node, c->list_len));
    CHECK_OK(umfOsMemoryProviderParamsSetPartSize(p, c->part_size));
    CHECK_OK(umfOsMemoryProviderParamsSetPartitions(p, c->parts, c->parts_len));
    umf_memory_provider_handle_t h = NULL;
    *rc = umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &h);
    umfOsMemoryProviderParamsDestroy(p);
    return h;
}

static int mode_matches(int got, int want) {
#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY 5
#endif
    if (want == MPOL_PREFERRED) {
        return got == MPOL_PREFERRED || got == MPOL_PREFERRED_MANY;
    }
    return got == want;
}

static int needs_hwloc(umf_numa_mode_t mode) { return mode != UMF_NUMA_MODE_DEFAULT && mode != UMF_NUMA_MODE_LOCAL; }

static void check_case(const numa_case_t *given, size_t size, size_t alignment) {
    numa_case_t local_copy = *given;
    const numa_case_t *c = &local_copy;
    umf_result_t rc;
    umf_memory_provider_handle_t h = numa_provider(c, &rc);
    if (!have_hwloc) {
        if (needs_hwloc(c->mode)) {
            CHECK_EQ(rc, UMF_RESULT_ERROR_NOT_SUPPORTED);
            CHECK(h == NULL);
            return;
        }
        local_copy.want_mode = MPOL_DEFAULT; /* LOCAL is the kernel's default then */
    }
    CHECK_OK(rc);
    if (!h) {
        fprintf(stderr, "  case %s: create failed\n", c->what);
        return;
    }
    unsigned char *ptr = NULL;
    CHECK_OK(umfMemoryProviderAlloc(h, size, alignment, (void **)&ptr));
    if (ptr) {
        unsigned cpu = 0, local = 0;
        getcpu(&cpu, &local);
        unsigned long want_mask = c->want_mode == MPOL_DEFAULT ? 0 : 1UL << (c->want_local ? local : first_node);
        int bad_mode = 0, bad_mask = 0, bad_node = 0, sys_err = 0;
        for (size_t off = 0; off < size; off += page) {
            ptr[off] = 1; /* place the page */
            int mode;
            unsigned long mask;
            if (policy_at(ptr + off, &mode, &mask) != 0) {
                sys_err++;
                continue;
            }
            bad_mode += !mode_matches(mode, c->want_mode);
            bad_mask += mask != want_mask;
            int node = node_at(ptr + off);
            bad_node += c->want_local ? node < 0 : node != (int)first_node;
        }
        if (sys_err || bad_mode || bad_mask || bad_node) {
            fprintf(stderr, "  case %s (size %zu, alignment %zu): %d syscall errors, %d modes, %d masks, %d nodes wrong\n",
                    c->what, size, alignment, sys_err, bad_mode, bad_mask, bad_node);
        }
        CHECK_EQ(sys_err, 0);
        CHECK_EQ(bad_mode, 0);
        CHECK_EQ(bad_mask, 0);
        CHECK_EQ(bad_node, 0);
        CHECK_OK(umfMemoryProviderFree(h, ptr, size));
    }
    CHECK_OK(umfMemoryProviderDestroy(h));
}

static umf_numa_split_partition_t split_parts[3];

static numa_case_t cases[] = {
    {"default", UMF_NUMA_MODE_DEFAULT, 0, 0, NULL, 0, MPOL_DEFAULT, 0},
    {"bind", UMF_NUMA_MODE_BIND, 1, 0, NULL, 0, MPOL_BIND, 0},
    {"interleave", UMF_NUMA_MODE_INTERLEAVE, 1, 0, NULL, 0, MPOL_INTERLEAVE, 0},
    {"interleave parts of 3 pages", UMF_NUMA_MODE_INTERLEAVE, 1, 3 * 4096, NULL, 0, MPOL_BIND, 0},
    {"interleave parts of 5000 bytes", UMF_NUMA_MODE_INTERLEAVE, 1, 5000, NULL, 0, MPOL_BIND, 0},
    {"preferred", UMF_NUMA_MODE_PREFERRED, 1, 0, NULL, 0, MPOL_PREFERRED, 0},
    {"preferred without nodes", UMF_NUMA_MODE_PREFERRED, 0, 0, NULL, 0, MPOL_PREFERRED, 1},
    {"split, equal shares", UMF_NUMA_MODE_SPLIT, 1, 0, NULL, 0, MPOL_PREFERRED, 0},
    {"split, weighted shares", UMF_NUMA_MODE_SPLIT, 1, 0, split_parts, 3, MPOL_PREFERRED, 0},
    {"local", UMF_NUMA_MODE_LOCAL, 0, 0, NULL, 0, MPOL_PREFERRED, 1},
};

static void test_modes(void) {
    split_parts[0] = (umf_numa_split_partition_t){1, first_node};
    split_parts[1] = (umf_numa_split_partition_t){3, first_node};
    split_parts[2] = (umf_numa_split_partition_t){2, first_node};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_case(&cases[i], 16 * page, 0);
        check_case(&cases[i], 7 * page + 5, 0);
        check_case(&cases[i], page, 0); /* fewer pages than split shares */
        check_case(&cases[i], 5 * page, 1 << 21);
    }
}

/* Every listed NUMA node must exist; a node that does not is INVALID_ARGUMENT, in every mode. */
static void test_missing_node(void) {
    unsigned list[2] = {first_node, 1u << 20};
    umf_numa_mode_t modes[] = {UMF_NUMA_MODE_BIND, UMF_NUMA_MODE_INTERLEAVE, UMF_NUMA_MODE_PREFERRED,
                               UMF_NUMA_MODE_SPLIT};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        umf_os_memory_provider_params_handle_t p = NULL;
        CHECK_OK(umfOsMemoryProviderParamsCreate(&p));
        CHECK_OK(umfOsMemoryProviderParamsSetNumaMode(p, modes[i]));
        CHECK_OK(umfOsMemoryProviderParamsSetNumaList(p, list, 2));
        umf_memory_provider_handle_t h = NULL;
        CHECK_EQ(umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &h),
                 have_hwloc ? UMF_RESULT_ERROR_INVALID_ARGUMENT : UMF_RESULT_ERROR_NOT_SUPPORTED);
        CHECK(h == NULL);
        umfOsMemoryProviderParamsDestroy(p);
    }
}

static void *numa_thread(void *arg) {
    umf_memory_provider_handle_t h = arg;
    intptr_t failures = 0;
    for (int i = 0; i < 300; i++) {
        size_t size = (size_t)(1 + i % 9) * page;
        unsigned char *ptr = NULL;
        if (umfMemoryProviderAlloc(h, size, 0, (void **)&ptr) != UMF_RESULT_SUCCESS || !ptr) {
            failures++;
            continue;
        }
        ptr[0] = ptr[size - 1] = (unsigned char)i;
        failures += node_at(ptr) != (int)first_node;
        failures += umfMemoryProviderFree(h, ptr, size) != UMF_RESULT_SUCCESS;
    }
    return (void *)failures;
}

static void test_threads(void) {
    numa_case_t c = {"interleave parts", UMF_NUMA_MODE_INTERLEAVE, 1, 2 * 4096, NULL, 0, MPOL_BIND, 0};
    umf_result_t rc;
    umf_memory_provider_handle_t h = numa_provider(&c, &rc);
    CHECK_EQ(rc, have_hwloc ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_NOT_SUPPORTED);
    if (!have_hwloc) {
        return;
    }
    REQUIRE(h != NULL);
    pthread_t t[6];
    for (int i = 0; i < 6; i++) {
        CHECK(pthread_create(&t[i], NULL, numa_thread, h) == 0);
    }
    intptr_t failures = 0;
    for (int i = 0; i < 6; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        failures += (intptr_t)r;
    }
    CHECK_EQ(failures, 0);
    CHECK_OK(umfMemoryProviderDestroy(h));
}

/* Run in a child whose hwloc cannot discover anything: NUMA modes fail with the topology code. */
static int topo_fail_child(void) {
    const umf_memory_provider_ops_t *ops = umfOsMemoryProviderOps();
    umf_os_memory_provider_params_handle_t p = NULL;
    CHECK_OK(umfOsMemoryProviderParamsCreate(&p));
    void *priv = NULL;
    /* DEFAULT needs no topology */
    CHECK_OK(ops->initialize(p, &priv));
    if (priv) {
        ops->finalize(priv);
    }
    CHECK_OK(umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_BIND));
    CHECK_OK(umfOsMemoryProviderParamsSetNumaList(p, &first_node, 1));
    priv = NULL;
    umf_memory_provider_handle_t h = NULL;
    if (have_hwloc) {
        CHECK_EQ(ops->initialize(p, &priv), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
        const char *msg = NULL;
        int32_t code = 0;
        CHECK_OK(ops->get_last_native_error(NULL, &msg, &code));
        CHECK_EQ(code, UMF_OS_RESULT_ERROR_TOPO_DISCOVERY_FAILED);
        CHECK(msg && strstr(msg, "topology") != NULL);
        CHECK_EQ(umfMemoryProviderCreate(ops, p, &h), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    } else {
        CHECK_EQ(umfMemoryProviderCreate(ops, p, &h), UMF_RESULT_ERROR_NOT_SUPPORTED);
    }
    CHECK_OK(umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_LOCAL));
    CHECK_OK(umfOsMemoryProviderParamsSetNumaList(p, NULL, 0));
    CHECK_EQ(umfMemoryProviderCreate(ops, p, &h),
             have_hwloc ? UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC : UMF_RESULT_SUCCESS);
    if (!have_hwloc) {
        CHECK_OK(umfMemoryProviderDestroy(h));
    }
    umfOsMemoryProviderParamsDestroy(p);
    return TEST_SUMMARY();
}

/* In a fresh process: threads race to load the topology first; all must get a working provider (hwloc builds). */
static pthread_barrier_t race_barrier;

static void *race_create(void *arg) {
    (void)arg;
    numa_case_t c = {"bind", UMF_NUMA_MODE_BIND, 1, 0, NULL, 0, MPOL_BIND, 0};
    pthread_barrier_wait(&race_barrier);
    umf_result_t rc;
    umf_memory_provider_handle_t h = numa_provider(&c, &rc);
    intptr_t bad = rc != (have_hwloc ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_NOT_SUPPORTED);
    if (h) {
        unsigned char *ptr = NULL;
        bad += umfMemoryProviderAlloc(h, 4 * page, 0, (void **)&ptr) != UMF_RESULT_SUCCESS;
        if (ptr) {
            int mode;
            unsigned long mask;
            ptr[0] = 1;
            bad += policy_at(ptr, &mode, &mask) != 0 || mode != MPOL_BIND || mask != 1UL << first_node;
            bad += umfMemoryProviderFree(h, ptr, 4 * page) != UMF_RESULT_SUCCESS;
        }
        bad += umfMemoryProviderDestroy(h) != UMF_RESULT_SUCCESS;
    }
    return (void *)bad;
}

static int topology_race_child(void) {
    enum { N = 8 };
    pthread_t t[N];
    pthread_barrier_init(&race_barrier, NULL, N);
    for (int i = 0; i < N; i++) {
        CHECK(pthread_create(&t[i], NULL, race_create, NULL) == 0);
    }
    intptr_t bad = 0;
    for (int i = 0; i < N; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        bad += (intptr_t)r;
    }
    CHECK_EQ(bad, 0);
    /* the last umfTearDown frees the topology; the next provider loads it again */
    CHECK_OK(umfTearDown());
    CHECK_OK(umfInit());
    pthread_barrier_destroy(&race_barrier);
    pthread_barrier_init(&race_barrier, NULL, 1);
    CHECK_EQ((intptr_t)race_create(NULL), 0);
    return TEST_SUMMARY();
}

/* Runs this program again with one argument and an environment; returns its wait status. */
static int rerun_self(const char *arg, char **envp) {
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"provider_os_numa", (char *)arg, NULL};
        execve("/proc/self/exe", argv, envp);
        _exit(127);
    }
    int st = 0;
    return waitpid(pid, &st, 0) == pid ? st : -1;
}

static void test_topology_race(void) {
    char *envp[] = {NULL};
    int st = rerun_self("--topology-race-child", envp);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_topology_failure(void) {
    char *envp[] = {"HWLOC_COMPONENTS=-linux,-x86,-no_os", NULL};
    int st = rerun_self("--topo-fail-child", envp);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv) {
    page = (size_t)sysconf(_SC_PAGESIZE);
    first_node = read_first_node();
    have_hwloc = os_test_umf_has_hwloc();
    if (argc > 1 && strcmp(argv[1], "--topo-fail-child") == 0) {
        return topo_fail_child();
    }
    if (argc > 1 && strcmp(argv[1], "--topology-race-child") == 0) {
        return topology_race_child();
    }
    RUN_TEST(test_modes);
    RUN_TEST(test_missing_node);
    RUN_TEST(test_threads);
    RUN_TEST(test_topology_race);
    RUN_TEST(test_topology_failure);
    return TEST_SUMMARY();
}
