#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The harness's own judges, on made-up input: what check-log.sh calls a
# splat, and which plan entries plan_unreported finds without a result.
# Runs on the host in a second, before make test builds anything.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0

expect() {
	local what=$1 want=$2 got=$3
	if [ "$want" != "$got" ]; then
		echo "harness-check: $what: want '$want', got '$got'" >&2
		bad=1
	fi
}

# check-log.sh LINE...: "clean" or "splat" for a console log of LINEs.
log_verdict() {
	printf '%s\r\n' "$@" >"$tmp/console.log"
	if bash "$REPO/scripts/check-log.sh" "$tmp/console.log" >/dev/null; then
		echo clean
	else
		echo splat
	fi
}

expect "poweroff" clean "$(log_verdict 'Linux version 6.1' \
	'Kernel panic - not syncing: sysrq triggered crash')"
expect "offline retry dump" clean "$(log_verdict \
	'page:0000 refcount:3 mapcount:3 mapping:0000 index:0x0 pfn:0x4a2' \
	'page dumped because: isolation failed')"
expect "offline move retry dump" clean "$(log_verdict \
	'migrating pfn 140600 failed ret:31' \
	'page dumped because: migration failure')"
expect "VM_BUG_ON dump" splat "$(log_verdict \
	'page dumped because: VM_BUG_ON_FOLIO(!folio_test_locked(src))')"
expect "isolation failed, then more" splat "$(log_verdict \
	'page dumped because: isolation failed, and more')"
expect "warning" splat "$(log_verdict \
	'WARNING: CPU: 1 PID: 77 at mm/migrate.c:100 move_phase+0x1/0x2')"
expect "lockdep" splat "$(log_verdict \
	'WARNING: possible circular locking dependency detected')"

# soak-report.sh on a made-up soak, its guest exit STATUS, a sed EDIT of
# a clean soak.summary and console LINEs: "pass" or "fail", and "no
# summary" unless the summary printed, which it must either way.
soak_verdict() {
	local status=$1 edit=$2
	shift 2
	mkdir -p "$tmp/soak"
	printf '%s\n' pairs=3 failed_pairs=0 ops=9 moved=100 trinity_syscalls=50 \
		failed_runs=0 corrupted_bytes=0 leaked_isolated=0 |
		sed "$edit" >"$tmp/soak/soak.summary"
	printf '%s\r\n' "$@" >"$tmp/soak/console.log"
	if bash "$REPO/scripts/soak-report.sh" "$tmp/soak" "$status" test >"$tmp/soak/out"; then
		echo pass
	else
		echo fail
	fi
	grep -q "hung tasks" "$tmp/soak/out" || echo "no summary"
}

boot='Linux version 6.1'
expect "soak, clean" pass "$(soak_verdict 0 '' "$boot")"
expect "soak, soft lockup" fail "$(soak_verdict 0 '' "$boot" \
	'watchdog: BUG: soft lockup - CPU#3 stuck for 21s! [stress-ng-numa:549]')"
expect "soak, hung task" fail "$(soak_verdict 0 '' "$boot" \
	'INFO: task stress-ng:542 blocked for more than 61 seconds.')"
expect "soak, guest failed" fail "$(soak_verdict 1 '' "$boot")"
expect "soak, corrupted" fail "$(soak_verdict 0 's/^corrupted_bytes=0/corrupted_bytes=4/' "$boot")"
expect "soak, leaked" fail "$(soak_verdict 0 's/^leaked_isolated=0/leaked_isolated=-1/' "$boot")"
expect "soak, no trinity" fail "$(soak_verdict 0 's/^trinity_syscalls=50/trinity_syscalls=0/' "$boot")"
expect "soak, empty summary" fail "$(soak_verdict 0 '/pairs/d; /moved/d; /corrupted/d; /leaked/d; /trinity/d; /ops/d; /failed/d' "$boot")"

# The guest's view of a checkout: under /root it is bound back over the
# tmpfs; one with a space in its path is refused before booting.
expect "checkout under /root" "/root/x /root/x/build" \
	"$(echo $(guest_binds /root /root/x /root/x/build))"
expect "checkout under /root, tmpfs on /tmp" "" "$(guest_binds /tmp /root/x)"
expect "checkout /root itself" "/root" "$(guest_binds /root /root)"
expect "checkout /rootfs" "" "$(guest_binds /root /rootfs/x)"
expect "reachable /root/x" "" "$(guest_path_problem /root/x)"
expect "space refused" refused \
	"$([ -n "$(guest_path_problem "/srv/a b/x")" ] && echo refused)"
expect "relative refused" refused \
	"$([ -n "$(guest_path_problem "x/y")" ] && echo refused)"

# plan_unreported on a plan of two sections with every kind of entry.
mkdir -p "$tmp/tests/users"
for t in alpha beta; do
	touch "$tmp/tests/users/$t"
	chmod +x "$tmp/tests/users/$t"
done
cat >"$tmp/plan" <<'PLAN'
one                 10  exit  true
users/*             10  tap   $T/users/*
@guest side DIMM=1
load/thing          10  bg    true
side/users/*        10  tap   $T/users/*
PLAN
(
	T=$tmp/tests
	unset ONLY	# the caller's subset must not change the verdicts
	. "$REPO/scripts/plan-lib.sh"
	PLAN=$tmp/plan
	printf 'ok 1 one\nok 2 users/alpha:a.x\nnot ok 3 users/beta (exit status 1)\n' >"$tmp/main.tap"
	expect "main, all reported" "" "$(plan_unreported main "$tmp/main.tap")"
	printf 'ok 1 one\nok 2 users/alpha:a.x\n' >"$tmp/main.tap"
	expect "main, beta missing" " users/beta" "$(plan_unreported main "$tmp/main.tap")"
	printf 'ok 1 side/users/alpha:a.x\nnot ok 2 side/users/beta:b.y\n' >"$tmp/side.tap"
	expect "side, load missing" " load/thing" "$(plan_unreported side "$tmp/side.tap")"
	printf 'not ok 1 load/thing # XFAIL why\n' >>"$tmp/side.tap"
	expect "side, all reported" "" "$(plan_unreported side "$tmp/side.tap")"
	ONLY='users/alpha'
	expect "ONLY alpha" " users/alpha" "$(plan_unreported main /dev/null)"
	printf '# k glob why\nstock side/users/beta* beta fails\nall one* one fails\n' \
		>"$tmp/xfail"
	XFAIL=$tmp/xfail
	expect "xfail, stock" "beta fails" "$(plan_xfail stock side/users/beta:b.y)"
	expect "xfail, ours" "" "$(plan_xfail ours side/users/beta:b.y)"
	expect "xfail, all" "one fails" "$(plan_xfail ours one)"
	expect "all xfail" "beta fails" \
		"$(plan_all_xfail stock side/users/beta side/users/beta2)"
	expect "not all xfail" "" "$(plan_all_xfail stock side/users/beta two)"
	expect "none to xfail" "" "$(plan_all_xfail stock)"
	exit $bad
) || bad=1

[ "$bad" = 0 ] || die "the harness's own checks failed (above)"
say "harness checks passed"
