/* Small internal helpers shared by every part of the framework. */
#ifndef UMF_INTERNAL_UTILS_H
#define UMF_INTERNAL_UTILS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <umf/base.h>

#include "log.h"

#define UMF_LIKELY(x) __builtin_expect(!!(x), 1)
#define UMF_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define IS_POWER_OF_2(x) ((x) != 0 && (((x) & ((x)-1)) == 0))
/* align must be a power of 2 */
#define ALIGN_UP(x, align) (((x) + ((align)-1)) & ~((uintptr_t)(align)-1))
#define ALIGN_DOWN(x, align) ((x) & ~((uintptr_t)(align)-1))
#define IS_ALIGNED(x, align) (((uintptr_t)(x) & ((uintptr_t)(align)-1)) == 0)

#define UMF_MIN(a, b) ((a) < (b) ? (a) : (b))
#define UMF_MAX(a, b) ((a) > (b) ? (a) : (b))
#define UMF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The system page size, read once. */
size_t umf_page_size(void);

/* Copies at most dst_size-1 bytes of src and always terminates dst. */
void umf_strlcpy(char *dst, const char *src, size_t dst_size);

/*
 * Turns umf_mem_protection_flag_t bits into PROT_* bits (NONE contributes
 * nothing). Returns false for 0 or unknown bits.
 */
bool umf_protection_to_prot(unsigned protection, int *prot);

/* A name is valid for CTL by_name lookups: 1..63 chars of [a-zA-Z0-9_-]. */
bool umf_name_is_valid(const char *name);

/* The first check of a params setter: a NULL handle is INVALID_ARGUMENT (logged). */
#define CHECK_PARAMS_HANDLE(h)                                                                     \
    do {                                                                                           \
        if ((h) == NULL) {                                                                         \
            LOG_ERR("params handle is NULL");                                                      \
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;                                              \
        }                                                                                          \
    } while (0)

/*
 * The name of a params SetName function: copies name into dst (dst_size bytes,
 * truncated). With strict, a name of no characters or too long for dst is
 * refused instead. INVALID_ARGUMENT (logged) for a NULL or refused name.
 */
umf_result_t umf_params_set_name(char *dst, size_t dst_size, const char *name, bool strict);

/*
 * Per-thread native error of a built-in provider. Each provider keeps one
 * `static __thread umf_native_error_t` and fills it before returning
 * UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC.
 */
#define UMF_NATIVE_ERROR_MSG_SIZE 1024
typedef struct umf_native_error_t {
    int32_t code;
    int err; /* errno at the failure, 0 if none */
    char msg[UMF_NATIVE_ERROR_MSG_SIZE];
} umf_native_error_t;

/* Records code and message; when err != 0 the message becomes "<msg>: <strerror(err)>". */
void umf_native_error_set(umf_native_error_t *e, int32_t code, int err, const char *msg);

/* get_last_native_error of a built-in provider: e's message and code; INVALID_ARGUMENT for a NULL output. */
umf_result_t umf_native_error_get(const umf_native_error_t *e, const char **ppMessage, int32_t *pError);

#endif
