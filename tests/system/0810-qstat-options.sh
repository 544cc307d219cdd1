#!/bin/sh
# qstat's OpenPBS options with real jobs: -i (not running), -r (running),
# -H (finished), -s (comments), -1, -w, -G/-M, -F dsv [-D], -u with a list
# of users, destination operands (QUEUE, @SERVER, QUEUE@SERVER; an unknown
# queue exits 170 as PBS), "Unknown Job Id SEQ.SERVER" for an unknown id,
# and PBS's "conflicting options".
. "$top_srcdir/tests/system/lib.sh"

need_root
need_users
ensure_user hu0810a
ensure_user hu0810b
cluster_up --nodes 2 --synthetic "pack:1 core:2 pu:1"
server=$(qstat -F json -x 2>/dev/null | sed -n 's/^ *"pbs_server":"\(.*\)",*$/\1/p')

mkdir -m 1777 work && cd work || fail "cd work"
ra=$(as_user hu0810a qsub -l select=1:ncpus=1 -N running_a -- /bin/sleep 300) || fail "qsub as hu0810a"
qa=$(as_user hu0810a qsub -h -l select=1:ncpus=1 -N held_a -- /bin/true) || fail "qsub -h as hu0810a"
rb=$(as_user hu0810b qsub -l select=1:ncpus=1:mem=256mb -N running_b -- /bin/sleep 300) || fail "qsub as hu0810b"
fin=$(qsub -l select=1:ncpus=1 -N done_root -- /bin/true) || fail "qsub as root"
cd .. || fail "cd back"
wait_job "$ra" R
wait_job "$rb" R
wait_job "$fin" F

ids () { awk 'NR > 5 && $1 ~ /^[0-9]/ { print $1 }' "$1" | tr '\n' ' ' | sed 's/ $//'; }
qstat -r >r.out || fail "qstat -r"
[ "$(ids r.out)" = "$ra $rb" ] || fail "qstat -r shows '$(ids r.out)', want '$ra $rb': $(cat r.out)"
qstat -i >i.out || fail "qstat -i"
[ "$(ids i.out)" = "$qa" ] || fail "qstat -i shows '$(ids i.out)', want '$qa'"
qstat -H >h.out || fail "qstat -H"
[ "$(ids h.out)" = "$fin" ] || fail "qstat -H shows '$(ids h.out)', want '$fin'"
echo "ok: -r, -i, -H select running, waiting and finished jobs"

qstat -u hu0810a,hu0810b >u.out || fail "qstat -u hu0810a,hu0810b"
[ "$(ids u.out)" = "$ra $qa $rb" ] || fail "qstat -u a,b shows '$(ids u.out)'"
qstat -u hu0810b >u1.out || fail "qstat -u hu0810b"
[ "$(ids u1.out)" = "$rb" ] || fail "qstat -u hu0810b shows '$(ids u1.out)'"
echo "ok: -u with a list of users"

qstat -s "$ra" >s.out || fail "qstat -s"
grep -q "^   Job run on node0[12]$" s.out || fail "qstat -s: no comment line: $(cat s.out)"
qstat -n -s -1 "$ra" >n1.out || fail "qstat -n -s -1"
[ "$(grep -c "^$ra" n1.out)" -eq 1 ] && grep -q "^$ra .* R .* node0[12]/[01] Job run on node0[12]$" n1.out ||
    fail "qstat -n -s -1: not one line: $(cat n1.out)"
qstat -a -G "$rb" | grep -q " 1gb .* R " || fail "qstat -G: $(qstat -a -G "$rb")"
qstat -a -M "$rb" | grep -q " 32mw .* R " || fail "qstat -M: $(qstat -a -M "$rb")"
qstat -w "$ra" | grep -q '^Job id                         Name            User  ' ||
    fail "qstat -w: $(qstat -w "$ra")"
echo "ok: -s, -n -s -1, -G, -M, -w"

qstat -f -F dsv "$ra" >dsv.out || fail "qstat -f -F dsv"
[ "$(wc -l <dsv.out)" -eq 1 ] && grep -q "^Job Id=$ra|Job_Name=running_a|Job_Owner=hu0810a@" dsv.out ||
    fail "qstat -F dsv: $(cat dsv.out)"
qstat -F dsv -D ';' "$ra" | grep -q "^Job Id=$ra;Job_Name=running_a;" || fail "qstat -F dsv -D ';'"
echo "ok: -F dsv [-D]"

qstat workq >q.out || fail "qstat workq"
[ "$(awk 'NR > 2 { print $1 }' q.out | tr '\n' ' ' | sed 's/ $//')" = "$ra $qa $rb" ] ||
    fail "qstat workq: $(cat q.out)"
qstat "@$server" >/dev/null || fail "qstat @$server"
qstat "workq@$server" >/dev/null || fail "qstat workq@$server"
expect_fail 170 "Unknown queue nosuchq" qstat nosuchq
echo "ok: destinations workq, @$server, workq@$server; an unknown queue exits 170"

expect_fail 153 "^qstat: Unknown Job Id 999.$server$" qstat 999
expect_fail 2 "conflicting options" qstat -i -r
expect_fail 2 "conflicting options" qstat -G -M
expect_fail 2 "conflicting options" qstat -1
echo "ok: unknown job id named in full; conflicting options refused"
qdel "$ra" "$rb" "$qa"
exit 0
