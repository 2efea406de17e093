# SPDX-License-Identifier: GPL-2.0
# Which host paths the guest hides, and how it shows them again. Sourced
# by guest-init.sh (in the guest) and by lib.sh and harness-check.sh (on
# the host); plain POSIX shell functions, no state.

# The guest mounts an empty tmpfs over each of these.
GUEST_TMPFS_DIRS="/tmp /run /var/tmp /root /mnt /media"
# Where the guest keeps the host's root visible before hiding anything.
GUEST_HOST_VIEW=/dev/.pm-host

# guest_path_problem PATH: why the guest cannot reach PATH, or nothing.
# The kernel command line that names the paths splits at white space.
guest_path_problem() {
	case $1 in
	/*) ;;
	*) echo "'$1' is not an absolute path"; return ;;
	esac
	case $1 in
	*[[:space:]]* | *,*)
		echo "'$1' holds a space or a comma, which the guest's kernel command line cannot carry; use a checkout path without them"
		return ;;
	esac
	case $1 in
	/proc | /proc/* | /sys | /sys/* | /dev | /dev/*)
		echo "'$1' is under /proc, /sys or /dev, which the guest mounts anew" ;;
	esac
}

# guest_binds DIR KEEP...: the paths among KEEP (absolute, normalised)
# that the tmpfs on DIR would hide, so must be bound back over it.
guest_binds() {
	dir=$1
	shift
	for keep in "$@"; do
		case $keep in
		"$dir" | "$dir"/*) echo "$keep" ;;
		esac
	done
}
