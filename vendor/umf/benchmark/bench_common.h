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

#endif
