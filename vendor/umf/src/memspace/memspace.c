/* Memspaces: ordered sets of memory targets, built, changed and filtered by the user (umf/experimental/memspace.h). */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "memspace/memspace_internal.h"

umf_result_t umf_memspace_alloc(struct umf_memspace_t **out) {
    struct umf_memspace_t *ms = calloc(1, sizeof(*ms));
    if (ms == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *out = ms;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umf_memspace_append(struct umf_memspace_t *ms, struct umf_memtarget_t *t) {
    if (ms->len == ms->cap) {
        size_t cap = ms->cap ? ms->cap * 2 : 4;
        struct umf_memtarget_t **grown = realloc(ms->targets, sizeof(*grown) * cap);
        if (grown == NULL) {
            free(t);
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        ms->targets = grown;
        ms->cap = cap;
    }
    ms->targets[ms->len++] = t;
    return UMF_RESULT_SUCCESS;
}

void umf_memspace_free(struct umf_memspace_t *ms) {
    if (ms == NULL) {
        return;
    }
    for (size_t i = 0; i < ms->len; i++) {
        free(ms->targets[i]);
    }
    free(ms->targets);
    free(ms);
}

/* The changing calls refuse the shared predefined memspaces: a cast away from const must not corrupt them. */
static umf_result_t check_mutable(const struct umf_memspace_t *ms, const char *what) {
    if (ms == NULL) {
        LOG_ERR("%s: hMemspace is NULL", what);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ms->predefined) {
        LOG_ERR("%s: a predefined memspace cannot be changed; clone it first", what);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
}

static size_t find_target(const struct umf_memspace_t *ms, const struct umf_memtarget_t *t) {
    for (size_t i = 0; i < ms->len; i++) {
        if (umf_memtarget_equal(ms->targets[i], t)) {
            return i;
        }
    }
    return SIZE_MAX;
}

umf_result_t umfMemspaceNew(umf_memspace_handle_t *hMemspace) {
    if (hMemspace == NULL) {
        LOG_ERR("hMemspace is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return umf_memspace_alloc(hMemspace);
}

umf_result_t umfMemspaceCreateFromNumaArray(unsigned *nodeIds, size_t numIds, umf_memspace_handle_t *hMemspace) {
    if (nodeIds == NULL || numIds == 0 || hMemspace == NULL) {
        LOG_ERR("nodeIds or hMemspace is NULL, or numIds is 0");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct umf_memspace_t *ms = NULL;
    umf_result_t rc = umf_memspace_alloc(&ms);
    for (size_t i = 0; rc == UMF_RESULT_SUCCESS && i < numIds; i++) {
        struct umf_memtarget_t *t = NULL;
        rc = umf_memtarget_numa_create(nodeIds[i], &t);
        if (rc != UMF_RESULT_SUCCESS) {
            break;
        }
        if (find_target(ms, t) != SIZE_MAX) {
            LOG_ERR("NUMA node %u is listed twice", nodeIds[i]);
            free(t);
            rc = UMF_RESULT_ERROR_INVALID_ARGUMENT;
            break;
        }
        rc = umf_memspace_append(ms, t);
    }
    if (rc != UMF_RESULT_SUCCESS) {
        umf_memspace_free(ms);
        return rc;
    }
    *hMemspace = ms;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfMemspaceDestroy(umf_memspace_handle_t hMemspace) {
    umf_result_t rc = check_mutable(hMemspace, "umfMemspaceDestroy");
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    umf_memspace_free(hMemspace);
    return UMF_RESULT_SUCCESS;
}

size_t umfMemspaceMemtargetNum(umf_const_memspace_handle_t hMemspace) {
    return hMemspace == NULL ? 0 : hMemspace->len;
}

umf_const_memtarget_handle_t umfMemspaceMemtargetGet(umf_const_memspace_handle_t hMemspace, unsigned targetNum) {
    if (hMemspace == NULL || targetNum >= hMemspace->len) {
        return NULL;
    }
    return hMemspace->targets[targetNum];
}

umf_result_t umfMemspaceMemtargetAdd(umf_memspace_handle_t hMemspace, umf_const_memtarget_handle_t hMemtarget) {
    umf_result_t rc = check_mutable(hMemspace, "umfMemspaceMemtargetAdd");
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    if (hMemtarget == NULL) {
        LOG_ERR("hMemtarget is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (hMemspace->len > 0 && hMemspace->targets[0]->type != hMemtarget->type) {
        LOG_ERR("a memspace holds targets of one type only");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (find_target(hMemspace, hMemtarget) != SIZE_MAX) {
        LOG_ERR("the memspace already holds target %u", hMemtarget->id);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct umf_memtarget_t *copy = malloc(sizeof(*copy));
    if (copy == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *copy = *hMemtarget;
    return umf_memspace_append(hMemspace, copy);
}

/* Removes the target at index i, keeping the order of the rest. */
static void remove_at(struct umf_memspace_t *ms, size_t i) {
    free(ms->targets[i]);
    memmove(&ms->targets[i], &ms->targets[i + 1], sizeof(*ms->targets) * (ms->len - i - 1));
    ms->len--;
}

umf_result_t umfMemspaceMemtargetRemove(umf_memspace_handle_t hMemspace, umf_const_memtarget_handle_t hMemtarget) {
    umf_result_t rc = check_mutable(hMemspace, "umfMemspaceMemtargetRemove");
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    if (hMemtarget == NULL) {
        LOG_ERR("hMemtarget is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    /* hMemtarget may be the very target removed: it is not read after the search. */
    size_t i = find_target(hMemspace, hMemtarget);
    if (i == SIZE_MAX) {
        LOG_ERR("the memspace does not hold target %u", hMemtarget->id);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    remove_at(hMemspace, i);
    return UMF_RESULT_SUCCESS;
}

umf_result_t umfMemspaceClone(umf_const_memspace_handle_t hMemspace, umf_memspace_handle_t *hNewMemspace) {
    if (hMemspace == NULL || hNewMemspace == NULL) {
        LOG_ERR("hMemspace or hNewMemspace is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    struct umf_memspace_t *ms = NULL;
    umf_result_t rc = umf_memspace_alloc(&ms);
    for (size_t i = 0; rc == UMF_RESULT_SUCCESS && i < hMemspace->len; i++) {
        struct umf_memtarget_t *copy = malloc(sizeof(*copy));
        if (copy == NULL) {
            rc = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
            break;
        }
        *copy = *hMemspace->targets[i];
        rc = umf_memspace_append(ms, copy);
    }
    if (rc != UMF_RESULT_SUCCESS) {
        umf_memspace_free(ms);
        return rc;
    }
    *hNewMemspace = ms;
    return UMF_RESULT_SUCCESS;
}

/* The verdict on one target: <0 error, 0 remove, >0 keep. */
typedef int (*verdict_fn)(const struct umf_memspace_t *ms, const struct umf_memtarget_t *t, const void *arg);

/* All or nothing: every verdict is taken before anything is removed, so a failing verdict leaves the memspace as it was. */
static umf_result_t filter(struct umf_memspace_t *ms, verdict_fn verdict, const void *arg) {
    if (ms->len == 0) {
        return UMF_RESULT_SUCCESS;
    }
    unsigned char *keep = malloc(ms->len);
    if (keep == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    for (size_t i = 0; i < ms->len; i++) {
        int v = verdict(ms, ms->targets[i], arg);
        if (v < 0) {
            free(keep);
            return UMF_RESULT_ERROR_USER_SPECIFIC;
        }
        keep[i] = v > 0;
    }
    size_t out = 0;
    for (size_t i = 0; i < ms->len; i++) {
        if (keep[i]) {
            ms->targets[out++] = ms->targets[i];
        } else {
            free(ms->targets[i]);
        }
    }
    ms->len = out;
    free(keep);
    return UMF_RESULT_SUCCESS;
}

typedef struct id_list_t {
    const unsigned *ids;
    size_t len;
} id_list_t;

static int keep_listed(const struct umf_memspace_t *ms, const struct umf_memtarget_t *t, const void *arg) {
    const id_list_t *list = arg;
    for (size_t i = 0; i < list->len; i++) {
        if (list->ids[i] == t->id) {
            return 1;
        }
    }
    return 0;
}

umf_result_t umfMemspaceFilterById(umf_memspace_handle_t hMemspace, unsigned *ids, size_t size) {
    umf_result_t rc = check_mutable(hMemspace, "umfMemspaceFilterById");
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    if (ids == NULL || size == 0) {
        LOG_ERR("ids is NULL or size is 0");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    id_list_t list = {ids, size};
    return filter(hMemspace, keep_listed, &list);
}

static int keep_large(const struct umf_memspace_t *ms, const struct umf_memtarget_t *t, const void *arg) {
    return t->capacity >= *(const size_t *)arg;
}

umf_result_t umfMemspaceFilterByCapacity(umf_memspace_handle_t hMemspace, int64_t size) {
    umf_result_t rc = check_mutable(hMemspace, "umfMemspaceFilterByCapacity");
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    if (size < 0) {
        LOG_ERR("negative capacity %lld", (long long)size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t least = (size_t)size;
    return filter(hMemspace, keep_large, &least);
}

typedef struct user_filter_t {
    umf_memspace_filter_func_t fn;
    void *args;
} user_filter_t;

static int keep_user(const struct umf_memspace_t *ms, const struct umf_memtarget_t *t, const void *arg) {
    const user_filter_t *uf = arg;
    return uf->fn(ms, t, uf->args);
}

umf_result_t umfMemspaceUserFilter(umf_memspace_handle_t hMemspace, umf_memspace_filter_func_t filterFn, void *args) {
    umf_result_t rc = check_mutable(hMemspace, "umfMemspaceUserFilter");
    if (rc != UMF_RESULT_SUCCESS) {
        return rc;
    }
    if (filterFn == NULL) {
        LOG_ERR("filter is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    user_filter_t uf = {filterFn, args};
    return filter(hMemspace, keep_user, &uf);
}
