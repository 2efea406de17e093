#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest: the test plan, as TAP, into /mnt/results/results.tap.
# Env: T (built tests), REPO, PM_KERNEL (ours|stock), SECTION (the
# plan's guest section), ONLY (a glob on test names, optional).
set -u
. "$REPO/scripts/plan-lib.sh"
TAP=/mnt/results/results.tap
n=0
: >"$TAP"

# Record one result: NAME VERDICT(pass|fail|skip) [DETAIL]
report() {
	local name=$1 verdict=$2 detail=${3:-} why line
	n=$((n + 1))
	why=$(plan_xfail "$PM_KERNEL" "$name")
	case $verdict in
	pass) line="ok $n $name${detail:+ # $detail}"
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
# a skip in a fixture's setup). A comment after a result ("ok 3 a.b #
# ops=12") stays with it, as its detail.
tap_results() {
	awk '
	/^# +#? *RUN +/ { name = $0; sub(/^# +#? *RUN +/, "", name); sub(/ \.\.\.$/, "", name); skip = ""; next }
	/^#? *# +SKIP +/ { skip = $0; sub(/^#? *# +SKIP +/, "", skip); next }
	/^(not )?ok [0-9]+/ {
		line = $0; sub(/^(not )?ok [0-9]+ */, "", line)
		detail = ""
		if (line ~ /# SKIP/) { detail = line; sub(/.*# SKIP */, "", detail); skip = detail }
		else if (line ~ / # /) { detail = line; sub(/^[^#]*# */, "", detail) }
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

# The verdict of a program judged by its exit code (kind "exit").
report_exit() {
	local name=$1 status=$2 limit=$3
	case $status in
	0)   report "$name" pass ;;
	4)   report "$name" skip "exit status 4" ;;
	124) report "$name" fail "timed out after $limit s" ;;
	*)   report "$name" fail "exit status $status" ;;
	esac
}

# Kind "bg": a load started before the section's other tests and run
# alongside them. It repeats until the section's tests are done (see
# scripts/guest-load.sh), and is judged by its exit code then.
LOADS=()
export PM_LOAD_STOP=/tmp/pm-load-stop
rm -f "$PM_LOAD_STOP"

start_load() {
	local name=$1 limit=$2 log
	shift 2
	log=/tmp/load.${#LOADS[@]}.log
	echo "# --- $name (load, started): $*"
	timeout -k 5 "$limit" bash -c "$*" >"$log" 2>&1 </dev/null &
	LOADS+=("$!"$'\t'"$name"$'\t'"$limit"$'\t'"$log")
}

stop_loads() {
	local entry pid name limit log status
	touch "$PM_LOAD_STOP"
	for entry in "${LOADS[@]}"; do
		IFS=$'\t' read -r pid name limit log <<<"$entry"
		wait "$pid"
		status=$?
		echo "# --- $name (load, ended)"
		sed 's/^/# /' "$log"
		report_exit "$name" "$status" "$limit"
	done
}

run_entry() {
	local name=$1 limit=$2 kind=$3 status log start=$SECONDS
	shift 3
	if [ "$kind" = bg ]; then
		start_load "$name" "$limit" "$@"
		return
	fi
	log=/tmp/test.log
	echo "# --- $name: $*"
	timeout -k 5 "$limit" bash -c "$*" >"$log" 2>&1 </dev/null
	status=$?
	sed 's/^/# /' "$log"
	echo "# --- $name took $((SECONDS - start)) s"
	if [ "$kind" = tap ]; then
		report_tap "$name" "$log" "$status"
	else
		report_exit "$name" "$status" "$limit"
	fi
}

echo "# kernel $(uname -r), nodes $(cat /sys/devices/system/node/online), guest ${SECTION:-main}"
while IFS=$'\t' read -r name limit kind cmd; do
	run_entry "$name" "$((limit * ${PM_TIME_SCALE:-1}))" "$kind" "$cmd"
done < <(plan_entries "${SECTION:-main}")
stop_loads
echo "# plan done: $n results"
