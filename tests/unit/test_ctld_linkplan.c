/* test_ctld_linkplan.c - scheduler/ctld/linkplan.h: which pairs are probed */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scheduler/ctld/linkplan.h"

/* Every pair planned, counted: seen[i * n + j] for i < j.  Fails on a
 * self pair, a pair out of range or one named twice.  *most: the most
 * pairs one node named; *lonely: a node in no pair at all (-1: none). */
static int plan_all (const struct linkplan *p, unsigned char *seen, int *most, int *lonely)
{
    int n = p->n, partners[LINKPLAN_MAX], total = 0;
    int *degree = calloc (n + 1, sizeof (*degree));
    *most = 0;
    memset (seen, 0, (size_t)n * n);
    for (int i = 0; i < n; i++) {
        int m = linkplan_partners (p, i, partners);
        assert_true (m <= LINKPLAN_MAX);
        for (int k = 0; k < m; k++) {
            int j = partners[k];
            assert_true (j >= 0 && j < n && j != i);
            int a = i < j ? i : j, b = i < j ? j : i;
            if (seen[a * n + b]++)
                fail_msg ("n=%d: pair %d %d planned twice", n, a, b);
            degree[a]++;
            degree[b]++;
            total++;
        }
        *most = m > *most ? m : *most;
    }
    *lonely = -1;
    for (int i = 0; i < n && n > 1; i++)
        if (degree[i] == 0)
            *lonely = i;
    free (degree);
    return total;
}

/* Whether the planned pairs among nodes [first, first + count) tie them
 * all together. */
static bool connected (const unsigned char *seen, int n, int first, int count)
{
    int *comp = malloc ((count + 1) * sizeof (*comp)), changed = 1;
    for (int i = 0; i < count; i++)
        comp[i] = i;
    while (changed) {
        changed = 0;
        for (int a = 0; a < count; a++)
            for (int b = a + 1; b < count; b++)
                if (seen[(first + a) * n + first + b] && comp[a] != comp[b]) {
                    int lo = comp[a] < comp[b] ? comp[a] : comp[b];
                    comp[a] = comp[b] = lo;
                    changed = 1;
                }
    }
    bool all = true;
    for (int i = 0; i < count; i++)
        all = all && comp[i] == 0;
    free (comp);
    return all;
}

static void all_pairs_up_to_64 (void **state)
{
    unsigned char *seen = malloc (64 * 64);
    int most, lonely, first[64], count[64];
    for (int n = 1; n <= LINKPLAN_ALL_PAIRS; n++) {
        struct linkplan p = {.n = n};
        assert_int_equal (plan_all (&p, seen, &most, &lonely), n * (n - 1) / 2);
        for (int i = 0; i < n; i++) { /* leaves of 3: still every pair */
            first[i] = i / 3 * 3;
            count[i] = first[i] + 3 <= n ? 3 : n - first[i];
        }
        p = (struct linkplan){n, first, count};
        assert_int_equal (plan_all (&p, seen, &most, &lonely), n * (n - 1) / 2);
    }
    free (seen);
}

/* Beyond 64 with no declared tree: linear growth, neighbours in name
 * order, and one graph (so every node's numbers can be related to every
 * other's). */
static void bounded_beyond (void **state)
{
    static const int sizes[] = {65, 100, 257, 1000, 4096};
    for (size_t s = 0; s < sizeof (sizes) / sizeof (sizes[0]); s++) {
        int n = sizes[s], most, lonely;
        struct linkplan p = {.n = n};
        unsigned char *seen = malloc ((size_t)n * n);
        int total = plan_all (&p, seen, &most, &lonely);
        assert_true (total <= n * (LINKPLAN_NEIGHBOURS + LINKPLAN_LANDMARKS));
        assert_true (most <= LINKPLAN_NEIGHBOURS + LINKPLAN_LANDMARKS);
        for (int i = 0; i + 1 < n; i++)
            assert_true (seen[i * n + i + 1]); /* name-order neighbours */
        assert_true (connected (seen, n, 0, n));
        /* Every landmark pair is there: leaves are tied together. */
        assert_true (seen[0 * n + n / 2]);
        free (seen);
    }
}

/* Beyond 64 with a declared tree of uneven leaves (1 to 23 nodes): every
 * node is in some pair, no pair twice, the bound holds, each node is
 * paired with its leaf mates up to LINKPLAN_NEIGHBOURS away around its
 * leaf (all of them in leaves of up to 9), every leaf is tied together by
 * its own pairs, and pairs across leaves are only landmark pairs. */
static void declared_leaves_beyond (void **state)
{
    static const int sizes[] = {65, 100, 257, 1000};
    unsigned seed = 7;
    for (size_t s = 0; s < sizeof (sizes) / sizeof (sizes[0]); s++) {
        int n = sizes[s], most, lonely;
        int *first = malloc (n * sizeof (*first)), *count = malloc (n * sizeof (*count));
        bool *mark = calloc (n, sizeof (*mark));
        for (int i = 0; i < n;) {
            seed = seed * 1103515245u + 12345u;
            int size = 1 + (int)((seed >> 8) % 23);
            if (i + size > n)
                size = n - i;
            for (int j = i; j < i + size; j++) {
                first[j] = i;
                count[j] = size;
            }
            i += size;
        }
        for (int k = 0; k < LINKPLAN_LANDMARKS; k++)
            mark[(long)k * n / LINKPLAN_LANDMARKS] = true;
        struct linkplan p = {n, first, count};
        unsigned char *seen = malloc ((size_t)n * n);
        int total = plan_all (&p, seen, &most, &lonely);
        if (lonely >= 0)
            fail_msg ("n=%d: node %d is in no pair", n, lonely);
        assert_true (total <= n * (LINKPLAN_NEIGHBOURS + LINKPLAN_LANDMARKS));
        assert_true (most <= LINKPLAN_NEIGHBOURS + LINKPLAN_LANDMARKS);
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++) {
                bool mates = first[a] == first[b];
                int d = b - a, around = count[a] - d;
                bool near = mates && (d <= LINKPLAN_NEIGHBOURS || around <= LINKPLAN_NEIGHBOURS);
                if (near && !seen[a * n + b])
                    fail_msg ("n=%d: leaf mates %d %d (leaf of %d) not planned", n, a, b, count[a]);
                if (!mates && seen[a * n + b] && !mark[a] && !mark[b])
                    fail_msg ("n=%d: %d %d across leaves, neither a landmark", n, a, b);
            }
        for (int i = 0; i < n; i += count[i])
            assert_true (connected (seen, n, first[i], count[i]));
        assert_true (connected (seen, n, 0, n));
        free (seen);
        free (first);
        free (count);
        free (mark);
    }
}

int main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (all_pairs_up_to_64),
        cmocka_unit_test (bounded_beyond),
        cmocka_unit_test (declared_leaves_beyond),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
