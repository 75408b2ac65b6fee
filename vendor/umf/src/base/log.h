/* Internal logging, configured by the UMF_LOG environment variable (see log.c). */
#ifndef UMF_INTERNAL_LOG_H
#define UMF_INTERNAL_LOG_H 1

#include <stdbool.h>
#include <stddef.h>

#include <umf/base.h>

typedef enum umf_log_level_t {
    UMF_LOG_LEVEL_DEBUG = 0,
    UMF_LOG_LEVEL_INFO = 1,
    UMF_LOG_LEVEL_WARNING = 2,
    UMF_LOG_LEVEL_ERROR = 3,
    UMF_LOG_LEVEL_FATAL = 4,
} umf_log_level_t;

/* Reads UMF_LOG; called once by umfInit(). */
void umf_log_init(void);
/* Closes a log file opened by umf_log_init(). */
void umf_log_fini(void);
/* The umf.logger.<node> CTL nodes: timestamp, pid, level, flush_level, output. */
umf_result_t umf_log_ctl(const char *node, umf_ctl_query_source_t source, void *arg, size_t size,
                         umf_ctl_query_type_t type);
/* True when a message of this level would be written (cheap: one load and compare). */
bool umf_log_enabled(umf_log_level_t level);
void umf_log(umf_log_level_t level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_DEBUG(...) umf_log(UMF_LOG_LEVEL_DEBUG, __func__, __VA_ARGS__)
#define LOG_INFO(...) umf_log(UMF_LOG_LEVEL_INFO, __func__, __VA_ARGS__)
#define LOG_WARN(...) umf_log(UMF_LOG_LEVEL_WARNING, __func__, __VA_ARGS__)
#define LOG_ERR(...) umf_log(UMF_LOG_LEVEL_ERROR, __func__, __VA_ARGS__)
#define LOG_FATAL(...) umf_log(UMF_LOG_LEVEL_FATAL, __func__, __VA_ARGS__)

#endif
