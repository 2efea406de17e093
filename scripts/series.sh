#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make series: our work as a git format-patch series against the base
# tree (cover letter + patches) in build/series, checked with git am on
# a clean copy of the base.
. "$(dirname "$0")/lib.sh"

GIT=$BUILD/series-git
OUT=$BUILD/series
g() { git -C "$GIT" -c user.name="page-migration harness" -c user.email=pm@localhost "$@"; }

# Groups of our files, one commit each: "PATHS|subject".
GROUPS_=(
	"include/linux/migrate.h mm/migrate.c mm/migrate_*.c|mm: migrate: replace the migration core with our own"
	"Documentation|Documentation/mm: describe our page migration engine"
	"tools/testing/selftests/page_migration|selftests: page_migration: add per-page-kind migration tests"
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

commit_patches() {
	local p
	while read -r p; do
		case $p in ""|\#*) continue ;; esac
		if grep -q '^Subject:' "$REPO/patches/$p"; then
			g am -q "$REPO/patches/$p"
		else
			g apply --index "$REPO/patches/$p"
			g commit -q -m "${p%.patch}"
		fi
	done <"$REPO/patches/series"
}

commit_overlay() {
	local grp paths subject files p
	for grp in "${GROUPS_[@]}"; do
		paths=${grp%%|*}
		subject=${grp#*|}
		# shellcheck disable=SC2086
		files=$(git -C "$REPO" ls-files -- $paths)
		[ -n "$files" ] || continue
		for p in $files; do
			mkdir -p "$GIT/$(dirname "$p")"
			cp "$REPO/$p" "$GIT/$p"
			g add -f "$p"
		done
		g commit -q -m "$subject" -m "From $(git -C "$REPO" describe --always --dirty) of the page-migration repo."
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
g am -q $(ls "$OUT"/*.patch | grep -v 0000-cover-letter) ||
	die "the series does not apply with git am; see $GIT"
g checkout -q -f series
g branch -q -D series-check
say "series: $(ls "$OUT" | wc -l) files in $OUT (cover letter + $(($(ls "$OUT" | wc -l) - 1)) patches)"
