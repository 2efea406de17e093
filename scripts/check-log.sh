#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-log.sh CONSOLE_LOG: print the kernel splats in a guest's console
# log, one per line; exit 1 if there is any.
SPLATS='BUG:|kernel BUG at|WARNING:|Oops|general protection fault|KASAN:|UBSAN:'
SPLATS="$SPLATS|possible circular locking|possible recursive locking"
SPLATS="$SPLATS|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON"
SPLATS="$SPLATS|rcu: INFO:|detected stalls|self-detected stall|soft lockup"
SPLATS="$SPLATS|hard LOCKUP|blocked for more than|Kernel panic|Bad page"
SPLATS="$SPLATS|page dumped because|list_add corruption|list_del corruption"
SPLATS="$SPLATS|Call Trace:"

# Not splats: the poweroff at the end of a run; and memory offline's
# ratelimited reports of a page it could not isolate or move this time
# round ("failed to isolate pfn", dump_page "isolation failed";
# "migrating pfn ... failed", dump_page "migration failure"), which it
# retries: under the loaded guest's concurrent migrations, pages are
# often isolated by another migrator at that moment, and a page that
# something holds a reference on fails to move until it lets go.
BENIGN='Kernel panic - not syncing: sysrq'
BENIGN="$BENIGN|page dumped because: (isolation failed|migration failure)$"

log=${1:?usage: check-log.sh CONSOLE_LOG}
[ -f "$log" ] || { echo "no console log at $log"; exit 1; }
if tr -d '\r' <"$log" | grep -E "$SPLATS" | grep -Ev "$BENIGN" | head -n 20 | grep .; then
	exit 1
fi
exit 0
