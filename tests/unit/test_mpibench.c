/* Unit tests for the MPI-free part of huddle's MPI benchmarks
 * (mpi-jobs/mpibench.h): options and their errors, the sizes measured, the
 * iteration count a time budget gives, and the data patterns: what the
 * ranks send checks out when delivered as MPI would, and a lost, misplaced
 * or flipped element is caught. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mpi-jobs/mpibench.h"

static const struct mpibench_opts defaults = MPIBENCH_DEFAULTS (1, 4u << 20, 1);

/* Parse the words in ap (NULL-terminated, after the program name). */
static int vparse (struct mpibench_opts *o, struct herror *err, va_list ap)
{
    char *argv[32] = {"prog"};
    int argc = 1;
    for (char *a; (a = va_arg (ap, char *)) != NULL && argc < 31;)
        argv[argc++] = a;
    argv[argc] = NULL;
    return mpibench_parse_args (o, argc, argv, err);
}

static int parse (struct mpibench_opts *o, struct herror *err, ...)
{
    va_list ap;
    va_start (ap, err);
    int rc = vparse (o, err, ap);
    va_end (ap);
    return rc;
}

static void test_options (void **state)
{
    struct mpibench_opts o = defaults;
    struct herror err = {""};

    assert_int_equal (parse (&o, &err, NULL), 0);
    assert_int_equal (o.max_size, 4u << 20);
    assert_int_equal (parse (&o, &err, "--min-size", "64k", "--max-size=4mb", "--iters", "7",
                             "--warmup", "0", "--time-limit", "2.5", "--corrupt", "3", "--op",
                             "alltoall", NULL),
                      0);
    assert_int_equal (o.min_size, 65536);
    assert_int_equal (o.max_size, 4194304);
    assert_int_equal (o.iters, 7);
    assert_int_equal (o.warmup, 0);
    assert_true (o.time_limit == 2.5);
    assert_int_equal (o.corrupt_rank, 3);
    assert_string_equal (o.op, "alltoall");
    assert_int_equal (parse (&o, &err, "--help", NULL), 1);
}

static void expect_refusal (const char *text, ...)
{
    const struct mpibench_opts before = defaults;
    struct mpibench_opts o = defaults;
    struct herror err = {""};
    va_list ap;
    va_start (ap, text);
    errno = 0;
    int rc = vparse (&o, &err, ap);
    va_end (ap);
    assert_int_equal (rc, -1);
    assert_int_equal (errno, EINVAL);
    if (strstr (err.text, text) == NULL)
        fail_msg ("error \"%s\" does not say \"%s\"", err.text, text);
    /* unchanged on failure */
    assert_int_equal (o.min_size, before.min_size);
    assert_int_equal (o.max_size, before.max_size);
    assert_int_equal (o.iters, before.iters);
    assert_int_equal (o.warmup, before.warmup);
    assert_true (o.time_limit == before.time_limit);
    assert_int_equal (o.corrupt_rank, before.corrupt_rank);
    assert_null (o.op);
}

static void test_refusals (void **state)
{
    expect_refusal ("option --max-size \"4x\": unknown unit \"x\"", "--max-size", "4x", NULL);
    expect_refusal ("--min-size 8192 is more than --max-size 4096", "--min-size", "8k",
                    "--max-size", "4k", NULL);
    expect_refusal ("want a size from 1 byte to 1gb", "--max-size", "2gb", NULL);
    expect_refusal ("want a size from 1 byte to 1gb", "--min-size", "0", NULL);
    expect_refusal ("option --iters \"0\": want a whole number", "--iters", "0", NULL);
    expect_refusal ("option --time-limit \"-1\"", "--time-limit", "-1", NULL);
    expect_refusal ("--warmup 0 needs --iters", "--warmup", "0", NULL);
    expect_refusal ("unknown option --bogus", "--bogus", NULL);
    expect_refusal ("option --iters needs a value", "--iters", NULL);
    expect_refusal ("unexpected argument \"extra\"", "extra", NULL);

    struct mpibench_opts o = defaults;
    struct herror err = {""};
    o.size_align = 4;
    o.min_size = 4;
    assert_int_equal (parse (&o, &err, "--max-size", "6", NULL), -1);
    assert_non_null (strstr (err.text, "multiples of 4 bytes"));
}

static void test_sizes (void **state)
{
    struct mpibench_opts o = defaults;
    uint64_t s[32];
    assert_int_equal (mpibench_sizes (&o, NULL, 0), 23); /* 1 B ... 4 MiB */
    assert_int_equal (mpibench_sizes (&o, s, 32), 23);
    assert_int_equal (s[0], 1);
    assert_int_equal (s[10], 1024);
    assert_int_equal (s[22], 4u << 20);

    o.min_size = 3;
    o.max_size = 10;
    assert_int_equal (mpibench_sizes (&o, s, 32), 3);
    assert_int_equal (s[0], 3);
    assert_int_equal (s[1], 6);
    assert_int_equal (s[2], 10); /* the maximum is always measured */

    o.min_size = o.max_size = 64;
    assert_int_equal (mpibench_sizes (&o, s, 1), 1);
    assert_int_equal (s[0], 64);
}

static void test_iterations (void **state)
{
    struct mpibench_opts o = defaults; /* 30 s */
    /* 30 s over 30 measurements = 1 s each: 1 ms per iteration gives 1000. */
    assert_int_equal (mpibench_iterations (&o, 30, 1e-3), 1000);
    assert_int_equal (mpibench_iterations (&o, 30, 1e-9), MPIBENCH_MAX_ITERS);
    assert_int_equal (mpibench_iterations (&o, 30, 10.0), MPIBENCH_MIN_ITERS);
    assert_int_equal (mpibench_iterations (&o, 30, 0), MPIBENCH_MAX_ITERS);
    o.iters = 5;
    assert_int_equal (mpibench_iterations (&o, 30, 10.0), 5);
}

static void test_pingpong_pattern (void **state)
{
    unsigned char a[1000], b[1000];
    mpibench_pingpong_fill (a, sizeof (a), 0);
    mpibench_pingpong_fill (b, sizeof (b), 1);
    assert_int_equal (mpibench_pingpong_check (a, sizeof (a), 0), -1);
    assert_int_equal (mpibench_pingpong_check (b, sizeof (b), 1), -1);
    /* The other side's message is not this one's. */
    assert_int_equal (mpibench_pingpong_check (a, sizeof (a), 1), 0);
    mpibench_pingpong_poison (a, sizeof (a), 0);
    assert_int_equal (mpibench_pingpong_check (a, sizeof (a), 0), 0);
    assert_int_equal (mpibench_pingpong_check (a, 1, 0), 0); /* even one byte */
    mpibench_pingpong_fill (a, sizeof (a), 0);
    mpibench_corrupt (a, sizeof (a));
    assert_int_equal (mpibench_pingpong_check (a, sizeof (a), 0), 500);
}

/* What MPI_Allreduce(MPI_SUM) delivers, done by hand. */
static void reduce (uint32_t *out, size_t count, int nranks)
{
    uint32_t *in = calloc (count, sizeof (*in));
    assert_non_null (in);
    memset (out, 0, count * sizeof (*out));
    for (int r = 0; r < nranks; r++) {
        mpibench_allreduce_fill (in, count, r);
        for (size_t j = 0; j < count; j++)
            out[j] += in[j];
    }
    free (in);
}

static void test_allreduce_pattern (void **state)
{
    enum { COUNT = 600 };
    uint32_t out[COUNT];
    /* 100000 ranks: the sum wraps around 2^32, as MPI's does. */
    const int nranks[] = {1, 2, 3, 7, 100000};
    for (size_t i = 0; i < sizeof (nranks) / sizeof (nranks[0]); i++) {
        reduce (out, COUNT, nranks[i]);
        assert_int_equal (mpibench_allreduce_check (out, COUNT, nranks[i]), -1);
    }
    reduce (out, COUNT, 4);
    assert_int_equal (mpibench_allreduce_check (out, COUNT, 3), 0); /* a rank missing */
    out[COUNT - 1] += 1;
    assert_int_equal (mpibench_allreduce_check (out, COUNT, 4), COUNT - 1);
    mpibench_allreduce_poison (out, COUNT, 4);
    assert_int_equal (mpibench_allreduce_check (out, 1, 4), 0);
}

static void test_alltoall_pattern (void **state)
{
    enum { N = 4, COUNT = 5 };
    uint32_t send[N][N * COUNT], recv[N][N * COUNT];
    for (int r = 0; r < N; r++)
        mpibench_alltoall_fill (send[r], COUNT, r, N);
    /* Rank d receives block d of every rank s as its block s. */
    for (int s = 0; s < N; s++)
        for (int d = 0; d < N; d++)
            memcpy (&recv[d][s * COUNT], &send[s][d * COUNT], COUNT * sizeof (uint32_t));
    for (int r = 0; r < N; r++)
        assert_int_equal (mpibench_alltoall_check (recv[r], COUNT, r, N), -1);

    /* Blocks from ranks 1 and 2 swapped on rank 0: caught at block 1. */
    uint32_t tmp[COUNT];
    memcpy (tmp, &recv[0][1 * COUNT], sizeof (tmp));
    memcpy (&recv[0][1 * COUNT], &recv[0][2 * COUNT], sizeof (tmp));
    memcpy (&recv[0][2 * COUNT], tmp, sizeof (tmp));
    assert_int_equal (mpibench_alltoall_check (recv[0], COUNT, 0, N), 1 * COUNT);
    /* Rank 1's blocks on rank 2: another receiver's data. */
    assert_int_equal (mpibench_alltoall_check (recv[1], COUNT, 2, N), 0);
    /* A flipped byte in block 3. */
    recv[3][3 * COUNT + 2] ^= 0x100;
    assert_int_equal (mpibench_alltoall_check (recv[3], COUNT, 3, N), 3 * COUNT + 2);
    /* Nothing delivered. */
    mpibench_alltoall_poison (recv[2], 1, 2, N);
    assert_int_equal (mpibench_alltoall_check (recv[2], 1, 2, N), 0);
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_options),
        cmocka_unit_test (test_refusals),
        cmocka_unit_test (test_sizes),
        cmocka_unit_test (test_iterations),
        cmocka_unit_test (test_pingpong_pattern),
        cmocka_unit_test (test_allreduce_pattern),
        cmocka_unit_test (test_alltoall_pattern),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
