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
expect "VM_BUG_ON dump" splat "$(log_verdict \
	'page dumped because: VM_BUG_ON_FOLIO(!folio_test_locked(src))')"
expect "isolation failed, then more" splat "$(log_verdict \
	'page dumped because: isolation failed, and more')"
expect "warning" splat "$(log_verdict \
	'WARNING: CPU: 1 PID: 77 at mm/migrate.c:100 move_phase+0x1/0x2')"
expect "lockdep" splat "$(log_verdict \
	'WARNING: possible circular locking dependency detected')"

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
	exit $bad
) || bad=1

[ "$bad" = 0 ] || die "the harness's own checks failed (above)"
say "harness checks passed"
