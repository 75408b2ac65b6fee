#include "utils.h"

#include <umf/memory_provider.h>

#include <stdatomic.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>

size_t umf_page_size(void) {
    static _Atomic size_t cached;
    size_t size = atomic_load_explicit(&cached, memory_order_relaxed);
    if (UMF_UNLIKELY(size == 0)) {
        long sc = sysconf(_SC_PAGESIZE);
        size = sc > 0 ? (size_t)sc : 4096;
        atomic_store_explicit(&cached, size, memory_order_relaxed);
    }
    return size;
}

void umf_strlcpy(char *dst, const char *src, size_t dst_size) {
    if (dst_size == 0) {
        return;
    }
    size_t n = strnlen(src, dst_size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

bool umf_name_is_valid(const char *name) {
    if (name == NULL || name[0] == '\0') {
        return false;
    }
    size_t i = 0;
    for (; name[i] != '\0'; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok || i >= 63) {
            return false;
        }
    }
    return true;
}

void umf_native_error_set(umf_native_error_t *e, int32_t code, int err, const char *msg) {
    e->code = code;
    e->err = err;
    if (err != 0) {
        char buf[256];
        /* GNU strerror_r may return a static string instead of filling buf */
        const char *text = strerror_r(err, buf, sizeof(buf));
        size_t used = strnlen(msg, sizeof(e->msg) - 1);
        memcpy(e->msg, msg, used);
        e->msg[used] = '\0';
        if (used + 2 < sizeof(e->msg)) {
            memcpy(e->msg + used, ": ", 2);
            umf_strlcpy(e->msg + used + 2, text, sizeof(e->msg) - used - 2);
        }
    } else {
        umf_strlcpy(e->msg, msg, sizeof(e->msg));
    }
}

umf_result_t umf_native_error_get(const umf_native_error_t *e, const char **ppMessage, int32_t *pError) {
    if (ppMessage == NULL || pError == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *ppMessage = e->msg;
    *pError = e->code;
    return UMF_RESULT_SUCCESS;
}

umf_result_t umf_params_set_name(char *dst, size_t dst_size, const char *name, bool strict) {
    if (name == NULL) {
        LOG_ERR("name is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (strict) {
        size_t len = strnlen(name, dst_size);
        if (len == 0 || len >= dst_size) {
            LOG_ERR("the name must have 1 to %zu characters", dst_size - 1);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
    }
    umf_strlcpy(dst, name, dst_size);
    return UMF_RESULT_SUCCESS;
}

bool umf_protection_to_prot(unsigned protection, int *prot) {
    const unsigned all = UMF_PROTECTION_NONE | UMF_PROTECTION_READ | UMF_PROTECTION_WRITE | UMF_PROTECTION_EXEC;
    if (protection == 0 || (protection & ~all) != 0) {
        return false;
    }
    int p = PROT_NONE;
    if (protection & UMF_PROTECTION_READ) {
        p |= PROT_READ;
    }
    if (protection & UMF_PROTECTION_WRITE) {
        p |= PROT_WRITE;
    }
    if (protection & UMF_PROTECTION_EXEC) {
        p |= PROT_EXEC;
    }
    *prot = p;
    return true;
}
