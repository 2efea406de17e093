#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest: the test plan, as TAP, into /mnt/results/results.tap.
# Env: T (built tests), REPO, PM_KERNEL (ours|stock), SECTION (the
# plan's guest section), ONLY (a glob on test names, optional).
set -u
. "$REPO/scripts/plan-lib.sh"
TAP=/mnt/results/results.tap
XFAIL=$REPO/scripts/expected-failures
n=0
: >"$TAP"

xfail_reason() {
	awk -v k="$PM_KERNEL" -v t="$1" '
	$1 !~ /^#/ && ($1 == k || $1 == "all") && $2 == t {
		$1 = ""; $2 = ""; sub(/^ +/, ""); print; exit
	}' "$XFAIL"
}

# Record one result: NAME VERDICT(pass|fail|skip) [DETAIL]
report() {
	local name=$1 verdict=$2 detail=${3:-} why line
	n=$((n + 1))
	why=$(xfail_reason "$name")
	case $verdict in
	pass) line="ok $n $name"
	      [ -n "$why" ] && line="not ok $n $name # XPASS expected to fail ($why)" ;;
	skip) line="ok $n $name # SKIP $detail" ;;
	*)    line="not ok $n $name${detail:+ ($detail)}"
	      [ -n "$why" ] && line="not ok $n $name # XFAIL $why" ;;
	esac
	echo "$line" | tee -a "$TAP"
}

# Results of a kselftest-harness or ksft program, from its own TAP. A
# harness test is named by its "RUN" line, and a "SKIP" line inside it
# makes it a skip even when the harness then prints "ok" (as it does for
# a skip in a fixture's setup).
tap_results() {
	awk '
	/^# +#? *RUN +/ { name = $0; sub(/^# +#? *RUN +/, "", name); sub(/ \.\.\.$/, "", name); skip = ""; next }
	/^#? *# +SKIP +/ { skip = $0; sub(/^#? *# +SKIP +/, "", skip); next }
	/^(not )?ok [0-9]+/ {
		line = $0; sub(/^(not )?ok [0-9]+ */, "", line)
		detail = ""
		if (line ~ /# SKIP/) { detail = line; sub(/.*# SKIP */, "", detail); skip = detail }
		sub(/ *#.*/, "", line)
		if (line == "") line = name
		if ($1 == "not") verdict = "fail"
		else if (skip != "") { verdict = "skip"; detail = skip }
		else verdict = "pass"
		printf "%s\t%s\t%s\n", verdict, line, detail
		name = ""; skip = ""
	}' "$1"
}

report_tap() {
	local name=$1 log=$2 status=$3 verdict sub detail seen=0
	while IFS=$'\t' read -r verdict sub detail; do
		seen=1
		report "$name:$sub" "$verdict" "$detail"
	done < <(tap_results "$log")
	[ "$seen" = 1 ] && [ "$status" != 124 ] && return
	report "$name" fail "exit status $status, no or cut TAP; see output.log"
}

run_entry() {
	local name=$1 limit=$2 kind=$3 status log
	shift 3
	log=/tmp/test.log
	echo "# --- $name: $*"
	timeout -k 5 "$limit" bash -c "$*" >"$log" 2>&1 </dev/null
	status=$?
	sed 's/^/# /' "$log"
	if [ "$kind" = tap ]; then
		report_tap "$name" "$log" "$status"
	elif [ "$status" = 0 ]; then
		report "$name" pass
	elif [ "$status" = 4 ]; then
		report "$name" skip "exit status 4"
	elif [ "$status" = 124 ]; then
		report "$name" fail "timed out after $limit s"
	else
		report "$name" fail "exit status $status"
	fi
}

echo "# kernel $(uname -r), nodes $(cat /sys/devices/system/node/online), guest ${SECTION:-main}"
while IFS=$'\t' read -r name limit kind cmd; do
	run_entry "$name" "$limit" "$kind" "$cmd"
done < <(plan_entries "${SECTION:-main}")
echo "# plan done: $n results"
