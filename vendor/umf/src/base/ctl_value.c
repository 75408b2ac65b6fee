/* Values of CTL nodes, binary or text (see ctl_value.h). */
#include "ctl_value.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Copies a text value into buf; false when it has no NUL within size or is too long to be a number. */
static bool text_value(const void *arg, size_t size, char *buf, size_t bufsize) {
    if (arg == NULL || size == 0) {
        return false;
    }
    size_t len = strnlen(arg, size);
    if (len == 0 || len >= bufsize) {
        return false;
    }
    memcpy(buf, arg, len);
    buf[len] = '\0';
    return true;
}

umf_result_t umf_ctl_arg_int(umf_ctl_query_source_t source, const void *arg, size_t size, int *out) {
    if (source == CTL_QUERY_CONFIG_INPUT) {
        char buf[64], *end = NULL;
        if (!text_value(arg, size, buf, sizeof(buf))) {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        errno = 0;
        long long v = strtoll(buf, &end, 0);
        if (errno != 0 || *end != '\0' || v < INT_MIN || v > INT_MAX) {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        *out = (int)v;
        return UMF_RESULT_SUCCESS;
    }
    if (arg == NULL || size != sizeof(int)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    memcpy(out, arg, sizeof(int));
    return UMF_RESULT_SUCCESS;
}

umf_result_t umf_ctl_arg_size(umf_ctl_query_source_t source, const void *arg, size_t size, size_t *out) {
    if (source == CTL_QUERY_CONFIG_INPUT) {
        char buf[64], *end = NULL;
        /* strtoull would quietly wrap "-1" around to the largest value */
        if (!text_value(arg, size, buf, sizeof(buf)) || strchr(buf, '-') != NULL) {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        errno = 0;
        unsigned long long v = strtoull(buf, &end, 0);
        if (errno != 0 || *end != '\0' || v > SIZE_MAX) {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        *out = (size_t)v;
        return UMF_RESULT_SUCCESS;
    }
    if (arg == NULL || size != sizeof(size_t)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    memcpy(out, arg, sizeof(size_t));
    return UMF_RESULT_SUCCESS;
}

umf_result_t umf_ctl_arg_bool(umf_ctl_query_source_t source, const void *arg, size_t size, bool *out) {
    if (source == CTL_QUERY_CONFIG_INPUT) {
        char buf[4];
        if (!text_value(arg, size, buf, sizeof(buf)) || buf[1] != '\0') {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        if (strchr("1yY", buf[0])) {
            *out = true;
        } else if (strchr("0nN", buf[0])) {
            *out = false;
        } else {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        return UMF_RESULT_SUCCESS;
    }
    if (arg != NULL && size == sizeof(int)) {
        int v;
        memcpy(&v, arg, sizeof(v));
        *out = v != 0;
        return UMF_RESULT_SUCCESS;
    }
    if (arg != NULL && size == sizeof(bool)) {
        *out = *(const unsigned char *)arg != 0;
        return UMF_RESULT_SUCCESS;
    }
    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

umf_result_t umf_ctl_out_size(void *arg, size_t size, size_t value) {
    if (arg == NULL || size != sizeof(size_t)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    memcpy(arg, &value, sizeof(value));
    return UMF_RESULT_SUCCESS;
}

umf_result_t umf_ctl_out_int(void *arg, size_t size, int value) {
    if (arg == NULL || size != sizeof(int)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    memcpy(arg, &value, sizeof(value));
    return UMF_RESULT_SUCCESS;
}

umf_result_t umf_ctl_out_bool(void *arg, size_t size, bool value) {
    if (arg != NULL && size == sizeof(int)) {
        int v = value;
        memcpy(arg, &v, sizeof(v));
        return UMF_RESULT_SUCCESS;
    }
    if (arg != NULL && size == sizeof(bool)) {
        *(unsigned char *)arg = value;
        return UMF_RESULT_SUCCESS;
    }
    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

bool umf_ctl_resolve_path(const char *name, va_list args, char *out, size_t outsize) {
    size_t n = 0;
    const char *s = name;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        const char *node = s;
        if (len == 2 && s[0] == '{' && s[1] == '}') {
            node = va_arg(args, const char *);
            if (node == NULL) {
                return false;
            }
            len = strlen(node);
        }
        if (n + len + 2 > outsize) {
            return false;
        }
        memcpy(out + n, node, len);
        n += len;
        if (dot) {
            out[n++] = '.';
        }
        s = dot ? dot + 1 : s + strlen(s);
    }
    out[n] = '\0';
    return true;
}
