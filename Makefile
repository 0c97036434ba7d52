# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree wrapper: `make` builds against the running kernel,
# `make KDIR=/path/to/build` against any other prepared tree.

KDIR ?= /lib/modules/$(shell uname -r)/build
PWD := $(shell pwd)

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install
	depmod -a $(shell $(MAKE) -s -C $(KDIR) kernelrelease 2>/dev/null || uname -r) || true

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean 2>/dev/null || \
		find . -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' | xargs rm -f

.PHONY: all modules install clean

# Xen lab (tools/testing/xen-lab, Documentation/lab.md).
# LAB=pv-6.12|pvh-6.12|pv-6.1|pv-6.12-smp|pv-6.1-smp|pvh-6.12-smp (comma-separated)
lab-setup:
	tools/testing/xen-lab/setup.sh

lab-check:
	tools/testing/xen-lab/run.sh $(if $(LAB),--combo $(LAB))

demo:
	tools/testing/xen-lab/demo.sh

# The doorbell benchmark (tools/testing/xen-lab/bench/): PV and PVH dom0
# 6.12 with 1 and 2 CPUs, one boot each, nothing but the benchmark; prints
# the tables and bench: lines. LAB=... for other combinations.
bench:
	tools/testing/xen-lab/bench.sh $(if $(LAB),--combo $(LAB))

.PHONY: lab-setup lab-check demo bench

# Build matrix and static checks (scripts/matrix, Documentation/build.md).
# Each prints "N passed, N failed" and writes out/{matrix,static}.tally.
matrix:
	scripts/matrix/matrix.sh

static:
	scripts/matrix/static.sh

.PHONY: matrix static

# Everything: matrix + static checks + lab kselftests on every combination,
# summed into one "N passed, N failed" line (scripts/check.sh). This is the
# project's test command; .ci/run calls it.
check:
	LAB=$(LAB) scripts/check.sh

.PHONY: check

# Debian packages into out/deb/ (debian/, Documentation/build.md) and
# their test: lintian, then install into a fresh Debian 12 chroot with DKMS.
deb:
	scripts/deb-build.sh

deb-check:
	scripts/deb-test.sh

.PHONY: deb deb-check
