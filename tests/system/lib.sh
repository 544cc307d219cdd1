# lib.sh - helpers for huddle's system tests (sourced, POSIX sh).
#
# The test harness (tests/system/Makefile.am) exports top_builddir,
# top_srcdir and HUDDLE_SHARED_DIR.  Exit status follows automake: 0 pass,
# 1 fail, 77 skip.

: "${top_srcdir:?top_srcdir is not set: run through make check}"
: "${top_builddir:?top_builddir is not set: run through make check}"
EXPECTED_DIR="$top_srcdir/tests/system/expected"
FIXTURE_DIR="$top_srcdir/tests/fixtures"

# A scratch directory removed on exit.
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/huddle-test.XXXXXX") || exit 99
trap 'rm -rf "$TEST_TMP"' EXIT

# skip REASON...: stop the whole test as skipped.
skip () {
    echo "SKIP: $*"
    exit 77
}

# fail REASON...: stop the whole test as failed.
fail () {
    echo "FAIL: $*" >&2
    exit 1
}

# compare_golden NAME FILE: FILE must equal expected/NAME.  With
# UPDATE_GOLDEN=1 in the environment, write FILE there instead (then review
# the diff before committing).
compare_golden () {
    _golden="$EXPECTED_DIR/$1"
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$2" "$_golden" || fail "cannot write $_golden"
        echo "updated $_golden"
        return 0
    fi
    [ -f "$_golden" ] || fail "no golden file $_golden (run with UPDATE_GOLDEN=1 to create it)"
    if ! diff -u "$_golden" "$2"; then
        fail "output differs from $_golden"
    fi
}
