#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make series: our work as a git format-patch series against the base
# tree (cover letter + patches) in build/series, checked with git am on
# a clean copy of the base.
. "$(dirname "$0")/lib.sh"

GIT=$BUILD/series-git
OUT=$BUILD/series
g() { git -C "$GIT" -c user.name="page-migration harness" -c user.email=pm@localhost "$@"; }

# Groups of our files, one commit each: "PATHS|subject|PATCHES", where
# PATCHES are hunks of patches/ that go in the same commit (so that each
# commit builds); the other patches come first, one commit each.
GROUPS_=(
	"include/linux/migrate.h mm/migrate.c mm/migrate_*.c mm/migrate-test.h mm/migrate_*-test.h|mm: migrate: replace the migration core with our own|0001-mm-build-our-migration-core-files.patch"
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
			g am -q "$REPO/patches/$p"
		else
			g apply --index "$REPO/patches/$p"
			g commit -q -m "${p%.patch}"
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
		# shellcheck disable=SC2086
		files=$(git -C "$REPO" ls-files -- $paths)
		[ -n "$files" ] || continue
		for p in $files; do
			mkdir -p "$GIT/$(dirname "$p")"
			cp "$REPO/$p" "$GIT/$p"
			g add -f "$p"
		done
		g commit -q -m "$subject" ${body:+-m "$body"} -m "From $(git -C "$REPO" describe --always --dirty) of the page-migration repo."
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
sed -i "s/\*\*\* SUBJECT HERE \*\*\*/Our own page-migration subsystem for Linux 6.1/;
	/\*\*\* BLURB HERE \*\*\*/r $REPO/README.md
	/\*\*\* BLURB HERE \*\*\*/d" "$OUT"/0000-cover-letter.patch

say "checking that the series applies with git am on a clean base"
g checkout -q -f base
g checkout -q -b series-check 2>/dev/null || g checkout -q -B series-check base
patches=("$OUT"/[0-9]*.patch)
g am -q "${patches[@]:1}" ||
	die "the series does not apply with git am; see $GIT"
g checkout -q -f series
g branch -q -D series-check
say "series: a cover letter and $((${#patches[@]} - 1)) patches in $OUT"
