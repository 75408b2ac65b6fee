/* Loading an optional library at run time (tbbmalloc): its name, dlopen, its symbols. */
#ifndef UMF_INTERNAL_DL_H
#define UMF_INTERNAL_DL_H 1

#include <stdbool.h>
#include <stddef.h>

/* A function the caller needs from the library, and where its address goes in the caller's table. */
typedef struct umf_dl_symbol_t {
    const char *name;
    size_t offset; /* in the table of function pointers, e.g. offsetof(je_api_t, mallocx) */
    bool optional; /* a missing optional symbol leaves NULL in the table */
} umf_dl_symbol_t;

/*
 * dlopen()s the library that the environment variable env names (when set and not
 * empty), else default_name. *name gets the name used. On failure: NULL, with *why
 * set to dlerror()'s text.
 */
void *umf_dl_open(const char *env, const char *default_name, int flags, const char **name, const char **why);

/*
 * Zeroes table (table_size bytes) and fills it with the addresses of the symbols.
 * Returns the name of the first required symbol that is missing, or NULL when
 * every required one was found.
 */
const char *umf_dl_resolve(void *handle, const umf_dl_symbol_t *symbols, size_t count, void *table,
                           size_t table_size);

#endif
