/* Library lifetime and logging: reference-counted init/teardown, the version, UMF_LOG, and
 * silence on bad input when UMF_LOG is not set. */
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/pools/pool_proxy.h>

#include "test_common.h"

extern char **environ;

static void test_version(void) {
    CHECK_EQ(umfGetCurrentVersion(), 0x10000);
    CHECK_EQ(UMF_MAJOR_VERSION(UMF_VERSION_CURRENT), 1);
    CHECK_EQ(UMF_MINOR_VERSION(UMF_PROVIDER_OPS_VERSION_CURRENT), 1);
    CHECK_EQ(UMF_POOL_OPS_VERSION_CURRENT, 0x10001);
}

static void test_init_is_reference_counted(void) {
    /* the library initialized itself when it was loaded: one more pair keeps it usable */
    CHECK_OK(umfInit());
    CHECK_OK(umfInit());
    CHECK_OK(umfTearDown());
    CHECK_OK(umfTearDown());
    test_provider_counters_t c = {0};
    umf_memory_provider_handle_t prov = NULL;
    umf_memory_pool_handle_t pool = NULL, found = NULL;
    CHECK_OK(umfMemoryProviderCreate(test_counting_provider_ops(), &c, &prov));
    CHECK_OK(umfPoolCreate(umfProxyPoolOps(), prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool));
    void *p = umfPoolMalloc(pool, 100);
    CHECK_OK(umfPoolByPtr(p, &found)); /* the tracker is still there */
    CHECK(found == pool);
    CHECK_OK(umfFree(p));
    CHECK_OK(umfPoolDestroy(pool));
}

/* Runs this program again as a child with the given UMF_LOG, its stdout and stderr sent to out_path. */
static int run_child(const char *self, const char *mode, const char *umf_log, const char *out_path) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char log_var[512];
    snprintf(log_var, sizeof(log_var), "UMF_LOG=%s", umf_log ? umf_log : "");
    char *envp[] = {log_var, NULL};
    char *argv[] = {(char *)self, (char *)mode, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, self, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        return -1;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static size_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (size_t)st.st_size : (size_t)-1;
}

static int contains(const char *path, const char *needle) {
    char buf[65536] = {0};
    FILE *f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

/* What the child does: many invalid calls, then exit 0. */
static int child_bad_input(void) {
    umf_memory_provider_ops_t ops = *test_counting_provider_ops();
    ops.alloc = NULL;
    umf_memory_provider_handle_t h = NULL;
    umf_memory_pool_handle_t pool = NULL;
    int bad = 0;
    bad += umfMemoryProviderCreate(&ops, NULL, &h) == UMF_RESULT_ERROR_INVALID_ARGUMENT;
    bad += umfPoolCreate(umfProxyPoolOps(), NULL, NULL, 0, &pool) == UMF_RESULT_ERROR_INVALID_ARGUMENT;
    bad += umfFree((void *)&ops) == UMF_RESULT_ERROR_INVALID_ARGUMENT;
    bad += umfPoolByPtr(NULL, &pool) == UMF_RESULT_ERROR_INVALID_ARGUMENT;
    ops.version = UMF_MAKE_VERSION(3, 0);
    bad += umfMemoryProviderCreate(&ops, NULL, &h) == UMF_RESULT_ERROR_NOT_SUPPORTED;
    return bad == 5 ? 0 : 1;
}

static void test_silent_without_umf_log(const char *self) {
    const char *out = "/tmp/umf_core_init_silent.txt";
    CHECK_EQ(run_child(self, "bad-input", NULL, out), 0);
    CHECK_EQ(file_size(out), 0);
    unlink(out);
}

static void test_umf_log_to_file(const char *self) {
    const char *out = "/tmp/umf_core_init_stdout.txt";
    const char *log = "/tmp/umf_core_init_log.txt";
    unlink(log);
    char spec[256];
    snprintf(spec, sizeof(spec), "level:debug;flush:debug;output:file,%s;timestamp:yes;pid:yes", log);
    CHECK_EQ(run_child(self, "bad-input", spec, out), 0);
    CHECK_EQ(file_size(out), 0); /* nothing on stdout/stderr: it all went to the file */
    CHECK(contains(log, "mandatory provider op is missing"));
    CHECK(contains(log, "[ERROR UMF]"));
    CHECK(contains(log, "[DEBUG UMF]"));
    CHECK(contains(log, "PID:"));
    unlink(log);

    /* level:error drops the debug lines */
    snprintf(spec, sizeof(spec), "level:error;output:file,%s", log);
    CHECK_EQ(run_child(self, "bad-input", spec, out), 0);
    CHECK(contains(log, "[ERROR UMF]"));
    CHECK(!contains(log, "[DEBUG UMF]"));
    CHECK(!contains(log, "PID:"));
    unlink(log);

    /* output:stderr */
    CHECK_EQ(run_child(self, "bad-input", "level:warning;output:stderr", out), 0);
    CHECK(contains(out, "[ERROR UMF]"));

    /* an invalid UMF_LOG is reported once and otherwise ignored */
    CHECK_EQ(run_child(self, "bad-input", "level:loud;output:stderr", out), 0);
    CHECK(contains(out, "invalid UMF_LOG"));
    CHECK(!contains(out, "[ERROR UMF]"));
    unlink(out);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "bad-input") == 0) {
        return child_bad_input();
    }
    RUN_TEST(test_version);
    RUN_TEST(test_init_is_reference_counted);
    umf_test_current = "test_silent_without_umf_log";
    test_silent_without_umf_log(argv[0]);
    umf_test_current = "test_umf_log_to_file";
    test_umf_log_to_file(argv[0]);
    return TEST_SUMMARY();
}
