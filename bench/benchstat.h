/* benchstat.h - what the benchmarks share: a monotonic clock and the
 * median and 99th percentile of a run's times (header only: each bench is
 * one program with no library of its own). */
#ifndef HUDDLE_BENCH_BENCHSTAT_H
#define HUDDLE_BENCH_BENCHSTAT_H

#include <stdlib.h>
#include <time.h>

/* Microseconds of CLOCK_MONOTONIC. */
static inline double bench_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Microseconds of CPU this process has used (CLOCK_PROCESS_CPUTIME_ID): on
 * a shared machine, what a single-threaded computation cost, without the
 * time other processes had the CPU. */
static inline double bench_cpu_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline int bench_cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sort T[0..N-1] (N >= 1) and give its median and 99th percentile
 * (nearest rank). */
static inline void bench_stats (double *t, int n, double *median, double *p99)
{
    qsort (t, (size_t)n, sizeof (*t), bench_cmp_double);
    *median = t[n / 2];
    *p99 = t[(int)((n - 1) * 0.99 + 0.5)];
}

#endif
