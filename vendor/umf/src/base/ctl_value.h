/*
 * Reading and writing the values of CTL nodes. A value comes either as binary (from the
 * CTL API: exactly the size of its type) or as text (from UMF_CONF / UMF_CONF_FILE, source
 * CTL_QUERY_CONFIG_INPUT: a NUL-terminated string); these helpers accept both, so every
 * node handler checks sizes and parses numbers the same way.
 */
#ifndef UMF_INTERNAL_CTL_VALUE_H
#define UMF_INTERNAL_CTL_VALUE_H 1

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <umf/base.h>

/* The int written to a node: binary of exactly sizeof(int), or text parsed with base 0. */
umf_result_t umf_ctl_arg_int(umf_ctl_query_source_t source, const void *arg, size_t size, int *out);

/* The size_t written to a node: binary of exactly sizeof(size_t), or text parsed with base 0 (no sign). */
umf_result_t umf_ctl_arg_size(umf_ctl_query_source_t source, const void *arg, size_t size, size_t *out);

/* A boolean written to a node: binary int (or 1-byte bool), or text 1/y/Y/0/n/N. */
umf_result_t umf_ctl_arg_bool(umf_ctl_query_source_t source, const void *arg, size_t size, bool *out);

/* The longest path a built-in node handler resolves. */
#define UMF_CTL_PATH_MAX 256

/* Writes name into out with each "{}" node replaced by the next const char * of args, for handlers
 * whose nodes are all plain names. False for a NULL argument or a result that does not fit. */
bool umf_ctl_resolve_path(const char *name, va_list args, char *out, size_t outsize);

/* Answers a read of a size_t node: size must be exactly sizeof(size_t). */
umf_result_t umf_ctl_out_size(void *arg, size_t size, size_t value);

/* Answers a read of an int node: size must be exactly sizeof(int). */
umf_result_t umf_ctl_out_int(void *arg, size_t size, int value);

/* Answers a read of a boolean node: an int (or a 1-byte bool), as umf_ctl_arg_bool takes it. */
umf_result_t umf_ctl_out_bool(void *arg, size_t size, bool value);

#endif
