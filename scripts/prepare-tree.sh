#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unpack the base tree once, then make build/src/ours: the base tree
# with our files laid over it and patches/series applied. Only files
# whose content changed are rewritten, so make rebuilds just those.
. "$(dirname "$0")/lib.sh"

BASE_VERSION_FILE=$REPO/patches/BASE-VERSION

tree_version() {
	awk '/^VERSION/ { v = $3 } /^PATCHLEVEL/ { p = $3 }
	     /^SUBLEVEL/ { s = $3 } END { print v "." p "." s }' "$1/Makefile"
}

unpack_base() {
	[ -f "$STOCK_SRC/Makefile" ] && return
	[ -r "$BASE_TARBALL" ] || die "$BASE_TARBALL not found; run 'make setup' as root"
	say "unpacking $BASE_TARBALL"
	rm -rf "$STOCK_SRC.tmp"
	mkdir -p "$STOCK_SRC.tmp"
	tar -xf "$BASE_TARBALL" -C "$STOCK_SRC.tmp" --strip-components=1
	mv "$STOCK_SRC.tmp" "$STOCK_SRC"
}

check_base_version() {
	local want have
	have=$(tree_version "$STOCK_SRC")
	want=$(cat "$BASE_VERSION_FILE")
	[ "$have" = "$want" ] ||
		say "NOTE: base tree is $have, patches were made on $want; continuing if they apply"
}

# Hash of what decides the patched tree: the patches and the base.
patch_state() {
	(tree_version "$STOCK_SRC"; cat "$REPO/patches/series"
	 while read -r p; do
		case $p in ""|\#*) continue ;; esac
		cat "$REPO/patches/$p"
	 done <"$REPO/patches/series") | sha1sum | cut -d' ' -f1
}

apply_patches() {
	local p
	while read -r p; do
		case $p in ""|\#*) continue ;; esac
		[ -f "$REPO/patches/$p" ] || die "patches/series names $p, which is missing"
		patch -d "$OURS_SRC" -p1 -s -N --dry-run <"$REPO/patches/$p" >/dev/null ||
			die "patch $p does not apply to $(tree_version "$STOCK_SRC"); refresh it"
		patch -d "$OURS_SRC" -p1 -s -N <"$REPO/patches/$p"
	done <"$REPO/patches/series"
}

make_ours_tree() {
	local state
	state=$(patch_state)
	[ -f "$OURS_SRC/.pm-state" ] && [ "$(cat "$OURS_SRC/.pm-state")" = "$state" ] && return
	say "creating build/src/ours (base + patches/series)"
	rm -rf "$OURS_SRC"
	cp -a "$STOCK_SRC" "$OURS_SRC"
	apply_patches
	echo "$state" >"$OURS_SRC/.pm-state"
}

# Lay our files over the tree; restore stock files we no longer have.
overlay() {
	local f list=$OURS_SRC/.pm-overlay
	touch "$list"
	(cd "$REPO" && for d in $OVERLAY_DIRS; do
		[ -d "$d" ] && find "$d" -type f
	 done | sort) >"$list.new"
	comm -23 "$list" "$list.new" | while read -r f; do
		if [ -f "$STOCK_SRC/$f" ]; then
			cp "$STOCK_SRC/$f" "$OURS_SRC/$f"
		else
			rm -f "$OURS_SRC/$f"
		fi
	done
	while read -r f; do
		cmp -s "$REPO/$f" "$OURS_SRC/$f" && continue
		mkdir -p "$(dirname "$OURS_SRC/$f")"
		cp "$REPO/$f" "$OURS_SRC/$f"
	done <"$list.new"
	mv "$list.new" "$list"
}

mkdir -p "$BUILD/src"
unpack_base
check_base_version
make_ours_tree
overlay
