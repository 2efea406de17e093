#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch and unpack the released peer kernel for make bench PEER=6.12:
# Debian's linux-source-$PEER_VERSION from bookworm-backports, through the
# machine's own Debian mirror. The system's apt configuration is left
# alone: apt-get works on a sources list and state of its own in build/.
. "$(dirname "$0")/lib.sh"

SUITE=${PEER_SUITE:-bookworm-backports}
APT=$BUILD/peer-apt
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

[ -f "$PEER_SRC/Makefile" ] && exit 0

# The mirror the system uses for Debian itself (deb822 or one-line form).
debian_mirror() {
	local uri
	uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v -- '-security' | head -n 1)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $0 !~ /security/ {
		for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
		/etc/apt/sources.list 2>/dev/null)
	echo "${uri:-http://deb.debian.org/debian}"
}

apt_own() {
	apt-get -q -o Dir::Etc::SourceList="$APT/sources.list" \
		-o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache" "$@"
}

mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$BUILD/src"
echo "deb [signed-by=$KEYRING] $(debian_mirror) $SUITE main" >"$APT/sources.list"
run_logged "$BUILD/peer-apt.log" "apt-get update ($SUITE)" apt_own update
(cd "$APT" && rm -f ./*.deb && run_logged "$BUILD/peer-apt.log" \
	"apt-get download linux-source-$PEER_VERSION" \
	apt_own download "linux-source-$PEER_VERSION")
deb=$(ls "$APT"/linux-source-"$PEER_VERSION"_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "linux-source-$PEER_VERSION was not downloaded; see $BUILD/peer-apt.log"
say "unpacking $(basename "$deb")"
rm -rf "$APT/deb" "$PEER_SRC.tmp"
dpkg-deb -x "$deb" "$APT/deb"
mkdir -p "$PEER_SRC.tmp"
tar -xf "$APT/deb/usr/src/linux-source-$PEER_VERSION.tar.xz" -C "$PEER_SRC.tmp" \
	--strip-components=1
rm -rf "$APT/deb" "$deb"
mv "$PEER_SRC.tmp" "$PEER_SRC"
say "peer: $PEER_SRC ($(make -s -C "$PEER_SRC" kernelversion))"
