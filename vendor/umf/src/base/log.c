/*
 * Logging configured by UMF_LOG, e.g.
 *   UMF_LOG="level:debug;flush:error;output:file,/tmp/umf.log;timestamp:yes;pid:yes"
 * Logging is off unless UMF_LOG names an output. Fatal messages always reach stderr.
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ctl_value.h"
#include "utils.h"

#define LOG_OUTPUT_MAX 256 /* the longest file path umf.logger.output takes, NUL included */

static struct {
    /* The one value the fast check reads: `level` while there is an output, else
     * UMF_LOG_LEVEL_FATAL + 1 (nothing but fatal messages, which go to stderr). */
    _Atomic int threshold;
    int level; /* as configured (UMF_LOG, umf.logger.level), kept while the output is off */
    _Atomic int flush_level;
    _Atomic bool timestamp;
    _Atomic bool pid;
    FILE *out; /* NULL: off */
    bool own_out;
    char out_name[LOG_OUTPUT_MAX]; /* "stdout", "stderr" or the file path */
} g_log = {.threshold = UMF_LOG_LEVEL_FATAL + 1, .level = UMF_LOG_LEVEL_ERROR, .flush_level = UMF_LOG_LEVEL_ERROR};

/* Guards out, own_out and out_name: CTL may switch the output while other threads log. */
static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;

static void update_threshold_locked(void) {
    atomic_store(&g_log.threshold, g_log.out ? g_log.level : UMF_LOG_LEVEL_FATAL + 1);
}

static const char *const LEVEL_NAMES[] = {"DEBUG", "INFO", "WARNING", "ERROR", "FATAL"};

static int parse_level(const char *value, size_t len) {
    static const char *const names[] = {"debug", "info", "warning", "error", "fatal"};
    for (int i = 0; i < 5; i++) {
        if (strlen(names[i]) == len && strncmp(names[i], value, len) == 0) {
            return i;
        }
    }
    return -1;
}

static bool parse_bool(const char *value, size_t len, bool *out) {
    if (len == 3 && strncmp(value, "yes", 3) == 0) {
        *out = true;
        return true;
    }
    if (len == 2 && strncmp(value, "no", 2) == 0) {
        *out = false;
        return true;
    }
    return false;
}

void umf_log_init(void) {
    const char *env = getenv("UMF_LOG");
    if (env == NULL || env[0] == '\0') {
        return;
    }
    int level = UMF_LOG_LEVEL_ERROR, flush = UMF_LOG_LEVEL_ERROR;
    bool timestamp = false, pid = false;
    FILE *out = NULL;
    bool own = false, valid = true;
    char name[LOG_OUTPUT_MAX] = "";
    const char *p = env;
    while (*p != '\0' && valid) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        if (colon == NULL) {
            valid = false;
            break;
        }
        size_t key_len = (size_t)(colon - p);
        const char *value = colon + 1;
        size_t value_len = len - key_len - 1;
        if (key_len == 5 && strncmp(p, "level", 5) == 0) {
            valid = (level = parse_level(value, value_len)) >= 0;
        } else if (key_len == 5 && strncmp(p, "flush", 5) == 0) {
            valid = (flush = parse_level(value, value_len)) >= 0;
        } else if (key_len == 9 && strncmp(p, "timestamp", 9) == 0) {
            valid = parse_bool(value, value_len, &timestamp);
        } else if (key_len == 3 && strncmp(p, "pid", 3) == 0) {
            valid = parse_bool(value, value_len, &pid);
        } else if (key_len == 6 && strncmp(p, "output", 6) == 0) {
            if (value_len == 6 && strncmp(value, "stdout", 6) == 0) {
                out = stdout;
                strcpy(name, "stdout");
            } else if (value_len == 6 && strncmp(value, "stderr", 6) == 0) {
                out = stderr;
                strcpy(name, "stderr");
            } else if (value_len > 5 && strncmp(value, "file,", 5) == 0) {
                char path[LOG_OUTPUT_MAX];
                size_t path_len = UMF_MIN(value_len - 5, sizeof(path) - 1);
                memcpy(path, value + 5, path_len);
                path[path_len] = '\0';
                if (own && out) {
                    fclose(out);
                }
                out = fopen(path, "a");
                own = out != NULL;
                umf_strlcpy(name, path, sizeof(name));
                valid = out != NULL;
            } else {
                valid = false;
            }
        } else {
            valid = false;
        }
        p = end ? end + 1 : p + len;
    }
    if (!valid || out == NULL) {
        if (own && out) {
            fclose(out);
        }
        fprintf(stderr, "umf: ignoring invalid UMF_LOG=\"%s\" (expected e.g. "
                        "\"level:debug;flush:error;output:stderr;timestamp:no;pid:no\"; output is required)\n",
                env);
        return;
    }
    pthread_mutex_lock(&g_log_lock);
    atomic_store(&g_log.timestamp, timestamp);
    atomic_store(&g_log.pid, pid);
    g_log.out = out;
    g_log.own_out = own;
    umf_strlcpy(g_log.out_name, name, sizeof(g_log.out_name));
    atomic_store(&g_log.flush_level, flush);
    g_log.level = level;
    update_threshold_locked();
    pthread_mutex_unlock(&g_log_lock);
}

static void close_output_locked(void) {
    if (g_log.own_out && g_log.out) {
        fclose(g_log.out);
    }
    g_log.out = NULL;
    g_log.own_out = false;
    g_log.out_name[0] = '\0';
}

void umf_log_fini(void) {
    pthread_mutex_lock(&g_log_lock);
    close_output_locked();
    /* back to the state before umf_log_init, for a later umfInit */
    g_log.level = UMF_LOG_LEVEL_ERROR;
    atomic_store(&g_log.flush_level, UMF_LOG_LEVEL_ERROR);
    atomic_store(&g_log.timestamp, false);
    atomic_store(&g_log.pid, false);
    update_threshold_locked();
    pthread_mutex_unlock(&g_log_lock);
}

bool umf_log_enabled(umf_log_level_t level) {
    return (int)level >= atomic_load_explicit(&g_log.threshold, memory_order_relaxed);
}

/* umf.logger.output written: "stdout", "stderr" or a file path opened for appending. */
static umf_result_t set_output(const char *value, size_t size) {
    size_t len = strnlen(value, size);
    if (len == 0 || len >= LOG_OUTPUT_MAX) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    char name[LOG_OUTPUT_MAX];
    memcpy(name, value, len);
    name[len] = '\0';
    FILE *out;
    bool own = false;
    if (strcmp(name, "stdout") == 0) {
        out = stdout;
    } else if (strcmp(name, "stderr") == 0) {
        out = stderr;
    } else if ((out = fopen(name, "a")) != NULL) {
        own = true;
    } else {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    pthread_mutex_lock(&g_log_lock);
    close_output_locked();
    g_log.out = out;
    g_log.own_out = own;
    memcpy(g_log.out_name, name, len + 1);
    update_threshold_locked();
    pthread_mutex_unlock(&g_log_lock);
    return UMF_RESULT_SUCCESS;
}

umf_result_t umf_log_ctl(const char *node, umf_ctl_query_source_t source, void *arg, size_t size,
                         umf_ctl_query_type_t type) {
    enum { TIMESTAMP, PID, LEVEL, FLUSH_LEVEL, OUTPUT } which;
    if (strcmp(node, "timestamp") == 0) {
        which = TIMESTAMP;
    } else if (strcmp(node, "pid") == 0) {
        which = PID;
    } else if (strcmp(node, "level") == 0) {
        which = LEVEL;
    } else if (strcmp(node, "flush_level") == 0) {
        which = FLUSH_LEVEL;
    } else if (strcmp(node, "output") == 0) {
        which = OUTPUT;
    } else {
        return UMF_RESULT_ERROR_INVALID_CTL_PATH;
    }
    if (type == CTL_QUERY_RUNNABLE) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    _Atomic bool *flag = which == TIMESTAMP ? &g_log.timestamp : &g_log.pid;
    if (type == CTL_QUERY_READ) {
        switch (which) {
        case TIMESTAMP:
        case PID:
            return umf_ctl_out_bool(arg, size, atomic_load(flag));
        case LEVEL: {
            pthread_mutex_lock(&g_log_lock);
            int level = g_log.level;
            pthread_mutex_unlock(&g_log_lock);
            return umf_ctl_out_int(arg, size, level);
        }
        case FLUSH_LEVEL:
            return umf_ctl_out_int(arg, size, atomic_load(&g_log.flush_level));
        case OUTPUT: {
            pthread_mutex_lock(&g_log_lock);
            const char *name = g_log.out ? g_log.out_name : "disabled";
            size_t need = strlen(name) + 1;
            umf_result_t rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
            if (arg != NULL && size >= need) {
                memcpy(arg, name, need);
                rc = UMF_RESULT_SUCCESS;
            }
            pthread_mutex_unlock(&g_log_lock);
            return rc;
        }
        }
    }
    if (which == OUTPUT) {
        return arg == NULL ? UMF_RESULT_ERROR_INVALID_ARGUMENT : set_output(arg, size);
    }
    if (which == TIMESTAMP || which == PID) {
        bool v;
        umf_result_t rc = umf_ctl_arg_bool(source, arg, size, &v);
        if (rc == UMF_RESULT_SUCCESS) {
            atomic_store(flag, v);
        }
        return rc;
    }
    int v;
    umf_result_t rc = umf_ctl_arg_int(source, arg, size, &v);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    if (v < UMF_LOG_LEVEL_DEBUG || v > UMF_LOG_LEVEL_FATAL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (which == FLUSH_LEVEL) {
        atomic_store(&g_log.flush_level, v);
        return UMF_RESULT_SUCCESS;
    }
    pthread_mutex_lock(&g_log_lock);
    g_log.level = v;
    update_threshold_locked();
    pthread_mutex_unlock(&g_log_lock);
    return UMF_RESULT_SUCCESS;
}

void umf_log(umf_log_level_t level, const char *func, const char *fmt, ...) {
    if (!umf_log_enabled(level) && level != UMF_LOG_LEVEL_FATAL) {
        return;
    }
    /* Build the whole line first so lines from several threads do not interleave. */
    char line[2048];
    int n = 0;
    if (atomic_load_explicit(&g_log.timestamp, memory_order_relaxed)) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        struct tm tm;
        localtime_r(&tv.tv_sec, &tm);
        n += (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
        n += snprintf(line + n, sizeof(line) - (size_t)n, ".%06ld ", (long)tv.tv_usec);
    }
    if (atomic_load_explicit(&g_log.pid, memory_order_relaxed)) {
        n += snprintf(line + n, sizeof(line) - (size_t)n, "PID:%d TID:%ld ", (int)getpid(), (long)gettid());
    }
    n += snprintf(line + n, sizeof(line) - (size_t)n, "[%s UMF] %s: ", LEVEL_NAMES[level], func);
    if (n < (int)sizeof(line)) {
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        va_end(ap);
        n = m < 0 ? n : UMF_MIN(n + m, (int)sizeof(line) - 2);
    } else {
        n = (int)sizeof(line) - 2;
    }
    line[n++] = '\n';
    line[n] = '\0';
    pthread_mutex_lock(&g_log_lock);
    FILE *out = g_log.out;
    if (out == NULL || (int)level < atomic_load_explicit(&g_log.threshold, memory_order_relaxed)) {
        out = stderr; /* only fatal messages get here without an output */
    }
    fputs(line, out);
    if ((int)level >= atomic_load_explicit(&g_log.flush_level, memory_order_relaxed)) {
        fflush(out);
    }
    pthread_mutex_unlock(&g_log_lock);
}
