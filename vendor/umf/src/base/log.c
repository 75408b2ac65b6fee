/*
 * Logging configured by UMF_LOG, e.g.
 *   UMF_LOG="level:debug;flush:error;output:file,/tmp/umf.log;timestamp:yes;pid:yes"
 * Logging is off unless UMF_LOG names an output. Fatal messages always reach stderr.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "utils.h"

static struct {
    _Atomic int level; /* messages below it are dropped; UMF_LOG_LEVEL_FATAL + 1 = off */
    _Atomic int flush_level;
    bool timestamp;
    bool pid;
    FILE *out; /* NULL: off */
    bool own_out;
} g_log = {.level = UMF_LOG_LEVEL_FATAL + 1, .flush_level = UMF_LOG_LEVEL_ERROR};

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
            } else if (value_len == 6 && strncmp(value, "stderr", 6) == 0) {
                out = stderr;
            } else if (value_len > 5 && strncmp(value, "file,", 5) == 0) {
                char path[4096];
                size_t path_len = UMF_MIN(value_len - 5, sizeof(path) - 1);
                memcpy(path, value + 5, path_len);
                path[path_len] = '\0';
                if (own && out) {
                    fclose(out);
                }
                out = fopen(path, "a");
                own = out != NULL;
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
    g_log.timestamp = timestamp;
    g_log.pid = pid;
    g_log.out = out;
    g_log.own_out = own;
    atomic_store(&g_log.flush_level, flush);
    atomic_store(&g_log.level, level);
}

void umf_log_fini(void) {
    atomic_store(&g_log.level, UMF_LOG_LEVEL_FATAL + 1);
    if (g_log.own_out && g_log.out) {
        fclose(g_log.out);
    }
    g_log.out = NULL;
    g_log.own_out = false;
}

bool umf_log_enabled(umf_log_level_t level) {
    return (int)level >= atomic_load_explicit(&g_log.level, memory_order_relaxed);
}

void umf_log(umf_log_level_t level, const char *func, const char *fmt, ...) {
    FILE *out = g_log.out;
    if (level == UMF_LOG_LEVEL_FATAL && (out == NULL || !umf_log_enabled(level))) {
        out = stderr;
    } else if (!umf_log_enabled(level) || out == NULL) {
        return;
    }
    /* Build the whole line first so lines from several threads do not interleave. */
    char line[2048];
    int n = 0;
    if (g_log.timestamp) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        struct tm tm;
        localtime_r(&tv.tv_sec, &tm);
        n += (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
        n += snprintf(line + n, sizeof(line) - (size_t)n, ".%06ld ", (long)tv.tv_usec);
    }
    if (g_log.pid) {
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
    fputs(line, out);
    if ((int)level >= atomic_load_explicit(&g_log.flush_level, memory_order_relaxed)) {
        fflush(out);
    }
}
