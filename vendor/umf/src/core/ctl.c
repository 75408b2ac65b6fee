/*
 * CTL: umfCtlGet/Set/Exec. This file parses a path and sends it to the node that answers it:
 *
 *   umf.logger.<node>                              base/log.c
 *   umf.pool.by_handle.{}.<rest>                   core/pool.c (generic nodes), then the pool's ext_ctl
 *   umf.pool.by_name.<name>[.<index>].<rest>       same, for the pools registered under that name
 *   umf.pool.by_name.<name>.count                  here
 *   umf.provider.by_handle.{}.<rest>               the provider's ext_ctl (its answer is ignored, as in UMF)
 *   umf.{pool,provider}.default.<name>.<key>       here: raw bytes applied when such an object is created
 *
 * and keeps the state behind the last three: the defaults, the pools by name, UMF_CONF.
 * The "{}" nodes of <rest> stay in the path given to ext_ctl, which reads them from the va_list.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf/experimental/ctl.h>

#include "base/ctl_value.h"
#include "base/log.h"
#include "core/core.h"
#include "core/ctl_internal.h"

#define CTL_MAX_NODES 32
#define CTL_MAX_PATH 1024
#define CTL_CONF_FILE_MAX (1024 * 1024)

typedef struct ctl_path_t {
    char buf[CTL_MAX_PATH];
    const char *node[CTL_MAX_NODES]; /* in buf, NUL-terminated */
    const char *rest[CTL_MAX_NODES]; /* in the caller's path: from node i to the end */
    size_t n;
} ctl_path_t;

/* Splits path at '.'; an empty node, too many nodes or too long a path names no node. */
static umf_result_t ctl_split(const char *path, ctl_path_t *p) {
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(p->buf)) {
        return UMF_RESULT_ERROR_INVALID_CTL_PATH;
    }
    memcpy(p->buf, path, len + 1);
    p->n = 0;
    char *s = p->buf;
    for (;;) {
        if (p->n == CTL_MAX_NODES) {
            return UMF_RESULT_ERROR_INVALID_CTL_PATH;
        }
        char *dot = strchr(s, '.');
        p->node[p->n] = s;
        p->rest[p->n] = path + (s - p->buf);
        p->n++;
        if (dot) {
            *dot = '\0';
        }
        if (*s == '\0') {
            return UMF_RESULT_ERROR_INVALID_CTL_PATH;
        }
        if (!dot) {
            return UMF_RESULT_SUCCESS;
        }
        s = dot + 1;
    }
}

static bool is_wild(const char *node) { return strcmp(node, "{}") == 0; }

static bool is_index(const char *node) {
    if (is_wild(node)) {
        return true;
    }
    for (const char *c = node; *c; c++) {
        if (!isdigit((unsigned char)*c)) {
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------------------- */
/* Defaults: umf.{pool,provider}.default.<name>.<key>                          */

typedef struct ctl_default_t {
    struct ctl_default_t *next;
    umf_ctl_kind_t kind;
    umf_ctl_query_source_t source;
    char *name;
    char *key;
    size_t size;
    unsigned char value[];
} ctl_default_t;

static pthread_mutex_t g_defaults_lock = PTHREAD_MUTEX_INITIALIZER;
static ctl_default_t *g_defaults; /* in the order first written */

static ctl_default_t **default_find_locked(umf_ctl_kind_t kind, const char *name, const char *key) {
    ctl_default_t **pp = &g_defaults;
    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->kind == kind && strcmp((*pp)->name, name) == 0 && strcmp((*pp)->key, key) == 0) {
            break;
        }
    }
    return pp;
}

static umf_result_t default_query(umf_ctl_kind_t kind, const ctl_path_t *p, umf_ctl_query_source_t source,
                                  void *arg, size_t size, umf_ctl_query_type_t type) {
    /* umf.<kind>.default.<name>.<key...> */
    if (p->n < 5) {
        return UMF_RESULT_ERROR_INVALID_CTL_PATH;
    }
    for (size_t i = 3; i < p->n; i++) {
        if (is_wild(p->node[i])) {
            return UMF_RESULT_ERROR_NOT_SUPPORTED; /* a default is stored for a path, not for what {} would give */
        }
    }
    if (type == CTL_QUERY_RUNNABLE) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    const char *name = p->node[3], *key = p->rest[4];
    umf_result_t rc = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&g_defaults_lock);
    ctl_default_t **pp = default_find_locked(kind, name, key);
    if (type == CTL_QUERY_READ) {
        if (*pp == NULL) {
            rc = UMF_RESULT_ERROR_INVALID_CTL_PATH;
        } else if (size < (*pp)->size) {
            rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        } else {
            memcpy(arg, (*pp)->value, (*pp)->size);
        }
        pthread_mutex_unlock(&g_defaults_lock);
        return rc;
    }
    ctl_default_t *d = malloc(sizeof(*d) + size);
    char *name_copy = strdup(name), *key_copy = strdup(key);
    if (d == NULL || name_copy == NULL || key_copy == NULL) {
        free(d);
        free(name_copy);
        free(key_copy);
        pthread_mutex_unlock(&g_defaults_lock);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    d->kind = kind;
    d->source = source;
    d->name = name_copy;
    d->key = key_copy;
    d->size = size;
    memcpy(d->value, arg, size);
    /* a new value takes the place of the old one, keeping its position in the order */
    ctl_default_t *old = *pp;
    d->next = old ? old->next : NULL;
    *pp = d;
    pthread_mutex_unlock(&g_defaults_lock);
    if (old) {
        free(old->name);
        free(old->key);
        free(old);
    }
    return UMF_RESULT_SUCCESS;
}

void umf_ctl_apply_defaults(umf_ctl_kind_t kind, const char *name, umf_ctl_default_fn fn, void *ctx) {
    if (name == NULL) {
        return;
    }
    /* copy the matching defaults: fn runs ext_ctl, which may use CTL itself */
    ctl_default_t *copies = NULL, **tail = &copies;
    pthread_mutex_lock(&g_defaults_lock);
    for (ctl_default_t *d = g_defaults; d; d = d->next) {
        if (d->kind != kind || strcmp(d->name, name) != 0) {
            continue;
        }
        ctl_default_t *c = malloc(sizeof(*c) + d->size);
        char *key = strdup(d->key);
        if (c == NULL || key == NULL) {
            free(c);
            free(key);
            LOG_ERR("out of memory while applying the CTL defaults of %s", name);
            break;
        }
        memcpy(c, d, sizeof(*c) + d->size);
        c->key = key;
        c->name = NULL;
        c->next = NULL;
        *tail = c;
        tail = &c->next;
    }
    pthread_mutex_unlock(&g_defaults_lock);
    while (copies) {
        ctl_default_t *next = copies->next;
        fn(ctx, copies->source, copies->key, copies->value, copies->size);
        free(copies->key);
        free(copies);
        copies = next;
    }
}

/* ------------------------------------------------------------------------- */
/* Pools by name                                                               */

typedef struct ctl_named_pool_t {
    struct ctl_named_pool_t *next, *prev;
    umf_memory_pool_handle_t pool;
    char name[64];
} ctl_named_pool_t;

/* Queries hold it for reading while they use a pool they found by name; destroy takes it for writing. */
static pthread_rwlock_t g_names_lock = PTHREAD_RWLOCK_INITIALIZER;
static ctl_named_pool_t *g_names; /* in creation order, so an index counts pools of a name by age */
static ctl_named_pool_t *g_names_tail; /* with the pool's own pointer to its entry: O(1) (un)register,
                                        * as programs create and destroy pools by the hundred thousand */

void umf_ctl_pool_register(umf_memory_pool_handle_t pool, const char *name) {
    if (!umf_name_is_valid(name)) {
        return;
    }
    ctl_named_pool_t *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        LOG_ERR("out of memory: pool \"%s\" is not reachable by CTL by_name", name);
        return;
    }
    e->pool = pool;
    umf_strlcpy(e->name, name, sizeof(e->name));
    pthread_rwlock_wrlock(&g_names_lock);
    e->prev = g_names_tail;
    if (g_names_tail) {
        g_names_tail->next = e;
    } else {
        g_names = e;
    }
    g_names_tail = e;
    pool->ctl_name = e;
    pthread_rwlock_unlock(&g_names_lock);
}

void umf_ctl_pool_unregister(umf_memory_pool_handle_t pool) {
    pthread_rwlock_wrlock(&g_names_lock);
    ctl_named_pool_t *e = pool->ctl_name;
    if (e) {
        *(e->prev ? &e->prev->next : &g_names) = e->next;
        *(e->next ? &e->next->prev : &g_names_tail) = e->prev;
        pool->ctl_name = NULL;
        free(e);
    }
    pthread_rwlock_unlock(&g_names_lock);
}

static umf_result_t by_name_query(const ctl_path_t *p, umf_ctl_query_source_t source, void *arg, size_t size,
                                  umf_ctl_query_type_t type, va_list *ap) {
    /* umf.pool.by_name.<name>[.<index>].<rest> or umf.pool.by_name.<name>.count */
    if (p->n < 5) {
        return UMF_RESULT_ERROR_INVALID_CTL_PATH;
    }
    const char *name = p->node[3];
    if (is_wild(name) && (name = va_arg(*ap, const char *)) == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t first = 4; /* the first node of <rest> */
    bool indexed = false;
    unsigned long long index = 0;
    bool count = p->n == 5 && strcmp(p->node[4], "count") == 0;
    if (!count && is_index(p->node[4])) {
        indexed = true;
        index = is_wild(p->node[4]) ? va_arg(*ap, unsigned long long) : strtoull(p->node[4], NULL, 10);
        first = 5;
        if (p->n < 6) {
            return UMF_RESULT_ERROR_INVALID_CTL_PATH;
        }
    }
    if (count && type != CTL_QUERY_READ) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    umf_result_t rc = UMF_RESULT_SUCCESS;
    pthread_rwlock_rdlock(&g_names_lock);
    size_t matches = 0;
    for (ctl_named_pool_t *e = g_names; e; e = e->next) {
        matches += strcmp(e->name, name) == 0;
    }
    if (count) {
        rc = umf_ctl_out_size(arg, size, matches);
    } else if (matches == 0 || (indexed && index >= matches) || (!indexed && type == CTL_QUERY_READ && matches > 1)) {
        /* no such pool, or a read that does not say which of several */
        rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    } else {
        /* with an index: that pool; without: every pool of the name (one, for a read) */
        size_t i = 0;
        bool first_error = true;
        for (ctl_named_pool_t *e = g_names; e; e = e->next) {
            if (strcmp(e->name, name) != 0 || (indexed && i++ != index)) {
                continue;
            }
            va_list each;
            va_copy(each, *ap); /* each pool reads the {} of <rest> afresh */
            umf_result_t r = umf_pool_ctl_query(e->pool, source, p->rest[first], arg, size, type, each);
            va_end(each);
            if (r != UMF_RESULT_SUCCESS && first_error) {
                rc = r;
                first_error = false;
            }
        }
    }
    pthread_rwlock_unlock(&g_names_lock);
    return rc;
}

/* ------------------------------------------------------------------------- */
/* Dispatch                                                                    */

static umf_result_t ctl_query(umf_ctl_query_source_t source, const char *path, void *arg, size_t size,
                              umf_ctl_query_type_t type, va_list *ap) {
    ctl_path_t p;
    umf_result_t rc = ctl_split(path, &p);
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    if (p.n < 3 || strcmp(p.node[0], "umf") != 0) {
        return UMF_RESULT_ERROR_INVALID_CTL_PATH;
    }
    const char *area = p.node[1], *how = p.node[2];
    if (strcmp(area, "logger") == 0) {
        if (p.n != 3) {
            return UMF_RESULT_ERROR_INVALID_CTL_PATH;
        }
        if (is_wild(how) && (how = va_arg(*ap, const char *)) == NULL) {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        return umf_log_ctl(how, source, arg, size, type);
    }
    bool pool = strcmp(area, "pool") == 0;
    if (!pool && strcmp(area, "provider") != 0) {
        return UMF_RESULT_ERROR_INVALID_CTL_PATH;
    }
    if (strcmp(how, "default") == 0) {
        return default_query(pool ? UMF_CTL_KIND_POOL : UMF_CTL_KIND_PROVIDER, &p, source, arg, size, type);
    }
    if (pool && strcmp(how, "by_name") == 0) {
        return by_name_query(&p, source, arg, size, type, ap);
    }
    if (strcmp(how, "by_handle") != 0) {
        return UMF_RESULT_ERROR_INVALID_CTL_PATH; /* there is no umf.provider.by_name, as in UMF */
    }
    if (p.n < 5 || !is_wild(p.node[3])) {
        return UMF_RESULT_ERROR_INVALID_CTL_PATH;
    }
    void *handle = va_arg(*ap, void *);
    if (handle == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (pool) {
        return umf_pool_ctl_query(handle, source, p.rest[4], arg, size, type, *ap);
    }
    rc = umf_provider_ctl_query(handle, source, p.rest[4], arg, size, type, *ap);
    if (rc != UMF_RESULT_SUCCESS) {
        LOG_DEBUG("provider CTL %s: %d (reported as success, as UMF 1.1 does)", p.rest[4], rc);
    }
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfCtlGet(const char *name, void *arg, size_t size, ...) {
    if (name == NULL || arg == NULL || size == 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    va_list ap;
    va_start(ap, size);
    umf_result_t rc = ctl_query(CTL_QUERY_PROGRAMMATIC, name, arg, size, CTL_QUERY_READ, &ap);
    va_end(ap);
    return rc;
}

umf_result_t umfCtlSet(const char *name, void *arg, size_t size, ...) {
    if (name == NULL || arg == NULL || size == 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    va_list ap;
    va_start(ap, size);
    umf_result_t rc = ctl_query(CTL_QUERY_PROGRAMMATIC, name, arg, size, CTL_QUERY_WRITE, &ap);
    va_end(ap);
    return rc;
}

umf_result_t umfCtlExec(const char *name, void *arg, size_t size, ...) {
    if (name == NULL || (arg == NULL) != (size == 0)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    va_list ap;
    va_start(ap, size);
    umf_result_t rc = ctl_query(CTL_QUERY_PROGRAMMATIC, name, arg, size, CTL_QUERY_RUNNABLE, &ap);
    va_end(ap);
    return rc;
}

/* ------------------------------------------------------------------------- */
/* UMF_CONF and UMF_CONF_FILE                                                  */

/* A write from the configuration: takes no variadic argument (paths with {} were refused). */
static umf_result_t ctl_set_config(const char *path, char *value, ...) {
    va_list ap;
    va_start(ap, value);
    umf_result_t rc = ctl_query(CTL_QUERY_CONFIG_INPUT, path, value, strlen(value) + 1, CTL_QUERY_WRITE, &ap);
    va_end(ap);
    return rc;
}

/* Applies "path=value;path=value"; a malformed entry stops the rest, a failing one does not. */
static void ctl_apply_config(char *conf, const char *origin) {
    char *save = NULL;
    for (char *entry = strtok_r(conf, ";", &save); entry; entry = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(entry, '=');
        if (eq == NULL || eq == entry || strchr(eq + 1, '=') != NULL) {
            LOG_ERR("%s: malformed entry \"%s\" (expected path=value); ignoring it and the rest", origin, entry);
            return;
        }
        *eq = '\0';
        if (strstr(entry, "{}") != NULL) {
            LOG_ERR("%s: %s: {} cannot be used in a configuration", origin, entry);
            continue;
        }
        umf_result_t rc = ctl_set_config(entry, eq + 1);
        if (rc != UMF_RESULT_SUCCESS) {
            LOG_ERR("%s: setting %s to \"%s\" failed: %d", origin, entry, eq + 1, rc);
        }
    }
}

/* The contents of UMF_CONF_FILE without comments and whitespace; NULL when it cannot be read. */
static char *ctl_read_conf_file(const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        LOG_ERR("UMF_CONF_FILE: cannot open %s", path);
        return NULL;
    }
    char *text = malloc(CTL_CONF_FILE_MAX + 1);
    size_t n = text ? fread(text, 1, CTL_CONF_FILE_MAX + 1, f) : 0;
    fclose(f);
    if (text == NULL || n > CTL_CONF_FILE_MAX) {
        LOG_ERR("UMF_CONF_FILE: %s is larger than 1 MiB (or out of memory); ignored", path);
        free(text);
        return NULL;
    }
    size_t out = 0;
    bool comment = false;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c == '#') {
            comment = true;
        } else if (c == '\n') {
            comment = false;
        } else if (!comment && !isspace((unsigned char)c)) {
            text[out++] = c;
        }
    }
    text[out] = '\0';
    return text;
}

void umf_ctl_init(void) {
    const char *env = getenv("UMF_CONF");
    if (env != NULL && env[0] != '\0') {
        char *copy = strdup(env);
        if (copy) {
            ctl_apply_config(copy, "UMF_CONF");
            free(copy);
        }
    }
    const char *file = getenv("UMF_CONF_FILE");
    if (file != NULL && file[0] != '\0') {
        char *text = ctl_read_conf_file(file);
        if (text) {
            ctl_apply_config(text, "UMF_CONF_FILE");
            free(text);
        }
    }
}

void umf_ctl_fini(void) {
    pthread_mutex_lock(&g_defaults_lock);
    ctl_default_t *d = g_defaults;
    g_defaults = NULL;
    pthread_mutex_unlock(&g_defaults_lock);
    while (d) {
        ctl_default_t *next = d->next;
        free(d->name);
        free(d->key);
        free(d);
        d = next;
    }
}
