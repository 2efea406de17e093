#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build one kernel: KERNEL=ours|stock|peer (or STOCK=1),
# FLAVOUR=debug|release|kasan. Every kernel uses the same config
# fragments, each in its own O= folder; peer is the released kernel that
# make bench PEER= compares with (scripts/fetch-peer.sh unpacks it).
. "$(dirname "$0")/lib.sh"

kernel=$(pick_kernel)
flavour=${FLAVOUR:-debug}
src=$(kernel_src "$kernel")
obj=$(kernel_obj "$kernel" "$flavour")
jobs=${JOBS:-$(nproc)}

case $flavour in
debug) fragments="base debug" ;;
release) fragments="base release" ;;
kasan) fragments="base debug kasan" ;;
*) die "unknown FLAVOUR '$flavour' (debug, release or kasan)" ;;
esac

export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pm-ccache}
export CCACHE_BASEDIR=$BUILD/src
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
cc="gcc"
command -v ccache >/dev/null && cc="ccache gcc"
kmake=(make -C "$src" O="$obj" CC="$cc" HOSTCC="$cc" LOCALVERSION="-$kernel" -j"$jobs")

# Every line of the fragments must hold in the final config: a line that
# Kconfig drops silently would make a test skip for the wrong reason.
check_config() {
	awk -F= '
	FNR == NR {
		if ($0 ~ /^CONFIG_/) have[$1] = $2
		else if ($0 ~ /^# CONFIG_.* is not set/) have[$2] = "n"
		next
	}
	/^CONFIG_/ {
		got = ($1 in have) ? have[$1] : "n"
		if (got != $2) { printf "%s=%s wanted, got %s\n", $1, $2, got; bad = 1 }
	}
	END { exit bad }' "$obj/.config" "$@" | sed 's/^/  /' >&2
	[ "${PIPESTATUS[0]}" = 0 ] && return
	# The fragments are written for 6.1; a later kernel has renamed some.
	[ "$kernel" = peer ] &&
		say "NOTE: the peer's Kconfig did not take the lines above (olddefconfig chose for them)" &&
		return
	die "configs/ ask for options Kconfig did not take (above); fix their dependencies"
}

configure() {
	local frag_files="" f state
	for f in $fragments; do
		frag_files="$frag_files $REPO/configs/$f.config"
	done
	# shellcheck disable=SC2086
	state=$(cat $frag_files "$src/Makefile" | sha1sum | cut -d' ' -f1)
	[ -f "$obj/.pm-config" ] && [ "$(cat "$obj/.pm-config")" = "$state" ] && return
	say "configuring $kernel-$flavour from:$(echo " $fragments" | sed 's/ / configs\//g')"
	mkdir -p "$obj"
	"${kmake[@]}" -s allnoconfig >/dev/null
	# shellcheck disable=SC2086
	(cd "$obj" && KCONFIG_CONFIG=.config "$src/scripts/kconfig/merge_config.sh" \
		-m -O "$obj" .config $frag_files >"$obj/merge.log" 2>&1)
	"${kmake[@]}" -s olddefconfig >/dev/null
	# shellcheck disable=SC2086
	check_config $frag_files
	echo "$state" >"$obj/.pm-config"
}

[ -f "$src/Makefile" ] || die "$src missing; run scripts/prepare-tree.sh"
mkdir -p "$BUILD/logs"
heavy true
configure
run_logged "$BUILD/logs/build-$kernel-$flavour.log" "build $kernel-$flavour kernel" \
	heavy "${kmake[@]}" bzImage
say "kernel: $obj/arch/x86/boot/bzImage ($(cat "$obj/include/config/kernel.release"))"
