#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make test: build the kernel (debug flavour by default) and the tests,
# boot the guest, run the plan, and judge: TAP results, expected
# failures, a hung or dead guest, plan entries that gave no result, and
# kernel splats.
. "$(dirname "$0")/lib.sh"

kernel=$(pick_kernel)
export FLAVOUR=${FLAVOUR:-debug}
results=${RESULTS:-$BUILD/results/test-$kernel-$FLAVOUR}
# Time limits catch hangs. KASAN runs the plan 1.8 times slower (its
# main guest took 2272 s against about 1260 s), so they are doubled.
scale=1
[ "$FLAVOUR" = kasan ] && scale=2

bash "$REPO/scripts/harness-check.sh"
build_for_guest

export T=$TESTS_OUT REPO
. "$REPO/scripts/plan-lib.sh"
tap=$results/results.tap
job=$(mktemp)
trap 'rm -f "$job"' EXIT
mkdir -p "$results"
: >"$tap"

# Add result lines to the run's TAP, numbered on from what it holds.
add_results() {
	local line n
	while read -r line; do
		n=$(($(wc -l <"$tap") + 1))
		echo "$line" | sed -E "s/^(not )?ok [0-9]+/\1ok $n/" >>"$tap"
	done
}

# A result about guest $1's run itself: check $2 passes when $3 (why it
# failed) is empty; $4, if set, is why that failure is expected.
guest_result() {
	local line="ok 0 guest $1 $2"

	[ -n "$3" ] && line="not $line # ${4:+XFAIL $4: }$3"
	echo "$line" | add_results
	tail -n 1 "$tap"
}

# Boot one guest shape and run its part of the plan.
run_section() {
	local section=$1 dir=$results/$1 status why="" splats missing expected
	cat >"$job" <<JOB
export T=$TESTS_OUT REPO=$REPO PM_KERNEL=$kernel SECTION=$section ONLY='${ONLY:-}' PM_TIME_SCALE=$scale
bash $REPO/scripts/guest-plan.sh
JOB
	set +e
	# shellcheck disable=SC2046
	env $(plan_section_env "$section") GUEST_TIMEOUT="${GUEST_TIMEOUT:-$((2700 * scale))}" \
		bash "$REPO/scripts/guest.sh" "$dir" "$job"
	status=$?
	set -e
	touch "$dir/results.tap"
	add_results <"$dir/results.tap"
	if [ -f "$dir/guest-error" ]; then
		why=$(cat "$dir/guest-error")
	elif [ "$status" != 0 ]; then
		why="job exit status $status"
	fi
	missing=$(plan_unreported "$section" "$dir/results.tap")
	expected=""
	# shellcheck disable=SC2086
	[ -n "$why" ] && [ -n "$missing" ] &&
		expected=$(plan_all_xfail "$kernel" $missing)
	guest_result "$section" "ran its plan to the end" "$why" "$expected"
	guest_result "$section" "gave a result for every plan entry" \
		"${missing:+none from:$missing}" "$expected"
	why=""
	if ! splats=$(bash "$REPO/scripts/check-log.sh" "$dir/console.log"); then
		why=${splats%%$'\n'*}
		echo "$splats" | sed 's/^/# splat: /'
	fi
	guest_result "$section" "kernel log has no splat" "$why" "$expected"
}

for section in $(plan_sections); do
	[ -n "$(plan_entries "$section")" ] || continue
	run_section "$section"
done

passed=$(grep -E '^ok [0-9]+ ' "$tap" | grep -vc '# SKIP' || true)
skipped=$(grep -c '^ok .*# SKIP' "$tap" || true)
xfail=$(grep -c '^not ok .*# XFAIL' "$tap" || true)
failed=$(grep '^not ok' "$tap" | grep -vc '# XFAIL' || true)
echo
echo "results: $tap ($kernel-$FLAVOUR)"
grep -E '^not ok' "$tap" | sed 's/^/  /' || true
echo "xfail: $xfail (expected failures, scripts/expected-failures)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
