# SPDX-License-Identifier: GPL-2.0
# Our page-migration subsystem for Linux 6.1, as an overlay and a patch
# series over Debian's linux-source-6.1. Everything builds in build/.
#
#   make run      build ours, boot the NUMA guest, show pages migrating
#   make test     build ours (debug), run the test plan in the guest
#                 (STOCK=1: the same plan on the stock kernel;
#                  FLAVOUR=kasan: the KASAN kernel; ONLY='glob': a subset)
#   make bench    stock vs ours, side by side
#   make soak     loads, the race matrix and trinity for SOAK_MINUTES
#                 (default 30; FLAVOUR=kasan: on KASAN; never in CI)
#   make shell    an interactive guest (KERNEL=, FLAVOUR=, NODES=, ...)
#   make series   our work as a git format-patch series
#   make lint     sparse, W=1, kernel-doc and checkpatch on our files
#   make kernel   just build (KERNEL=ours|stock, FLAVOUR=debug|release|kasan)

SHELL := /bin/bash
S := scripts
# The goal the user typed, for the scripts' hints ("try: sudo make run").
export PM_GOAL := $(firstword $(MAKECMDGOALS))

.PHONY: all run test bench soak shell series kernel tests setup tree clean help lint

all: help

help:
	@sed -n '2,/^$$/s/^# \{0,1\}//p' Makefile

setup:
	@bash $(S)/setup.sh

tree: setup
	@bash $(S)/prepare-tree.sh

kernel: tree
	@bash $(S)/build-kernel.sh

tests: tree
	@bash $(S)/build-tests.sh

run:
	@bash $(S)/run.sh

test:
	@bash $(S)/test.sh

bench:
	@bash $(S)/bench.sh

soak:
	@bash $(S)/soak.sh

shell: kernel tests
	@bash $(S)/guest.sh build/results/shell

series: tree
	@bash $(S)/series.sh

lint:
	@bash $(S)/lint.sh

clean:
	rm -rf build/obj build/results build/tests build/src/ours build/series
