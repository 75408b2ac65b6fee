/*
 * libumf_batch.so.1: the loops behind lib/'s batch calls (pool.mallocMany / pool.freeMany) and their size-table
 * work, the argument-less malloc and free of lib/'s single-allocation fast path, and a C-side malloc+free
 * loop the TypeScript benchmarks time as the C cost of a pair.
 *
 * It is a library of its own, not part of libumf.so.1, so that libumf exports exactly UMF 1.1's API. It
 * calls libumf only through that public API (umfPoolMalloc, umfPoolFree), linked by SONAME, so when a
 * process has already loaded a libumf.so.1 (an upstream one named by UMF_LIBRARY_PATH included) these loops
 * run on that one. Every entry point checks its arguments and never aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <umf/memory_pool.h>

#define BATCH_EXPORT __attribute__((visibility("default")))

/*
 * Allocates n blocks of size bytes from pool into out[0..n) (addresses as uint64_t).
 * Returns how many it allocated: n, or the index of the first failed umfPoolMalloc (the caller then reads
 * umfPoolGetLastAllocationError on this thread, frees out[0..returned) and reports the error). Returns 0
 * for a NULL pool or out.
 */
BATCH_EXPORT size_t umf_batch_malloc(umf_memory_pool_handle_t pool, size_t size, uint64_t *out, size_t n) {
    if (pool == NULL || out == NULL) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        void *p = umfPoolMalloc(pool, size);
        if (p == NULL) {
            return i;
        }
        out[i] = (uint64_t)(uintptr_t)p;
    }
    return n;
}

/*
 * Frees ptrs[0..n) to pool with umfPoolFree (0 entries are skipped). Every entry is freed even when one
 * fails; returns UMF_RESULT_SUCCESS or the first failure's code (UMF_RESULT_ERROR_INVALID_ARGUMENT for a
 * NULL pool, or a NULL ptrs with n > 0).
 */
BATCH_EXPORT int umf_batch_free(umf_memory_pool_handle_t pool, const uint64_t *ptrs, size_t n) {
    if (pool == NULL || (ptrs == NULL && n > 0)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t first = UMF_RESULT_SUCCESS;
    for (size_t i = 0; i < n; i++) {
        if (ptrs[i] == 0) {
            continue;
        }
        umf_result_t rc = umfPoolFree(pool, (void *)(uintptr_t)ptrs[i]);
        if (rc != UMF_RESULT_SUCCESS && first == UMF_RESULT_SUCCESS) {
            first = rc;
        }
    }
    return (int)first;
}

/*
 * For the benchmarks: n pairs of umfPoolMalloc(pool, size) + umfPoolFree, each block's first byte written
 * (as a program would). Returns the ns they took (CLOCK_MONOTONIC), or -1 when an allocation failed or the
 * pool is NULL.
 */
BATCH_EXPORT double umf_batch_pairs(umf_memory_pool_handle_t pool, size_t size, size_t n) {
    if (pool == NULL) {
        return -1;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t i = 0; i < n; i++) {
        void *p = umfPoolMalloc(pool, size);
        if (p == NULL) {
            return -1;
        }
        *(volatile char *)p = 1;
        umfPoolFree(pool, p);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
}

/*
 * The calling thread's argument block of umf_batch_malloc_args and umf_batch_free_args: lib/'s malloc and
 * free write their arguments here (through a Float64Array over it) instead of passing them, because koffi
 * converts each argument (~8 ns) and takes its cheapest path for a function without any.
 *   [0] the pool handle, [1] the size (malloc) or the address (free), as doubles (integers below 2^53);
 *   [2] malloc's result as a double, [3] malloc's result as a uint64_t (an address past 2^53).
 * The default TLS model, as TLS descriptors on x86-64 (vendor/umf/CMakeLists.txt: a load once glibc placed the
 * block in its static TLS reserve): initial-exec would mark the library STATIC_TLS, which dlopen() can refuse,
 * as libumf.so.1 avoids too.
 */
static __thread double call_args[4];

/* The block's address, looked up once: GCC would call __tls_get_addr again at each use. */
static inline double *this_thread_args(void) {
    double *a = call_args;
    __asm__("" : "+r"(a));
    return a;
}

/* The calling thread's argument block (4 doubles). */
BATCH_EXPORT double *umf_batch_args(void) { return call_args; }

/* Reads a double of the argument block that must be an integer from 0 to 2^53 - 1; 0 when it is not one. */
static int arg_to_uint(double d, uintptr_t *out) {
    if (!(d >= 0 && d <= 9007199254740991.0) || d != (double)(uintptr_t)d) {
        return 0;
    }
    *out = (uintptr_t)d;
    return 1;
}

/*
 * umfPoolMalloc(args[0], args[1]). Returns 1 with the address in args[2], 2 with an address past 2^53 in
 * args[3] (as a uint64_t), 0 when the allocation failed (see umfPoolGetLastAllocationError), -1 for a bad
 * pool handle or size.
 */
BATCH_EXPORT int umf_batch_malloc_args(void) {
    double *a = this_thread_args();
    uintptr_t pool, size;
    if (!arg_to_uint(a[0], &pool) || pool == 0 || !arg_to_uint(a[1], &size)) {
        return -1;
    }
    void *p = umfPoolMalloc((umf_memory_pool_handle_t)pool, size);
    if (p == NULL) {
        return 0;
    }
    uint64_t u = (uint64_t)(uintptr_t)p;
    if (u > 9007199254740991ULL) {
        memcpy(&a[3], &u, sizeof u);
        return 2;
    }
    a[2] = (double)u;
    return 1;
}

/* umfPoolFree(args[0], args[1]): its result, or UMF_RESULT_ERROR_INVALID_ARGUMENT for a bad handle or address. */
BATCH_EXPORT int umf_batch_free_args(void) {
    const double *a = this_thread_args();
    uintptr_t pool, ptr;
    if (!arg_to_uint(a[0], &pool) || pool == 0 || !arg_to_uint(a[1], &ptr) || ptr == 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return (int)umfPoolFree((umf_memory_pool_handle_t)pool, (void *)ptr);
}

/*
 * lib/'s table of the sizes it handed out (SizeTable in lib/sizes.ts), worked on in place for the batch
 * calls: the same table, done in C at a third of the cost per element. It must match lib/sizes.ts exactly:
 * two arrays of `slots` doubles (a power of 2, at least 16), keys (the address as a double, 0 for an empty
 * slot) and sizes; the home slot of a key is a Fibonacci hash of the address's low 32 bits; linear probing;
 * backward-shift deletion (no tombstones).
 */

static int table_ok(const double *keys, const double *sizes, size_t slots) {
    return keys != NULL && sizes != NULL && slots >= 16 && slots <= ((size_t)1 << 31) && (slots & (slots - 1)) == 0;
}

static unsigned table_shift(size_t slots) {
    unsigned s = 32;
    while (slots > 1) {
        slots >>= 1;
        s--;
    }
    return s;
}

static size_t home_of_low(uint32_t lo, unsigned shift) { return (size_t)((uint32_t)((lo ^ (lo >> 16)) * 0x9e3779b1u) >> shift); }

/* The home slot of a stored key: from its low 32 bits as JavaScript's `k >>> 0` takes them. */
static size_t home_of_key(double k, unsigned shift) { return home_of_low((uint32_t)(uint64_t)k, shift); }

/* Inserts or updates; returns 1 for a new key, 0 for an update, -1 when the table is full. */
static int table_put(double *keys, double *sizes, size_t slots, unsigned shift, uint64_t addr, double size) {
    double k = (double)addr;
    size_t mask = slots - 1;
    size_t i = home_of_low((uint32_t)addr, shift);
    for (size_t probes = 0; probes < slots; probes++) {
        double cur = keys[i];
        if (cur == 0) {
            keys[i] = k;
            sizes[i] = size;
            return 1;
        }
        if (cur == k) {
            sizes[i] = size;
            return 0;
        }
        i = (i + 1) & mask;
    }
    return -1;
}

/* Empties slot i, moving later members of its cluster back when their home slot allows it. */
static void table_shift_out(double *keys, double *sizes, size_t slots, unsigned shift, size_t i) {
    size_t mask = slots - 1;
    size_t hole = i;
    size_t j = (i + 1) & mask;
    for (;;) {
        double kj = keys[j];
        if (kj == 0) {
            break;
        }
        size_t home = home_of_key(kj, shift);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            keys[hole] = kj;
            sizes[hole] = sizes[j];
            hole = j;
        }
        j = (j + 1) & mask;
    }
    keys[hole] = 0;
    sizes[hole] = 0;
}

/*
 * Records addrs[0..n) with the given size in the table (the caller made room: at most half the slots used
 * after). Returns how many keys were new, or -1 for a bad table (or one that filled up).
 */
BATCH_EXPORT int64_t umf_batch_table_set(double *keys, double *sizes, size_t slots, const uint64_t *addrs, size_t n, double size) {
    if (!table_ok(keys, sizes, slots) || (addrs == NULL && n > 0)) {
        return -1;
    }
    unsigned shift = table_shift(slots);
    int64_t added = 0;
    for (size_t e = 0; e < n; e++) {
        int r = table_put(keys, sizes, slots, shift, addrs[e], size);
        if (r < 0) {
            return -1;
        }
        added += r;
    }
    return added;
}

/*
 * Removes addrs[0..n) from the table, all or none, their sizes into taken[0..n). Returns -1 when all were
 * removed; else the index of the first one not held (0, unknown, or a repeat of an earlier one), after
 * putting back the ones it removed. -2 for a bad table.
 */
BATCH_EXPORT int64_t umf_batch_table_delete(double *keys, double *sizes, size_t slots, const uint64_t *addrs, size_t n, double *taken) {
    if (!table_ok(keys, sizes, slots) || ((addrs == NULL || taken == NULL) && n > 0)) {
        return -2;
    }
    unsigned shift = table_shift(slots);
    size_t mask = slots - 1;
    for (size_t e = 0; e < n; e++) {
        uint64_t addr = addrs[e];
        double k = (double)addr;
        size_t i = home_of_low((uint32_t)addr, shift);
        int found = 0;
        if (addr != 0) {
            for (size_t probes = 0; probes < slots; probes++) {
                double cur = keys[i];
                if (cur == k) {
                    found = 1;
                    break;
                }
                if (cur == 0) {
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        if (!found) {
            for (size_t j = 0; j < e; j++) {
                table_put(keys, sizes, slots, shift, addrs[j], taken[j]);
            }
            return (int64_t)e;
        }
        taken[e] = sizes[i];
        table_shift_out(keys, sizes, slots, shift, i);
    }
    return -1;
}
