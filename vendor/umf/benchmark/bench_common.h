/* What the C benchmarks share: reading a clock, the qsort comparison of doubles, the median. */
#ifndef UMF_BENCH_COMMON_H
#define UMF_BENCH_COMMON_H 1

#include <stdlib.h>
#include <time.h>

/* The time of a clock (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID...) in ns. */
static inline double bench_clock_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* qsort comparison of doubles, ascending. */
static inline int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of the n values of v (sorts v). */
static inline double bench_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * jemalloc's own mallocx/dallocx as the baseline of the pools: the same jemalloc 5.3.0 that libumf links
 * (scripts/jemalloc.sh), linked into the benchmark as a separate copy. BENCH_HAVE_JEMALLOC is 0 when
 * libumf was built without it.
 */
#ifdef UMF_BENCH_JEMALLOC
#define JEMALLOC_NO_DEMANGLE
#include <jemalloc/jemalloc.h>
#define BENCH_HAVE_JEMALLOC 1
static inline void *bench_je_mallocx(size_t size, int flags) { return je_mallocx(size, flags); }
static inline void bench_je_dallocx(void *ptr, int flags) { je_dallocx(ptr, flags); }
#else
#define BENCH_HAVE_JEMALLOC 0
#define MALLOCX_TCACHE_NONE (1 << 8)
static inline void *bench_je_mallocx(size_t size, int flags) { return NULL; }
static inline void bench_je_dallocx(void *ptr, int flags) {}
#endif

#endif
