/* test_ctld_linkplan.c - scheduler/ctld/linkplan.h: which pairs are probed */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scheduler/ctld/linkplan.h"

/* Every pair planned, counted: seen[i * n + j] for i < j.  Fails on a
 * self pair, a pair out of range or one named twice. */
static int plan_all (int n, unsigned char *seen, int *most)
{
    int partners[LINKPLAN_MAX], total = 0;
    *most = 0;
    memset (seen, 0, (size_t)n * n);
    for (int i = 0; i < n; i++) {
        int m = linkplan_partners (n, i, partners);
        assert_true (m <= LINKPLAN_MAX);
        for (int k = 0; k < m; k++) {
            int j = partners[k];
            assert_true (j >= 0 && j < n && j != i);
            int a = i < j ? i : j, b = i < j ? j : i;
            if (seen[a * n + b]++)
                fail_msg ("n=%d: pair %d %d planned twice", n, a, b);
            total++;
        }
        *most = m > *most ? m : *most;
    }
    return total;
}

static void all_pairs_up_to_64 (void **state)
{
    unsigned char *seen = malloc (64 * 64);
    int most;
    for (int n = 1; n <= LINKPLAN_ALL_PAIRS; n++)
        assert_int_equal (plan_all (n, seen, &most), n * (n - 1) / 2);
    free (seen);
}

/* Beyond 64: linear growth, neighbours in name order, and one graph (so
 * every node's numbers can be related to every other's). */
static void bounded_beyond (void **state)
{
    static const int sizes[] = {65, 100, 257, 1000, 4096};
    for (size_t s = 0; s < sizeof (sizes) / sizeof (sizes[0]); s++) {
        int n = sizes[s], most;
        unsigned char *seen = malloc ((size_t)n * n);
        int total = plan_all (n, seen, &most);
        assert_true (total <= n * (LINKPLAN_NEIGHBOURS + LINKPLAN_LANDMARKS));
        assert_true (most <= LINKPLAN_NEIGHBOURS + LINKPLAN_LANDMARKS);
        for (int i = 0; i + 1 < n; i++)
            assert_true (seen[i * n + i + 1]); /* name-order neighbours */
        int *comp = malloc (n * sizeof (*comp)), changed = 1;
        for (int i = 0; i < n; i++)
            comp[i] = i;
        while (changed) {
            changed = 0;
            for (int a = 0; a < n; a++)
                for (int b = a + 1; b < n; b++)
                    if (seen[a * n + b] && comp[a] != comp[b]) {
                        int lo = comp[a] < comp[b] ? comp[a] : comp[b];
                        comp[a] = comp[b] = lo;
                        changed = 1;
                    }
        }
        for (int i = 0; i < n; i++)
            assert_int_equal (comp[i], 0);
        /* Every landmark pair is there: leaves are tied together. */
        assert_true (seen[0 * n + n / 2]);
        free (comp);
        free (seen);
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (all_pairs_up_to_64),
        cmocka_unit_test (bounded_beyond),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
