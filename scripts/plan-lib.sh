# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The test plan (scripts/test-plan), read by the host and the guest.
# Needs REPO and T (the built tests); ONLY (globs) filters by name.

PLAN=$REPO/scripts/test-plan

# The guest shapes: "main", then each "@guest NAME" section.
plan_sections() {
	echo main
	awk '$1 == "@guest" { print $2 }' "$PLAN"
}

# The topology settings (VAR=value ...) of a section.
plan_section_env() {
	awk -v s="$1" '$1 == "@guest" && $2 == s { $1 = ""; $2 = ""; print }' "$PLAN"
}

# One line per test of a section: NAME<TAB>LIMIT<TAB>KIND<TAB>COMMAND,
# with "dir/*" entries expanded to the tests built there, less those
# the plan names on a line of their own (they run where that line is).
# A section's loads (kind "bg") come first, and go with any of its tests
# that ONLY selects.
plan_entries() {
	local want=$1 section=main name limit kind cmd bin explicit
	local loads="" tests="" line
	explicit=" $(awk '$1 !~ /^#/ && $1 !~ /\*$/ { print $1 }' "$PLAN" | tr '\n' ' ') "
	while read -r name limit kind cmd; do
		case $name in
		""|\#*) continue ;;
		@guest) section=$limit; continue ;;
		esac
		[ "$section" = "$want" ] || continue
		cmd=${cmd//\$T/$T}
		line=$(printf '%s\t%s\t%s\t%s' "$name" "$limit" "$kind" "$cmd")
		if [ "$kind" = bg ]; then
			loads+=$line$'\n'
		elif [[ $name == *'*' ]]; then
			for bin in $cmd; do
				[ -x "$bin" ] || continue
				[[ $explicit == *" ${name%\*}${bin##*/} "* ]] && continue
				plan_match "${name%\*}${bin##*/}" &&
					tests+=$(printf '%s\t%s\t%s\t%s' "${name%\*}${bin##*/}" "$limit" "$kind" "$bin")$'\n'
			done
		elif plan_match "$name"; then
			tests+=$line$'\n'
		fi
	done <"$PLAN"
	[ -n "$tests" ] && printf '%s%s' "$loads" "$tests"
	return 0
}

# The entries of section $1 with no result line in TAP file $2, each
# after a space. A result is named ENTRY or ENTRY:SUBTEST.
plan_unreported() {
	local name
	while IFS=$'\t' read -r name _; do
		awk -v n="$name" '{ sub(/^(not )?ok [0-9]+ /, ""); sub(/[: ].*/, "") }
			$0 == n { found = 1; exit } END { exit !found }' "$2" ||
			printf ' %s' "$name"
	done < <(plan_entries "$1")
}

# The reason test $2 is expected to fail on kernel $1 (ours|stock), if
# it is: the second field of scripts/expected-failures (or of $XFAIL) is
# a glob on test names.
plan_xfail() {
	local kernel pattern reason
	while read -r kernel pattern reason; do
		case $kernel in ''|\#*) continue ;; esac
		[ "$kernel" = "$1" ] || [ "$kernel" = all ] || continue
		# shellcheck disable=SC2053
		[[ $2 == $pattern ]] && { echo "$reason"; return; }
	done <"${XFAIL:-$REPO/scripts/expected-failures}"
}

# The reason every one of tests $2... is expected to fail on kernel $1,
# if they all are (a guest that died in them died as expected).
plan_all_xfail() {
	local kernel=$1 name why=""

	shift
	for name in "$@"; do
		why=$(plan_xfail "$kernel" "$name")
		[ -n "$why" ] || return 0
	done
	echo "$why"
}

# ONLY: space-separated globs; empty means all.
plan_match() {
	local g
	[ -z "${ONLY:-}" ] && return 0
	for g in $ONLY; do
		# shellcheck disable=SC2053
		[[ $1 == $g ]] && return 0
	done
	return 1
}
