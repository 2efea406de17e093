#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the user-space side of the test plan into build/tests, from the
# ours tree (stock selftests plus ours). The same binaries run on both
# kernels: the guest's root is this host's /.
. "$(dirname "$0")/lib.sh"

SELFTESTS=$OURS_SRC/tools/testing/selftests
CFLAGS="-O2 -g -Wall -I$SELFTESTS -I$OURS_SRC -I$OURS_SRC/tools/include/uapi"
LIBS="-lnuma -lpthread -lrt"

# A source may ask for its own flags with a line "// pm-build: FLAGS";
# they replace the default libraries (e.g. "-m32" for a compat test).
build_one() {
	local out=$1 src=$2 libs=$LIBS extra
	extra=$(sed -n 's|^// pm-build: ||p' "$src")
	[ -n "$extra" ] && libs=$extra
	mkdir -p "$(dirname "$out")"
	# shellcheck disable=SC2086
	gcc $CFLAGS -o "$out" "$src" $libs >>"$BUILD/logs/tests.log" 2>&1 ||
		die "building $(basename "$out") failed; see $BUILD/logs/tests.log"
}

mkdir -p "$BUILD/logs" "$TESTS_OUT"
: >"$BUILD/logs/tests.log"
for t in migration ksm_tests compaction_test hmm-tests; do
	build_one "$TESTS_OUT/vm/$t" "$SELFTESTS/vm/$t.c"
done
for dir in page_migration page_migration/users page_migration/hotplug; do
	for src in "$SELFTESTS/$dir"/*.c; do
		[ -f "$src" ] || continue
		build_one "$TESTS_OUT/${dir#page_migration/}/$(basename "$src" .c)" "$src"
	done
done
build_one "$TESTS_OUT/tools/pm-tool" "$REPO/scripts/guest-tools/pm-tool.c"
build_one "$TESTS_OUT/tools/pm-bench" "$REPO/scripts/guest-tools/pm-bench.c"
say "tests built in $TESTS_OUT"
