#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make lint: the checks a maintainer runs on our files before taking the
# series: sparse (C=2) and W=1 on our objects, kernel-doc, and
# checkpatch --strict on our files and patches. Prints what each found;
# fails if sparse, W=1 or kernel-doc report anything, or checkpatch an
# error.
. "$(dirname "$0")/lib.sh"

OBJS="mm/migrate.o mm/migrate_mapping.o mm/migrate_copy.o mm/migrate_ptes.o mm/migrate_numa.o mm/migrate_lazy.o"
SRCS="mm/migrate.c mm/migrate_mapping.c mm/migrate_copy.c mm/migrate_copy.h mm/migrate_ptes.c mm/migrate_numa.c mm/migrate_lazy.c include/linux/migrate.h"
export FLAVOUR=${FLAVOUR:-release}
obj=$(kernel_obj ours "$FLAVOUR")
bad=0

bash "$REPO/scripts/setup.sh"
bash "$REPO/scripts/prepare-tree.sh"
KERNEL=ours bash "$REPO/scripts/build-kernel.sh"
log=$BUILD/logs/lint.log

# shellcheck disable=SC2086
heavy make -s -C "$OURS_SRC" O="$obj" LOCALVERSION=-ours C=2 W=1 $OBJS >"$log" 2>&1 ||
	{ cat "$log"; die "building our objects with C=2 W=1 failed"; }
if grep -E "warning|error" "$log"; then
	echo "lint: sparse or W=1 found the above" >&2
	bad=1
fi
for f in $SRCS; do
	out=$(perl "$OURS_SRC/scripts/kernel-doc" -none "$OURS_SRC/$f" 2>&1)
	[ -z "$out" ] || { echo "$out"; bad=1; }
done
# The patches as a maintainer gets them: make series's format-patch output.
CHECK= bash "$REPO/scripts/series.sh"
for f in $SRCS "$BUILD"/series/0*.patch; do
	case $f in */0000-cover-letter.patch) continue ;; esac
	case $f in /*) p=$f ;; *) p=$OURS_SRC/$f ;; esac
	flag=-f
	[[ $f == *.patch ]] && flag=""
	# shellcheck disable=SC2086
	res=$(perl "$OURS_SRC/scripts/checkpatch.pl" --strict --no-tree --terse $flag "$p" 2>&1 |
		grep -E '(ERROR|WARNING|CHECK):' || true)
	printf '%s: %s errors, %s warnings, %s checks\n' "${f#"$REPO"/}" \
		"$(grep -c 'ERROR:' <<<"$res" || true)" "$(grep -c 'WARNING:' <<<"$res" || true)" \
		"$(grep -c 'CHECK:' <<<"$res" || true)"
	grep -q 'ERROR:' <<<"$res" && { grep 'ERROR:' <<<"$res"; bad=1; }
done
[ "$bad" = 0 ] || die "lint found problems (above)"
say "lint: sparse, W=1 and kernel-doc clean; checkpatch has no errors"
