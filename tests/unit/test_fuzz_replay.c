/* test_fuzz_replay: every committed input of the fuzz targets, replayed
 *
 * tests/fuzz holds one libFuzzer target per parser of outside input
 * (fuzz.h).  This program is built from the same target sources in the
 * normal build (FUZZ_REPLAY) and runs each one on every file of
 * tests/fuzz/corpus/NAME (the seeds: real inputs) and tests/fuzz/regress/NAME
 * (inputs that once crashed the target, kept so that the bug stays fixed).
 * A target aborts when the code under test breaks a promise, and the
 * sanitizer build (configure --enable-sanitizers) catches memory errors
 * too, so an input that crashes makes this test fail.  It also fails when
 * a target has no seed, or a directory of inputs has no target: an input
 * nobody replays would be a regression test that cannot fail. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/fuzz/fuzz.h"

struct target {
    const char *name;
    int (*fn) (const uint8_t *data, size_t size);
};

#define FUZZ_ROW(name) {#name, fuzz_##name},
static const struct target targets[] = {FUZZ_TARGETS (FUZZ_ROW){NULL, NULL}};

static const struct target *target_named (const char *name)
{
    for (const struct target *t = targets; t->name; t++)
        if (strcmp (t->name, name) == 0)
            return t;
    return NULL;
}

static uint8_t *read_all (const char *path, size_t *size)
{
    FILE *f = fopen (path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    assert_non_null (f);
    do {
        if (len + 4096 > cap) {
            cap = (len + 4096) * 2;
            buf = realloc (buf, cap);
            assert_non_null (buf);
        }
        n = fread (buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    assert_false (ferror (f));
    fclose (f);
    *size = len;
    return buf;
}

/* Run t on every file of DIR/KIND/NAME; how many ran. */
static int replay_dir (const struct target *t, const char *kind)
{
    char dir[512];
    snprintf (dir, sizeof (dir), "%s/%s/%s", FUZZ_DIR, kind, t->name);
    DIR *d = opendir (dir);
    if (!d) {
        assert_int_equal (errno, ENOENT);
        return 0;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        size_t size;
        snprintf (path, sizeof (path), "%s/%s", dir, e->d_name);
        uint8_t *data = read_all (path, &size);
        /* Say which input runs: a crash then names it in the log. */
        printf ("# %s %s/%s (%zu bytes)\n", t->name, kind, e->d_name, size);
        fflush (stdout);
        assert_int_equal (t->fn (data, size), 0);
        free (data);
        n++;
    }
    closedir (d);
    return n;
}

static void replay (void **state)
{
    const struct target *t = *state;
    int seeds = replay_dir (t, "corpus");
    int regress = replay_dir (t, "regress");
    printf ("# %s: %d seeds, %d regression inputs\n", t->name, seeds, regress);
    if (seeds == 0)
        fail_msg ("fuzz target %s has no seed in %s/corpus/%s", t->name, FUZZ_DIR, t->name);
}

/* Every directory of inputs belongs to a target. */
static void every_dir_has_a_target (void **state)
{
    static const char *const kinds[] = {"corpus", "regress"};
    for (size_t k = 0; k < 2; k++) {
        char dir[512];
        snprintf (dir, sizeof (dir), "%s/%s", FUZZ_DIR, kinds[k]);
        DIR *d = opendir (dir);
        if (!d) {
            assert_int_equal (errno, ENOENT);
            continue;
        }
        struct dirent *e;
        while ((e = readdir (d)))
            if (e->d_name[0] != '.' && !target_named (e->d_name))
                fail_msg ("%s/%s has no fuzz target of that name (tests/fuzz/fuzz.h)", dir,
                          e->d_name);
        closedir (d);
    }
}

int main (void)
{
    struct CMUnitTest tests[sizeof (targets) / sizeof (targets[0])];
    size_t n = 0;
    for (const struct target *t = targets; t->name; t++)
        tests[n++] = (struct CMUnitTest){t->name, replay, NULL, NULL, (void *)t};
    tests[n++] =
        (struct CMUnitTest){"every_dir_has_a_target", every_dir_has_a_target, NULL, NULL, NULL};
    return _cmocka_run_group_tests ("fuzz_replay", tests, n, NULL, NULL);
}
