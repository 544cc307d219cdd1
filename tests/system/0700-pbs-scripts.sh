#!/bin/sh
# A directory of job scripts written as PBS Professional / OpenPBS and
# Torque sites write them (tests/fixtures/pbs-scripts: select chunks with
# mpiprocs/ompthreads/ngpus/mem, place, nodes=N:ppn=M with a property and
# host lists, walltime forms, -A, -m/-M, -j, -k, -o/-e, -V, -v lists, -S,
# -P, -a, -c, -u, -W group_list/umask/sandbox/block, cput/pvmem/file/
# software, indented directives, Torque's -d/-w) is accepted whole, and
# qstat -f shows each request under PBS's attribute names
# (expected/pbs-scripts.txt).  Before, qsub refused most of them (-A,
# -P, -S, -m, ompthreads, pvmem, nodes=N:property...).
. "$top_srcdir/tests/system/lib.sh"

cluster_up --nodes 2 --ctld-opt "node_labels=node01:a100,gpu_type=a100 node02:ib"
work="$TEST_TMP/work"
mkdir -p "$work/logs" && cd "$work" || fail "cannot make $work"
fixtures="$top_srcdir/tests/fixtures/pbs-scripts"
host=$(hostname)
out="$TEST_TMP/pbs-scripts.txt"
: >"$out"
export TZ=UTC FX_EXPORTED=from-env

n=0
for script in "$fixtures"/*.pbs; do
    name=$(basename "$script")
    # held: qstat shows the request, not what running made of it
    jobid=$(qsub -h "$script" 2>"$TEST_TMP/err") || fail "$name refused: $(cat "$TEST_TMP/err")"
    seq=${jobid%%.*}
    server=${jobid#*.}
    n=$((n + 1))
    # qstat -f with wrapped lines joined, and what differs from run to run
    # (times, host, directories, job numbers, the harness's environment)
    # left out or named
    echo "== $name" >>"$out"
    qstat -f "$jobid" | awk '
        /^\t/ { sub(/^\t/, ""); line = line $0; next }
        { if (line != "") print line; line = $0 }
        END { if (line != "") print line }' |
        grep -Ev '^    (ctime|mtime|qtime|etime) = ' |
        sed -e "s|^Job Id: $seq\\.$server|Job Id: SEQ.SERVER|" \
            -e "s|$fixtures|FIXTURES|g" -e "s|$work|WORKDIR|g" \
            -e "s|@$host|@HOST|g" -e "s|= $host:|= HOST:|" -e "s|^    Submit_Host = $host\$|    Submit_Host = HOST|" -e "s|^    server = $server\$|    server = SERVER|" \
            -e "s|\\.\\([oe]\\)$seq\$|.\\1SEQ|" |
        awk '/^    Variable_List = / {
                 s = substr($0, 21)
                 gsub(/\\,/, "\001", s) # an escaped comma is part of a value
                 n = split(s, v, ",")
                 kept = ""
                 for (i = 1; i <= n; i++)
                     if (v[i] ~ /^FX_/ || v[i] ~ /^PBS_O_INITDIR=/)
                         kept = kept (kept == "" ? "" : ",") v[i]
                 gsub(/\001/, "\\,", kept)
                 print "    Variable_List (FX_ and PBS_O_INITDIR) = " kept
                 next
             }
             { print }' >>"$out"
    qdel "$jobid" || fail "qdel $jobid"
done
[ "$n" -ge 15 ] || fail "only $n fixture scripts"
compare_golden pbs-scripts.txt "$out"
echo "ok: $n PBS and Torque scripts accepted, qstat -f as expected/pbs-scripts.txt"
