#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make series: our work as a git format-patch series against the base
# tree (cover letter + patches) in build/series, checked with git am on
# a clean copy of the base. CHECK=build then builds the kernel (release
# config, ccache) at every patch, stopping at the first that fails.
. "$(dirname "$0")/lib.sh"

GIT=$BUILD/series-git
OUT=$BUILD/series
g() { git -C "$GIT" -c user.name="page-migration developers" -c user.email=pm@localhost "$@"; }

# Groups of our files, one commit each: "PATHS|subject|PATCHES", where
# PATCHES are hunks of patches/ that go in the same commit (so that each
# commit builds); the other patches come first, one commit each.
# PATHS "-" makes a commit of the group's patches alone.
GROUPS_=(
	"include/linux/migrate.h mm/migrate.c mm/migrate_*.c mm/migrate-test.h mm/migrate_*.h|mm: migrate: replace the migration core with our own|0001-mm-build-our-migration-core-files.patch"
	"-|mm: mempolicy: let mbind() move pages on their next touch|0005-mm-mempolicy-let-mbind-move-pages-on-their-next-touch.patch"
	"Documentation|Documentation/mm: describe our page migration engine"
	"tools/testing/selftests/page_migration|selftests: page_migration: add page-kind and user-scenario migration tests"
)

make_base_repo() {
	[ -f "$GIT/.pm-base" ] && return
	say "making a git repo of the base tree (once)"
	rm -rf "$GIT"
	cp -a "$STOCK_SRC" "$GIT"
	g init -q
	g add -A -f
	g commit -q -m "Linux $(make -s -C "$STOCK_SRC" kernelversion) (Debian linux-source-6.1)"
	g tag base
	touch "$GIT/.pm-base"
}

# The description of a patch: what lies between its Subject and "---".
patch_body() {
	sed -n '/^Subject:/,/^---$/p' "$1" | sed '1d;$d' | sed '/./,$!d'
}

folded() {
	local grp
	for grp in "${GROUPS_[@]}"; do
		[[ $grp == *"|"*"|"*"$1"* ]] && return 0
	done
	return 1
}

commit_patches() {
	local p
	while read -r p; do
		case $p in ""|\#*) continue ;; esac
		folded "$p" && continue
		if grep -q '^Subject:' "$REPO/patches/$p"; then
			g am -q --signoff "$REPO/patches/$p"
		else
			g apply --index "$REPO/patches/$p"
			g commit -q -s -m "${p%.patch}"
		fi
	done <"$REPO/patches/series"
}

commit_overlay() {
	local grp paths subject patches files p body
	for grp in "${GROUPS_[@]}"; do
		IFS='|' read -r paths subject patches <<<"$grp"
		body=""
		for p in $patches; do
			g apply --index "$REPO/patches/$p"
			body+=$(patch_body "$REPO/patches/$p")$'\n\n'
		done
		files=""
		# shellcheck disable=SC2086
		[ "$paths" = - ] || files=$(git -C "$REPO" ls-files -- $paths)
		[ -n "$files$patches" ] || continue
		for p in $files; do
			mkdir -p "$GIT/$(dirname "$p")"
			cp "$REPO/$p" "$GIT/$p"
			g add -f "$p"
		done
		g commit -q -s -m "$subject" ${body:+-m "$body"} -m "From $(git -C "$REPO" describe --always --dirty) of the page-migration repo."
	done
}

make_base_repo
g checkout -q -f base
g clean -qfdx -e .pm-base
g branch -q -f series base
g checkout -q series
commit_patches
commit_overlay
rm -rf "$OUT"
g format-patch -q --cover-letter -o "$OUT" base..series
# The cover letter: the README, then the last make test summary.
blurb=$(mktemp)
cp "$REPO/README.md" "$blurb"
last=$(ls -t "$BUILD"/results/test-*/results.tap 2>/dev/null | head -n 1)
if [ -n "$last" ]; then
	{
		echo
		echo "Last make test here ($(basename "$(dirname "$last")"), $(date -r "$last" +%F)):"
		echo "  $(grep -E '^ok [0-9]+ ' "$last" | grep -vc '# SKIP') passed," \
			"$(grep '^not ok' "$last" | grep -vc '# XFAIL') failed," \
			"$(grep -c '# SKIP' "$last") skipped, $(grep -c '# XFAIL' "$last") xfail"
	} >>"$blurb"
fi
# Every checkpatch --strict warning of the series, counted, with why it
# stays (scripts/checkpatch-reasons).
{
	echo
	echo "checkpatch --strict on the patches (errors, then each warning left, with why):"
	for p in "$OUT"/[0-9]*.patch; do
		case $p in */0000-*) continue ;; esac
		# checkpatch exits non-zero on any finding.
		perl "$STOCK_SRC/scripts/checkpatch.pl" --strict --no-tree --terse "$p" 2>/dev/null |
			sed -n 's/^[^:]*:[0-9]*: //p' || true
	done | grep -E '^(ERROR|WARNING):' | sort | uniq -c | sort -rn |
	while read -r count kind msg; do
		why=$(awk -F'|' -v m="$msg" '!/^#/ && NF > 1 && index(m, $1) { print $2; exit }' \
			"$REPO/scripts/checkpatch-reasons")
		echo "  $count x $kind $msg"
		echo "      why: ${why:-no reason recorded}"
	done
} >>"$blurb"
sed -i "s/\*\*\* SUBJECT HERE \*\*\*/Our own page-migration subsystem for Linux 6.1/;
	/\*\*\* BLURB HERE \*\*\*/r $blurb
	/\*\*\* BLURB HERE \*\*\*/d" "$OUT"/0000-cover-letter.patch
rm -f "$blurb"

say "checking that the series applies with git am on a clean base"
g checkout -q -f base
g checkout -q -b series-check 2>/dev/null || g checkout -q -B series-check base
patches=("$OUT"/[0-9]*.patch)
g am -q "${patches[@]:1}" ||
	die "the series does not apply with git am; see $GIT"
g checkout -q -f series
g branch -q -D series-check
say "series: a cover letter and $((${#patches[@]} - 1)) patches in $OUT"

[ "${CHECK:-}" = build ] || exit 0
# Build the kernel at every patch of the series, as bisection would.
obj=$BUILD/obj/series-release
export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pm-ccache}
export CCACHE_BASEDIR=$BUILD
ref=$(kernel_obj ours release)/.config
[ -f "$ref" ] || die "no $ref: run 'make kernel FLAVOUR=release' first"
mkdir -p "$obj" "$BUILD/logs"
i=0
for c in $(g rev-list --reverse base..series); do
	i=$((i + 1))
	g checkout -q -f "$c"
	cp "$ref" "$obj/.config"
	kmake=(make -C "$GIT" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" -j"$(nproc)")
	"${kmake[@]}" -s olddefconfig >/dev/null
	run_logged "$BUILD/logs/series-build-$i.log" \
		"patch $i: $(g log -1 --format=%s "$c" | cut -c1-60)" heavy "${kmake[@]}" bzImage
done
g checkout -q -f series
say "series: the kernel builds at each of its $i patches"
