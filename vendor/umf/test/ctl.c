/* CTL: argument checks, the path grammar, the logger nodes, defaults and their order at create time,
 * by_name, ext_ctl dispatch to user pools and providers, UMF_CONF and UMF_CONF_FILE. */
#include <stdarg.h>
#include <unistd.h>

#include <umf/experimental/ctl.h>
#include <umf/memory_pool_ops.h>
#include <umf/memory_provider_ops.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_os_memory.h>

#include "test_common.h"

/* ------------------------------------------------------------------------- */
/* A provider and a pool that record the CTL queries they get                  */

static char g_events[2048];

static void note(const char *fmt, ...) {
    size_t n = strlen(g_events);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_events + n, sizeof(g_events) - n, fmt, ap);
    va_end(ap);
}

static test_provider_counters_t g_counters;

static umf_result_t rec_initialize(const void *params, void **provider) {
    note("init;");
    return test_counting_provider_ops()->initialize(params, provider);
}

static umf_result_t rec_get_name(void *provider, const char **name) {
    note(provider ? "name;" : "kind;");
    *name = "recorder";
    return UMF_RESULT_SUCCESS;
}

/* Answers "value" (int, read/write), "echo.{}" (reads an int argument), records everything else. */
static int g_value;
static umf_result_t rec_ctl(void *obj, umf_ctl_query_source_t source, const char *name, void *arg, size_t size,
                            umf_ctl_query_type_t type, va_list args) {
    note("ctl %d %d %s;", (int)source, (int)type, name);
    if (strcmp(name, "value") == 0) {
        if (size != sizeof(int)) {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        if (type == CTL_QUERY_WRITE) {
            memcpy(&g_value, arg, sizeof(int));
        } else if (type == CTL_QUERY_READ) {
            memcpy(arg, &g_value, sizeof(int));
        }
        return UMF_RESULT_SUCCESS;
    }
    if (strcmp(name, "echo.{}") == 0 && type == CTL_QUERY_READ && size == sizeof(int)) {
        int v = va_arg(args, int);
        memcpy(arg, &v, sizeof(int));
        return UMF_RESULT_SUCCESS;
    }
    if (strcmp(name, "post_initialize") == 0) {
        return UMF_RESULT_SUCCESS;
    }
    return UMF_RESULT_ERROR_INVALID_CTL_PATH;
}

static umf_memory_provider_ops_t rec_provider_ops(void) {
    umf_memory_provider_ops_t ops = *test_counting_provider_ops();
    ops.initialize = rec_initialize;
    ops.get_name = rec_get_name;
    ops.ext_ctl = rec_ctl;
    return ops;
}

/* A pool over the proxy pool's ops with the recorder's name and ext_ctl. */
static umf_result_t recpool_initialize(umf_memory_provider_handle_t provider, const void *params, void **pool) {
    note("init;");
    return umfProxyPoolOps()->initialize(provider, params, pool);
}

static const char *g_pool_name = "recpool";
static umf_result_t recpool_get_name(void *pool, const char **name) {
    note(pool ? "name;" : "kind;");
    *name = pool ? g_pool_name : "recpool";
    return UMF_RESULT_SUCCESS;
}

static umf_memory_pool_ops_t rec_pool_ops(void) {
    umf_memory_pool_ops_t ops = *umfProxyPoolOps();
    ops.initialize = recpool_initialize;
    ops.get_name = recpool_get_name;
    ops.ext_ctl = rec_ctl;
    return ops;
}

static umf_memory_provider_handle_t os_provider(void) {
    umf_memory_provider_handle_t h = NULL;
    umf_os_memory_provider_params_handle_t params = NULL;
    CHECK_OK(umfOsMemoryProviderParamsCreate(&params));
    CHECK_OK(umfMemoryProviderCreate(umfOsMemoryProviderOps(), params, &h));
    umfOsMemoryProviderParamsDestroy(params);
    return h;
}

/* ------------------------------------------------------------------------- */

static void test_arguments(void) {
    int v = 0;
    CHECK_RESULT(umfCtlGet(NULL, &v, sizeof(v)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlGet("umf.logger.level", NULL, sizeof(v)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlGet("umf.logger.level", &v, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlSet(NULL, &v, sizeof(v)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlSet("umf.logger.level", NULL, sizeof(v)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlSet("umf.logger.level", &v, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlExec(NULL, NULL, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlExec("umf.logger.level", &v, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlExec("umf.logger.level", NULL, 4), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* a runnable query of a value node */
    CHECK_RESULT(umfCtlExec("umf.logger.level", NULL, 0), UMF_RESULT_ERROR_NOT_SUPPORTED);
}

static void test_malformed_paths(void) {
    static const char *const bad[] = {
        "", "umf", "umf.logger", ".umf.logger.level", "umf..logger.level", "umf.logger.level.",
        "umf.logger.level.x", "UMF.logger.level", "umf.loggers.level", "umf.logger.nope", "x.y.z",
        "umf.pool", "umf.pool.by_handle", "umf.pool.by_handle.{}", "umf.pool.by_handle.12.stats.alloc_count",
        "umf.pool.by_id.{}.x", "umf.provider.by_name.OS.stats.allocated_memory", "umf.pool.default.disjoint",
        "umf.pool.by_name.x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int v = 0;
        umf_result_t rc = umfCtlGet(bad[i], &v, sizeof(v), (void *)&v);
        if (rc != UMF_RESULT_ERROR_INVALID_CTL_PATH) {
            fprintf(stderr, "  path \"%s\" gave %d\n", bad[i], rc);
        }
        CHECK_EQ(rc, UMF_RESULT_ERROR_INVALID_CTL_PATH);
    }
    char longpath[2048];
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[sizeof(longpath) - 1] = '\0';
    memcpy(longpath, "umf.logger.", 11);
    int v = 0;
    CHECK_RESULT(umfCtlGet(longpath, &v, sizeof(v)), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    char many[200] = "umf";
    for (int i = 0; i < 40; i++) {
        strcat(many, ".a");
    }
    CHECK_RESULT(umfCtlGet(many, &v, sizeof(v)), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    /* a NULL where {} wants a handle or a name */
    CHECK_RESULT(umfCtlGet("umf.pool.by_handle.{}.stats.alloc_count", &v, sizeof(v), (void *)NULL),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlGet("umf.provider.by_handle.{}.stats.allocated_memory", &v, sizeof(v), (void *)NULL),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlGet("umf.logger.{}", &v, sizeof(v), (const char *)NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlGet("umf.pool.by_name.{}.count", &v, sizeof(v), (const char *)NULL),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
}

static void test_logger(void) {
    int v = -1;
    CHECK_OK(umfCtlGet("umf.logger.level", &v, sizeof(v)));
    CHECK_EQ(v, 3); /* ERROR, UMF's default, also while logging is off */
    CHECK_OK(umfCtlGet("umf.logger.{}", &v, sizeof(v), "flush_level"));
    CHECK_EQ(v, 3);
    char out[300];
    CHECK_OK(umfCtlGet("umf.logger.output", out, sizeof(out)));
    CHECK(strcmp(out, "disabled") == 0);
    CHECK_RESULT(umfCtlGet("umf.logger.output", out, 4), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    for (int level = 0; level <= 4; level++) {
        CHECK_OK(umfCtlSet("umf.logger.level", &level, sizeof(level)));
        CHECK_OK(umfCtlGet("umf.logger.level", &v, sizeof(v)));
        CHECK_EQ(v, level);
    }
    int bad = 5;
    CHECK_RESULT(umfCtlSet("umf.logger.level", &bad, sizeof(bad)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    bad = -1;
    CHECK_RESULT(umfCtlSet("umf.logger.flush_level", &bad, sizeof(bad)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    size_t wide = 2;
    CHECK_RESULT(umfCtlSet("umf.logger.level", &wide, sizeof(wide)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlGet("umf.logger.level", &wide, sizeof(wide)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    int two = 2;
    CHECK_OK(umfCtlSet("umf.logger.flush_level", &two, sizeof(two)));
    CHECK_OK(umfCtlGet("umf.logger.flush_level", &v, sizeof(v)));
    CHECK_EQ(v, 2);

    /* timestamp and pid: an int used as a bool (a 1-byte bool is taken too) */
    int on = 7;
    CHECK_OK(umfCtlSet("umf.logger.timestamp", &on, sizeof(on)));
    CHECK_OK(umfCtlGet("umf.logger.timestamp", &v, sizeof(v)));
    CHECK_EQ(v, 1);
    bool b = true;
    CHECK_OK(umfCtlSet("umf.logger.pid", &b, sizeof(b)));
    b = false;
    CHECK_OK(umfCtlGet("umf.logger.pid", &b, sizeof(b)));
    CHECK_EQ(b, true);
    CHECK_RESULT(umfCtlSet("umf.logger.pid", &wide, sizeof(wide)), UMF_RESULT_ERROR_INVALID_ARGUMENT);

    /* output to a file: messages at the level land there */
    char path[64];
    snprintf(path, sizeof(path), "/tmp/umf-ctl-log-%d.txt", (int)getpid());
    unlink(path);
    CHECK_OK(umfCtlSet("umf.logger.output", path, strlen(path) + 1));
    CHECK_OK(umfCtlGet("umf.logger.output", out, sizeof(out)));
    CHECK(strcmp(out, path) == 0);
    int debug = 0;
    CHECK_OK(umfCtlSet("umf.logger.level", &debug, sizeof(debug)));
    umf_memory_provider_handle_t prov = os_provider();
    /* the provider does not know the node: logged at debug, success (UMF ignores the provider's answer) */
    CHECK_OK(umfCtlExec("umf.provider.by_handle.{}.no_such_node_xyz", NULL, 0, prov));
    umfMemoryProviderDestroy(prov);
    int fatal = 4, zero = 0;
    CHECK_OK(umfCtlSet("umf.logger.level", &fatal, sizeof(fatal)));
    CHECK_OK(umfCtlSet("umf.logger.timestamp", &zero, sizeof(zero)));
    CHECK_OK(umfCtlSet("umf.logger.pid", &zero, sizeof(zero)));
    CHECK_OK(umfCtlSet("umf.logger.output", "stderr", 7));
    CHECK_OK(umfCtlGet("umf.logger.output", out, sizeof(out)));
    CHECK(strcmp(out, "stderr") == 0);
    FILE *f = fopen(path, "r");
    REQUIRE(f != NULL);
    char text[8192] = "";
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    CHECK(strstr(text, "no_such_node_xyz") != NULL);
    CHECK(strstr(text, "PID:") != NULL);

    char toolong[300];
    memset(toolong, 'x', sizeof(toolong));
    toolong[0] = '/';
    toolong[sizeof(toolong) - 1] = '\0';
    CHECK_RESULT(umfCtlSet("umf.logger.output", toolong, sizeof(toolong)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlSet("umf.logger.output", "/no/such/dir/log", 17), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfCtlGet("umf.logger.output", out, sizeof(out)));
    CHECK(strcmp(out, "stderr") == 0); /* a failed write keeps the output */
}

static void test_defaults_storage(void) {
    size_t v = 12345, r = 0;
    CHECK_RESULT(umfCtlGet("umf.pool.default.somepool.some.key", &r, sizeof(r)), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_OK(umfCtlSet("umf.pool.default.somepool.some.key", &v, sizeof(v)));
    CHECK_OK(umfCtlGet("umf.pool.default.somepool.some.key", &r, sizeof(r)));
    CHECK_EQ(r, 12345);
    char big[32] = {0};
    CHECK_OK(umfCtlGet("umf.pool.default.somepool.some.key", big, sizeof(big))); /* a bigger buffer is fine */
    CHECK(memcmp(big, &v, sizeof(v)) == 0);
    int small = 0;
    CHECK_RESULT(umfCtlGet("umf.pool.default.somepool.some.key", &small, sizeof(small)),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* pools and providers keep separate defaults */
    CHECK_RESULT(umfCtlGet("umf.provider.default.somepool.some.key", &r, sizeof(r)),
                 UMF_RESULT_ERROR_INVALID_CTL_PATH);
    v = 7;
    CHECK_OK(umfCtlSet("umf.pool.default.somepool.some.key", &v, sizeof(v))); /* replaced */
    CHECK_OK(umfCtlGet("umf.pool.default.somepool.some.key", &r, sizeof(r)));
    CHECK_EQ(r, 7);
    CHECK_RESULT(umfCtlSet("umf.pool.default.{}.some.key", &v, sizeof(v), "somepool"), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_RESULT(umfCtlSet("umf.pool.default.somepool.{}", &v, sizeof(v), "key"), UMF_RESULT_ERROR_NOT_SUPPORTED);
    CHECK_RESULT(umfCtlExec("umf.pool.default.somepool.some.key", NULL, 0), UMF_RESULT_ERROR_NOT_SUPPORTED);
}

/* initialize, get_name, every default, post_initialize, then by_name registration */
static void test_create_order(void) {
    int three = 3, four = 4;
    CHECK_OK(umfCtlSet("umf.provider.default.recorder.value", &three, sizeof(three)));
    CHECK_OK(umfCtlSet("umf.provider.default.recorder.unknown_key", &four, sizeof(four)));
    g_events[0] = '\0';
    g_value = 0;
    umf_memory_provider_ops_t pops = rec_provider_ops();
    umf_memory_provider_handle_t prov = NULL;
    CHECK_OK(umfMemoryProviderCreate(&pops, &g_counters, &prov));
    CHECK(strcmp(g_events, "init;name;kind;ctl 1 1 value;ctl 1 1 unknown_key;ctl 1 2 post_initialize;") == 0);
    if (strcmp(g_events, "init;name;kind;ctl 1 1 value;ctl 1 1 unknown_key;ctl 1 2 post_initialize;") != 0) {
        fprintf(stderr, "  events: %s\n", g_events);
    }
    CHECK_EQ(g_value, 3); /* the default was written; the unknown key's error was ignored */

    /* by_handle reaches ext_ctl with the rest of the path and its {} arguments */
    int r = 0;
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.value", &r, sizeof(r), prov));
    CHECK_EQ(r, 3);
    CHECK_OK(umfCtlGet("umf.provider.by_handle.{}.echo.{}", &r, sizeof(r), prov, 99));
    CHECK_EQ(r, 99);
    /* the provider's errors do not come back (UMF 1.1) */
    size_t wrong = 0;
    CHECK_OK(umfCtlSet("umf.provider.by_handle.{}.value", &wrong, sizeof(wrong), prov));

    int five = 5;
    CHECK_OK(umfCtlSet("umf.pool.default.recpool.value", &five, sizeof(five)));
    int six = 6;
    CHECK_OK(umfCtlSet("umf.pool.default.mine.value", &six, sizeof(six)));
    g_events[0] = '\0';
    g_pool_name = "mine";
    umf_memory_pool_ops_t ops = rec_pool_ops();
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(&ops, prov, NULL, 0, &pool));
    /* the kind's defaults, then those of the pool's own name */
    const char *want = "init;name;kind;ctl 1 1 value;ctl 1 1 value;ctl 1 2 post_initialize;";
    CHECK(strcmp(g_events, want) == 0);
    if (strcmp(g_events, want) != 0) {
        fprintf(stderr, "  events: %s\n", g_events);
    }
    CHECK_EQ(g_value, 6);
    size_t count = 0;
    CHECK_OK(umfCtlGet("umf.pool.by_name.mine.count", &count, sizeof(count)));
    CHECK_EQ(count, 1);
    /* pools report the errors of their ext_ctl */
    CHECK_RESULT(umfCtlSet("umf.pool.by_handle.{}.value", &wrong, sizeof(wrong), pool),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlGet("umf.pool.by_handle.{}.nothing", &r, sizeof(r), pool), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_OK(umfCtlGet("umf.pool.by_name.mine.echo.{}", &r, sizeof(r), 41));
    CHECK_EQ(r, 41);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfCtlGet("umf.pool.by_name.mine.count", &count, sizeof(count)));
    CHECK_EQ(count, 0);
    g_pool_name = "recpool";
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

static void test_by_name(void) {
    umf_memory_provider_handle_t prov = os_provider();
    umf_disjoint_pool_params_handle_t params = NULL;
    CHECK_OK(umfDisjointPoolParamsCreate(&params));
    CHECK_OK(umfDisjointPoolParamsSetName(params, "dup"));
    umf_memory_pool_handle_t a = NULL, b = NULL;
    CHECK_OK(umfPoolCreate(umfDisjointPoolOps(), prov, params, 0, &a));
    CHECK_OK(umfPoolCreate(umfDisjointPoolOps(), prov, params, 0, &b));
    void *pa = umfPoolMalloc(a, 64);
    void *pb1 = umfPoolMalloc(b, 64), *pb2 = umfPoolMalloc(b, 64);
    size_t count = 0, v = 0;
    CHECK_OK(umfCtlGet("umf.pool.by_name.dup.count", &count, sizeof(count)));
    CHECK_EQ(count, 2);
    CHECK_OK(umfCtlGet("umf.pool.by_name.{}.count", &count, sizeof(count), "dup"));
    CHECK_EQ(count, 2);
    CHECK_OK(umfCtlGet("umf.pool.by_name.nobody.count", &count, sizeof(count)));
    CHECK_EQ(count, 0);
    CHECK_RESULT(umfCtlSet("umf.pool.by_name.dup.count", &count, sizeof(count)), UMF_RESULT_ERROR_NOT_SUPPORTED);
    /* two pools and no index: which one? */
    CHECK_RESULT(umfCtlGet("umf.pool.by_name.dup.stats.alloc_count", &v, sizeof(v)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_OK(umfCtlGet("umf.pool.by_name.dup.0.stats.alloc_count", &v, sizeof(v)));
    CHECK_EQ(v, 1);
    CHECK_OK(umfCtlGet("umf.pool.by_name.dup.1.stats.alloc_count", &v, sizeof(v)));
    CHECK_EQ(v, 2);
    CHECK_OK(umfCtlGet("umf.pool.by_name.{}.{}.stats.alloc_count", &v, sizeof(v), "dup", 1ULL));
    CHECK_EQ(v, 2);
    CHECK_OK(umfCtlGet("umf.pool.by_name.dup.{}.stats.alloc_count", &v, sizeof(v), 0ULL));
    CHECK_EQ(v, 1);
    CHECK_RESULT(umfCtlGet("umf.pool.by_name.dup.2.stats.alloc_count", &v, sizeof(v)), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlGet("umf.pool.by_name.nobody.stats.alloc_count", &v, sizeof(v)),
                 UMF_RESULT_ERROR_INVALID_ARGUMENT);
    CHECK_RESULT(umfCtlGet("umf.pool.by_name.dup.0.stats.nothing", &v, sizeof(v)), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    /* a write without an index goes to every pool of the name: both are live, so both refuse */
    CHECK_RESULT(umfCtlSet("umf.pool.by_name.dup.params.capacity", &v, sizeof(v)), UMF_RESULT_ERROR_NOT_SUPPORTED);
    umfPoolFree(a, pa);
    umfPoolFree(b, pb1);
    umfPoolFree(b, pb2);
    CHECK_OK(umfPoolDestroy(a));
    CHECK_OK(umfCtlGet("umf.pool.by_name.dup.count", &count, sizeof(count)));
    CHECK_EQ(count, 1);
    CHECK_OK(umfCtlGet("umf.pool.by_name.dup.stats.alloc_count", &v, sizeof(v))); /* one left: no index needed */
    CHECK_EQ(v, 0);
    CHECK_OK(umfPoolDestroy(b));

    /* a write without an index reaches every pool of the name */
    umf_memory_pool_ops_t ops = rec_pool_ops();
    umf_memory_pool_handle_t r1 = NULL, r2 = NULL;
    CHECK_OK(umfPoolCreate(&ops, prov, NULL, 0, &r1));
    CHECK_OK(umfPoolCreate(&ops, prov, NULL, 0, &r2));
    g_events[0] = '\0';
    int nine = 9;
    CHECK_OK(umfCtlSet("umf.pool.by_name.recpool.value", &nine, sizeof(nine)));
    CHECK(strcmp(g_events, "ctl 1 1 value;ctl 1 1 value;") == 0);
    g_events[0] = '\0';
    CHECK_OK(umfCtlSet("umf.pool.by_name.recpool.1.value", &nine, sizeof(nine)));
    CHECK(strcmp(g_events, "ctl 1 1 value;") == 0);
    CHECK_OK(umfPoolDestroy(r1));
    CHECK_OK(umfPoolDestroy(r2));
    umfDisjointPoolParamsDestroy(params);
    CHECK_OK(umfMemoryProviderDestroy(prov));
}

/* UMF_CONF, then UMF_CONF_FILE (which wins), read at umfInit: the library's own umfInit ran at load,
 * so drop it to zero and initialize again with the variables set. */
static void test_conf(void) {
    char file[64];
    snprintf(file, sizeof(file), "/tmp/umf-ctl-conf-%d.txt", (int)getpid());
    FILE *f = fopen(file, "w");
    REQUIRE(f != NULL);
    fputs("# a comment; with = signs\n"
          "umf.pool.default.disjoint.params.pool_trace = 2 ;  # the file wins over UMF_CONF\n"
          "umf.provider.default.recorder.from_file=\tyes\n",
          f);
    fclose(f);
    setenv("UMF_CONF",
           "umf.pool.default.disjoint.params.pool_trace=1;umf.pool.default.disjoint.params.capacity=0x10;"
           "umf.logger.level=9;umf.provider.default.{}.x=1;umf.provider.default.recorder.after_failures=1;"
           "umf.provider.default.recorder.broken;umf.provider.default.recorder.never=1",
           1);
    setenv("UMF_CONF_FILE", file, 1);
    CHECK_OK(umfTearDown());
    CHECK_OK(umfInit());
    unsetenv("UMF_CONF");
    unsetenv("UMF_CONF_FILE");
    unlink(file);

    char text[64] = "";
    CHECK_OK(umfCtlGet("umf.pool.default.disjoint.params.pool_trace", text, sizeof(text)));
    CHECK(strcmp(text, "2") == 0);
    CHECK_OK(umfCtlGet("umf.pool.default.disjoint.params.capacity", text, sizeof(text)));
    CHECK(strcmp(text, "0x10") == 0);
    CHECK_OK(umfCtlGet("umf.provider.default.recorder.from_file", text, sizeof(text)));
    CHECK(strcmp(text, "yes") == 0); /* whitespace removed */
    /* a failing entry (level 9) and a refused one ({}) do not stop the rest; a malformed one does */
    CHECK_OK(umfCtlGet("umf.provider.default.recorder.after_failures", text, sizeof(text)));
    CHECK_RESULT(umfCtlGet("umf.provider.default.recorder.never", text, sizeof(text)), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    int level = 0;
    CHECK_OK(umfCtlGet("umf.logger.level", &level, sizeof(level)));
    CHECK_EQ(level, 3);

    /* applied as text to a new disjoint pool, which parses it */
    umf_memory_provider_handle_t prov = os_provider();
    umf_memory_pool_handle_t pool = NULL;
    CHECK_OK(umfPoolCreate(umfDisjointPoolOps(), prov, NULL, 0, &pool));
    int trace = 0;
    size_t capacity = 0;
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.params.pool_trace", &trace, sizeof(trace), pool));
    CHECK_EQ(trace, 2);
    CHECK_OK(umfCtlGet("umf.pool.by_handle.{}.params.capacity", &capacity, sizeof(capacity), pool));
    CHECK_EQ(capacity, 16);
    CHECK_OK(umfPoolDestroy(pool));
    CHECK_OK(umfMemoryProviderDestroy(prov));

    /* the last umfTearDown forgets the defaults */
    CHECK_OK(umfTearDown());
    CHECK_OK(umfInit());
    CHECK_RESULT(umfCtlGet("umf.pool.default.disjoint.params.pool_trace", text, sizeof(text)),
                 UMF_RESULT_ERROR_INVALID_CTL_PATH);
}

static void test_conf_malformed(void) {
    /* a file over 1 MiB is ignored whole; UMF_CONF still applies */
    char file[64];
    snprintf(file, sizeof(file), "/tmp/umf-ctl-big-%d.txt", (int)getpid());
    FILE *f = fopen(file, "w");
    REQUIRE(f != NULL);
    fputs("umf.provider.default.big.a=1;", f);
    for (int i = 0; i < 1100; i++) {
        char line[1024];
        memset(line, '#', sizeof(line) - 1);
        line[sizeof(line) - 1] = '\n';
        fwrite(line, 1, sizeof(line), f);
    }
    fclose(f);
    setenv("UMF_CONF", "umf.provider.default.big.b=2;=3;umf.provider.default.big.c=4", 1);
    setenv("UMF_CONF_FILE", file, 1);
    CHECK_OK(umfTearDown());
    CHECK_OK(umfInit());
    unsetenv("UMF_CONF");
    unsetenv("UMF_CONF_FILE");
    unlink(file);
    char text[16];
    CHECK_RESULT(umfCtlGet("umf.provider.default.big.a", text, sizeof(text)), UMF_RESULT_ERROR_INVALID_CTL_PATH);
    CHECK_OK(umfCtlGet("umf.provider.default.big.b", text, sizeof(text)));
    CHECK_RESULT(umfCtlGet("umf.provider.default.big.c", text, sizeof(text)), UMF_RESULT_ERROR_INVALID_CTL_PATH);
}

int main(void) {
    RUN_TEST(test_arguments);
    RUN_TEST(test_malformed_paths);
    RUN_TEST(test_logger);
    RUN_TEST(test_defaults_storage);
    RUN_TEST(test_create_order);
    RUN_TEST(test_by_name);
    RUN_TEST(test_conf);
    RUN_TEST(test_conf_malformed);
    return TEST_SUMMARY();
}
