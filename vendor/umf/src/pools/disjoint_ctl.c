/* The disjoint pool's statistics and CTL nodes (params.*, stats.*, buckets.*, post_initialize). */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "base/ctl_value.h"
#include "base/utils.h"
#include "pools/disjoint_internal.h"

/* ------------------------------------------------------------------------- */
/* Statistics and CTL                                                          */

typedef struct dp_stats {
    size_t alloc_num, alloc_pool_num, free_num;
    size_t curr_slabs_in_use, curr_slabs_in_pool, max_slabs_in_use, max_slabs_in_pool;
    size_t used, reserved;
} dp_stats_t;

/* Adds the statistics of class cls (or of every class when cls < 0). */
static void dp_collect(dp_pool_t *p, long cls, dp_stats_t *st) {
    memset(st, 0, sizeof(*st));
    if (atomic_load_explicit(&p->ready, memory_order_acquire)) {
        for (unsigned a = 0; a < p->narenas; a++) {
            for (unsigned c = 0; c < p->nclasses; c++) {
                if (cls >= 0 && (unsigned long)cls != c) {
                    continue;
                }
                dp_bucket_t *b = &p->buckets[a * p->nclasses + c];
                dp_lock(&b->lock);
                st->alloc_num += b->alloc_num;
                st->alloc_pool_num += b->alloc_pool_num;
                st->free_num += b->free_num;
                st->curr_slabs_in_use += dp_in_use(b);
                st->curr_slabs_in_pool += dp_in_pool(b);
                st->max_slabs_in_use += b->max_slabs_in_use;
                st->max_slabs_in_pool += b->max_slabs_in_pool;
                st->used += (b->alloc_num - b->free_num) * b->size;
                st->reserved += (b->avail.count + b->full.count + b->empty.count) * b->slab_size;
                dp_unlock(&b->lock);
            }
        }
    }
    if (atomic_load_explicit(&p->ready, memory_order_acquire)) {
        /* chunks parked in thread caches are not in use */
        pthread_mutex_lock(&dp_tc_lock);
        for (dp_tcache_t *tc = p->tc_list; tc; tc = tc->next) {
            for (unsigned c = 0; c < tc->nclasses; c++) {
                if (cls < 0 || (unsigned long)cls == c) {
                    st->used -= atomic_load_explicit(&tc->bins[c].count, memory_order_relaxed) * p->cls->class_size[c];
                }
            }
        }
        pthread_mutex_unlock(&dp_tc_lock);
    }
    if (cls < 0) {
        pthread_mutex_lock(&p->large_lock);
        st->used += p->large_usable;
        st->reserved += p->large_bytes;
        pthread_mutex_unlock(&p->large_lock);
    }
}

/* Reads the next path node into buf; returns false at the end. "{}" takes nothing here. */
static bool dp_next_node(const char **path, char *buf, size_t bufsize) {
    const char *s = *path;
    if (s == NULL || *s == '\0') {
        return false;
    }
    const char *dot = strchr(s, '.');
    size_t len = dot ? (size_t)(dot - s) : strlen(s);
    if (len >= bufsize) {
        len = bufsize - 1; /* too long for any node: keeps failing the match */
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    *path = dot ? dot + 1 : s + strlen(s);
    return true;
}

static umf_result_t dp_ctl_size_out(void *arg, size_t size, size_t value) { return umf_ctl_out_size(arg, size, value); }

/* Answers stats.<name> for a class (or the pool); trace levels as upstream UMF. */
static umf_result_t dp_ctl_stat(dp_pool_t *p, long cls, const char *name, void *arg, size_t size,
                                umf_ctl_query_type_t type) {
    static const char *const trace1[] = {"curr_slabs_in_use", "curr_slabs_in_pool", "max_slabs_in_use",
                                         "max_slabs_in_pool"};
    static const char *const trace2[] = {"alloc_num", "alloc_pool_num", "free_num"};
    int level = -1;
    for (size_t i = 0; i < UMF_ARRAY_SIZE(trace1); i++) {
        if (strcmp(name, trace1[i]) == 0) {
            level = 1;
        }
    }
    for (size_t i = 0; i < UMF_ARRAY_SIZE(trace2); i++) {
        if (strcmp(name, trace2[i]) == 0) {
            level = 2;
        }
    }
    if (cls < 0 && (strcmp(name, "used_memory") == 0 || strcmp(name, "reserved_memory") == 0)) {
        level = 0;
    }
    if (level < 0) {
        return UMF_RESULT_ERROR_INVALID_CTL_PATH;
    }
    if (type != CTL_QUERY_READ) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    if (arg == NULL || size != sizeof(size_t)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (p->params.pool_trace < level) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    dp_stats_t st;
    dp_collect(p, cls, &st);
    size_t v = 0;
    if (strcmp(name, "used_memory") == 0) {
        v = st.used;
    } else if (strcmp(name, "reserved_memory") == 0) {
        v = st.reserved;
    } else if (strcmp(name, "alloc_num") == 0) {
        v = st.alloc_num;
    } else if (strcmp(name, "alloc_pool_num") == 0) {
        v = st.alloc_pool_num;
    } else if (strcmp(name, "free_num") == 0) {
        v = st.free_num;
    } else if (strcmp(name, "curr_slabs_in_use") == 0) {
        v = st.curr_slabs_in_use;
    } else if (strcmp(name, "curr_slabs_in_pool") == 0) {
        v = st.curr_slabs_in_pool;
    } else if (strcmp(name, "max_slabs_in_use") == 0) {
        v = st.max_slabs_in_use;
    } else if (strcmp(name, "max_slabs_in_pool") == 0) {
        v = st.max_slabs_in_pool;
    }
    return dp_ctl_size_out(arg, size, v);
}

/* Parses a bucket index node: digits, or "{}" which takes a size_t argument. */
static bool dp_ctl_index(const char *node, va_list *args, size_t *out) {
    if (strcmp(node, "{}") == 0) {
        *out = va_arg(*args, size_t);
        return true;
    }
    if (*node == '\0') {
        return false;
    }
    size_t v = 0;
    for (const char *c = node; *c; c++) {
        if (*c < '0' || *c > '9') {
            return false;
        }
        if (v > (SIZE_MAX - 9) / 10) {
            v = SIZE_MAX;
        } else {
            v = v * 10 + (size_t)(*c - '0');
        }
    }
    *out = v;
    return true;
}

/* A name node: literal, or "{}" which takes a const char * argument. */
static const char *dp_ctl_name(const char *node, va_list *args) {
    if (strcmp(node, "{}") == 0) {
        const char *s = va_arg(*args, const char *);
        return s ? s : "";
    }
    return node;
}

static umf_result_t dp_ctl_param(dp_pool_t *p, umf_ctl_query_source_t source, const char *name, void *arg, size_t size,
                                 umf_ctl_query_type_t type) {
    size_t *field = NULL;
    if (strcmp(name, "slab_min_size") == 0) {
        field = &p->params.slab_min_size;
    } else if (strcmp(name, "max_poolable_size") == 0) {
        field = &p->params.max_poolable_size;
    } else if (strcmp(name, "capacity") == 0) {
        field = &p->params.capacity;
    } else if (strcmp(name, "min_bucket_size") == 0) {
        field = &p->params.min_bucket_size;
    } else if (strcmp(name, "pool_trace") != 0) {
        return UMF_RESULT_ERROR_INVALID_CTL_PATH;
    }
    if (type == CTL_QUERY_RUNNABLE) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    if (type == CTL_QUERY_READ) {
        return field ? umf_ctl_out_size(arg, size, *field) : umf_ctl_out_int(arg, size, p->params.pool_trace);
    }
    /* binary of exactly the field's size from the API, text from UMF_CONF */
    size_t new_size = 0;
    int new_int = 0;
    umf_result_t vrc = field ? umf_ctl_arg_size(source, arg, size, &new_size) : umf_ctl_arg_int(source, arg, size, &new_int);
    if (vrc != UMF_RESULT_SUCCESS) {
        return vrc;
    }
    pthread_mutex_lock(&p->setup_lock);
    umf_result_t rc = UMF_RESULT_SUCCESS;
    if (p->sealed || atomic_load(&p->ready)) {
        rc = UMF_RESULT_ERROR_NOT_SUPPORTED; /* the pool is created: its geometry is fixed */
    } else if (field) {
        if (field == &p->params.min_bucket_size && !IS_POWER_OF_2(new_size)) {
            rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        } else {
            *field = new_size;
        }
    } else {
        p->params.pool_trace = new_int;
    }
    pthread_mutex_unlock(&p->setup_lock);
    return rc;
}

umf_result_t dp_ctl(void *pool, umf_ctl_query_source_t source, const char *name, void *arg, size_t size,
                           umf_ctl_query_type_t queryType, va_list args) {
    dp_pool_t *p = pool;
    if (p == NULL || name == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t rc = umf_xstats_ctl(&p->xs, source, name, arg, size, queryType, args);
    if (rc != UMF_RESULT_ERROR_INVALID_CTL_PATH) {
        return rc;
    }
    va_list ap;
    va_copy(ap, args);
    const char *path = name;
    char n1[64], n2[64], n3[64], n4[64];
    bool has1 = dp_next_node(&path, n1, sizeof(n1));
    bool has2 = has1 && dp_next_node(&path, n2, sizeof(n2));
    bool has3 = has2 && dp_next_node(&path, n3, sizeof(n3));
    bool has4 = has3 && dp_next_node(&path, n4, sizeof(n4));
    bool more = has4 && *path != '\0';
    if (!has1 || more) {
        goto out;
    }
    if (strcmp(n1, "post_initialize") == 0 && !has2) {
        if (queryType != CTL_QUERY_RUNNABLE) {
            rc = UMF_RESULT_ERROR_NOT_SUPPORTED;
        } else {
            /* only seals the params: the buckets (narenas * nclasses of them, hundreds of KiB on a
             * many-core machine) wait for the first allocation, so an unused pool stays small */
            pthread_mutex_lock(&p->setup_lock);
            p->sealed = true;
            pthread_mutex_unlock(&p->setup_lock);
            rc = umf_xstats_seal(&p->xs);
        }
    } else if (strcmp(n1, "params") == 0 && has2 && !has3) {
        rc = dp_ctl_param(p, source, dp_ctl_name(n2, &ap), arg, size, queryType);
    } else if (strcmp(n1, "stats") == 0 && has2 && !has3) {
        rc = dp_ctl_stat(p, -1, dp_ctl_name(n2, &ap), arg, size, queryType);
    } else if (strcmp(n1, "buckets") == 0 && has2) {
        if (strcmp(n2, "count") == 0 && !has3) {
            if (queryType != CTL_QUERY_READ) {
                rc = UMF_RESULT_ERROR_NOT_SUPPORTED;
            } else {
                dp_setup(p);
                rc = dp_ctl_size_out(arg, size, p->nclasses);
            }
            goto out;
        }
        size_t idx;
        if (!has3 || !dp_ctl_index(n2, &ap, &idx)) {
            goto out;
        }
        bool is_size = strcmp(n3, "size") == 0 && !has4;
        bool is_stat = strcmp(n3, "stats") == 0 && has4;
        if (!is_size && !is_stat) {
            goto out;
        }
        const char *stat = is_stat ? dp_ctl_name(n4, &ap) : NULL;
        dp_setup(p);
        if (idx >= p->nclasses) {
            rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        } else if (is_size) {
            rc = queryType != CTL_QUERY_READ ? UMF_RESULT_ERROR_NOT_SUPPORTED
                                             : dp_ctl_size_out(arg, size, p->cls->class_size[idx]);
        } else {
            rc = dp_ctl_stat(p, (long)idx, stat, arg, size, queryType);
        }
    }
out:
    va_end(ap);
    return rc;
}

/* stats.alloc_count without a counter of its own: the buckets count chunks handed out and given
 * back under their locks anyway; chunks parked in thread caches are free, large allocations are
 * in the hash map. Costs the fast paths nothing; a read walks the buckets. */
size_t dp_live_count(void *pool) {
    dp_pool_t *p = pool;
    long long live = 0;
    if (atomic_load_explicit(&p->ready, memory_order_acquire)) {
        for (unsigned i = 0; i < p->narenas * p->nclasses; i++) {
            dp_bucket_t *b = &p->buckets[i];
            dp_lock(&b->lock);
            live += (long long)(b->alloc_num - b->free_num);
            dp_unlock(&b->lock);
        }
        pthread_mutex_lock(&dp_tc_lock);
        for (dp_tcache_t *tc = p->tc_list; tc; tc = tc->next) {
            for (unsigned c = 0; c < tc->nclasses; c++) {
                live -= atomic_load_explicit(&tc->bins[c].count, memory_order_relaxed);
            }
        }
        pthread_mutex_unlock(&dp_tc_lock);
    }
    pthread_mutex_lock(&p->large_lock);
    live += (long long)p->large_count;
    pthread_mutex_unlock(&p->large_lock);
    /* threads refilling or draining their caches while this reads may make it briefly low */
    return live > 0 ? (size_t)live : 0;
}

