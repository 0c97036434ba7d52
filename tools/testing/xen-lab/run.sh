#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the xen-privcmd-eventfd selftests in Xen under QEMU (TCG), one dom0
# boot per combination, and summarise. See Documentation/lab.md.
#
#   run.sh [--combo pv-6.12[,pvh-6.12,...]] [--tests "prog ..."]
#          [--args "harness args"] [--no-pvh] [--shell] [--demo] [--bench]
#          [--timeout SECONDS]
#
# Exit status: 0 only if every test passed (or skipped) and no boot showed
# an oops/BUG/WARNING/lockdep/KASAN report, a domain crash, a timeout or a
# guest infrastructure failure.
set -uo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../../.." && pwd)
# shellcheck source=lab.conf
. "$LAB_DIR/lab.conf"
SELFTESTS=$REPO/tools/testing/selftests/xen-privcmd-eventfd
WORK=${XENLAB_WORK:-$REPO/out/lab}

# <dom0 mode>-<kernel series>[-smp]: -smp boots QEMU with 2 CPUs
# (multi-threaded TCG) and dom0 with 2 vCPUs, so the event channel handler
# runs beside the ioctls and the release of another dom0 vCPU.
ALL_COMBOS="pv-6.12 pvh-6.12 pv-6.1 pv-6.12-smp pv-6.1-smp pvh-6.12-smp"
combos=$ALL_COMBOS
tests=""
test_args=""
pvh=1
shell=0
demo=0
bench=0		# run only the benchmark (bench/, make bench), no selftest
boot_timeout=${XENLAB_BOOT_TIMEOUT:-900}
idle_timeout=${XENLAB_IDLE_TIMEOUT:-240}
# Dom0 normally starts the tests 90-150 s after QEMU starts; a boot that
# has not by then is an infrastructure failure (a guest that never came
# up, a stuck toolstack) and is retried once.
pretest_timeout=${XENLAB_PRETEST_TIMEOUT:-480}
# PVH dom0 kernel arguments (see Documentation/lab.md, "Known flakes").
# clocksource=xen: TCG's TSC fails the clocksource watchdog a few seconds
# in, and the switch it forces made dom0's wall clock jump.
pvh_dom0_args=${XENLAB_PVH_DOM0_ARGS-clocksource=xen}

usage() {
	sed -n '5,11p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--combo) combos=${2//,/ }; shift 2;;
	--combo=*) combos=${1#*=}; combos=${combos//,/ }; shift;;
	--tests) tests=$2; shift 2;;
	--tests=*) tests=${1#*=}; shift;;
	--args) test_args=$2; shift 2;;
	--no-pvh) pvh=0; shift;;
	--shell) shell=1; shift;;
	--demo) demo=1; shift;;
	--bench) bench=1; shift;;
	--timeout) boot_timeout=$2; shift 2;;
	-h|--help) usage 0;;
	*) echo "run.sh: unknown argument $1" >&2; usage 2;;
	esac
done
[ -n "$combos" ] || combos=$ALL_COMBOS
for c in $combos; do
	case " $ALL_COMBOS " in *" $c "*) ;; *) echo "run.sh: unknown combo $c" >&2; exit 2;; esac
done

T0=$SECONDS
log() { echo "lab: $*"; }
die() { echo "lab: ERROR: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

# One lab at a time: two QEMU labs on this machine's 2 cores time each
# other out. Taken after set-up (which has a lock of its own), held until
# this script exits.
lab_lock() {
	[ -n "${XENLAB_LOCK_HELD:-}" ] && return 0
	local lock=${XENLAB_LOCK:-/run/lock/xen-privcmd-eventfd-lab.lock}
	exec 9>"$lock"
	flock -n 9 || { echo "lab: waiting for another lab run ($lock)"; flock 9; }
	export XENLAB_LOCK_HELD=1
}

# The kernel series these combinations boot (6.12 is also the guests').
need_series() {
	local c
	{ echo "$K612_SERIES"; for c in $combos; do c=${c%-smp}; echo "${c#*-}"; done; } |
		sort -u | tr '\n' ' '
}
# Set up what is missing (resolved against the mirror as it is now); a
# complete cache needs no network.
lab_ready() {
	local s p
	[ -e "$LAB_CACHE/versions.env" ] || return 1
	# shellcheck disable=SC1091
	. "$LAB_CACHE/versions.env"
	for s in $(need_series); do
		p=K${s//./}_DIR
		[ -e "${!p:-/nonexistent}/.done" ] || return 1
	done
	[ -e "$ROOTFS/.done" ] && [ -e "$XEN_BIN" ] || return 1
	# make demo and make bench run no kselftest: no harness headers
	[ "$demo" = 1 ] || [ "$bench" = 1 ] || [ -e "${KSFT_DIR:-/nonexistent}/kselftest_harness.h" ]
}
if ! lab_ready; then
	"$LAB_DIR/setup.sh" --series "$(need_series | tr ' ' ',' | sed 's/,$//')" \
		$([ "$demo" = 1 ] || [ "$bench" = 1 ] && echo --no-ksft) || die "setup failed"
	lab_ready || die "lab cache incomplete after set-up: run make lab-setup"
fi
log "versions: Xen $XEN_VER; QEMU $QEMU_VER; kernels:$(
	for s in $(need_series); do p=K${s//./}; a=${p}_ABI v=${p}_VER
		printf ' %s %s (%s)' "$s" "${!a}" "${!v}"; done)"

# kdir ABI: the extracted kernel build of ABI; hdr_dir ABI: its headers tree
kdir() {
	case $1 in
	"$K612_ABI") echo "$K612_DIR";;
	"${K61_ABI:-}") echo "$K61_DIR";;
	*) die "kernel $1 not set up";;
	esac
}
hdr_dir() { echo "$(kdir "$1")/usr/src/linux-headers-$1-amd64"; }
GUEST_ABI=$K612_ABI
GUEST_KERNEL=$(kdir "$GUEST_ABI")/boot/vmlinuz-$GUEST_ABI-amd64

# ---------------------------------------------------------------------------
# Build (host side): selftests, guest agent + module + initrd, dom0 module.
# ---------------------------------------------------------------------------
BUILD=$WORK/build
mkdir -p "$BUILD"

build_common() {
	local g=$BUILD/guest
	rm -rf "$BUILD/selftests"
	if [ "$bench" = 1 ]; then
		log "building the benchmark, guest agent, guest module"
		make -s -C "$LAB_DIR/bench" OUTPUT="$BUILD/bench" REPO="$REPO" \
			>"$BUILD/bench.log" 2>&1 ||
			{ cat "$BUILD/bench.log"; die "benchmark build failed"; }
	elif [ "$demo" = 0 ]; then
		log "building selftests, guest agent, guest module"
		# -k: one test that does not build must not stop the others;
		# it is reported as a failure when the results are read.
		if ! make -s -k -C "$SELFTESTS" KSFT_DIR="$KSFT_DIR" OUTPUT="$BUILD/selftests" \
			>"$BUILD/selftests.log" 2>&1; then
			grep -a -E 'error|Error' "$BUILD/selftests.log" | head -20 |
				sed 's/^/lab: build: /'
			log "WARNING: some selftests do not build (full log: $BUILD/selftests.log)"
		fi
	else
		log "building the demo, guest agent, guest module"
		make -s -C "$LAB_DIR/demo" OUTPUT="$BUILD/demo" REPO="$REPO" \
			>"$BUILD/demo.log" 2>&1 ||
			{ cat "$BUILD/demo.log"; die "demo build failed"; }
	fi
	mkdir -p "$g/module" "$g/initrd/proc" "$g/initrd/sys" "$g/initrd/dev"
	gcc -static -O2 -Wall -Wextra -o "$g/initrd/init" "$LAB_DIR/guest/xenlab-agent.c" ||
		die "guest agent build failed"
	gcc -static -O2 -Wall -Wextra -o "$BUILD/xenlab-init" "$LAB_DIR/xenlab-init.c" ||
		die "dom0 init build failed"
	gcc -static -O2 -Wall -Wextra -o "$BUILD/fpu-check" "$LAB_DIR/fpu-check.c" ||
		die "fpu-check build failed"
	cp "$LAB_DIR/guest/xenlab_guest.c" "$g/module/"
	echo 'obj-m := xenlab_guest.o' >"$g/module/Kbuild"
	make -s -C "$(hdr_dir "$GUEST_ABI")" M="$g/module" modules >"$g/module.log" 2>&1 ||
		{ cat "$g/module.log"; die "guest module build failed"; }
	cp "$g/module/xenlab_guest.ko" "$g/initrd/"
	(cd "$g/initrd" && find . | cpio -o -H newc --quiet | gzip -1) >"$g/initrd.cpio.gz"
}

# build_module ABI -> path of the .ko on stdout, empty if it does not build
build_module() {
	local abi=$1 d=$BUILD/module-$1 hdr
	hdr=$(hdr_dir "$abi")
	[ -e "$REPO/Kbuild" ] || return 0
	rm -rf "$d"; mkdir -p "$d"
	# Private copy: the repo may be edited or built concurrently.
	(cd "$REPO" && tar -cf - --exclude=./.git --exclude=./out --exclude=./tools . ) |
		tar -xf - -C "$d"
	if ! make -C "$d" KDIR="$hdr" >"$d/build.log" 2>&1 &&
	   ! make -C "$hdr" M="$d" modules >>"$d/build.log" 2>&1; then
		echo "lab: WARNING: module does not build against $abi (see $d/build.log)" >&2
		return 0
	fi
	find "$d" -maxdepth 1 -name 'xen-privcmd-eventfd.ko' | head -1
}

# dom0 initramfs: busybox + the 9p modules; mounts the root and the lab
# share, then switch_root to /lab/in/dom0-init.sh.
build_dom0_initrd() {
	local abi=$1 out=$2 kv=$1-amd64 d m name
	d=$(mktemp -d "$BUILD/initrd.XXXX")
	mkdir -p "$d/bin" "$d/proc" "$d/sys" "$d/dev" "$d/newroot" "$d/modules"
	cp /bin/busybox "$d/bin/busybox"
	modprobe -d "$ROOTFS/usr" -S "$kv" --show-depends -a 9p 9pnet_virtio virtio_pci |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r m; do
		name=$(basename "$m"); name=${name%.xz}
		case $m in *.xz) xz -dc "$m" >"$d/modules/$name";; *) cp "$m" "$d/modules/$name";; esac
		echo "$name" >>"$d/modules.order"
	done
	cat >"$d/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "XENLAB: FATAL initramfs: $*"; poweroff -f; }
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules.order); do insmod "/modules/$m" || echo "XENLAB: insmod $m failed"; done
o=trans=virtio,version=9p2000.L,msize=1048576
i=0
until mount -t 9p -o $o,cache=loose,ro rootfs /newroot; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "cannot mount the 9p root"; sleep 0.2
done
mount -t 9p -o $o lab /newroot/lab || fail "cannot mount the lab share"
umount /proc; umount /dev
exec switch_root /newroot /lab/in/dom0-init.sh
EOF
	chmod +x "$d/init"
	(cd "$d" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
	rm -rf "$d"
}

write_guest_cfgs() {
	local dir=$1
	cat >"$dir/hvm.cfg" <<'EOF'
name = "xenlab-hvm"
type = "hvm"
memory = 192
vcpus = 2
kernel = "/tmp/guest/vmlinuz"
ramdisk = "/tmp/guest/initrd.cpio.gz"
cmdline = "console=hvc0 earlyprintk=xen loglevel=4 mitigations=off nokaslr"
tsc_mode = "native"
on_crash = "destroy"
on_reboot = "destroy"
device_model_version = "qemu-xen"
vga = "none"
nographic = 1
serial = "pty"
vif = []
disk = []
EOF
	cat >"$dir/pvh.cfg" <<'EOF'
name = "xenlab-pvh"
type = "pvh"
memory = 192
vcpus = 2
kernel = "/tmp/guest/vmlinuz"
ramdisk = "/tmp/guest/initrd.cpio.gz"
cmdline = "console=hvc0 loglevel=4 mitigations=off nokaslr"
tsc_mode = "native"
on_crash = "destroy"
on_reboot = "destroy"
vif = []
disk = []
EOF
}

# ---------------------------------------------------------------------------
# One boot per combination.
# ---------------------------------------------------------------------------
TOTAL_PASS=0 TOTAL_FAIL=0 TOTAL_SKIP=0
PROBLEMS=()
INFRA_NOTES=()

# Lines that mean the run is broken even if every test passed.
OOPS_RE='Oops|BUG:|WARNING:|KASAN|UBSAN|circular locking|inconsistent lock state|lockdep|Kernel panic|general protection fault|Call Trace|domain_crash|crashed on cpu|has crashed|Panic on CPU|Xen BUG|Xen WARN|FATAL TRAP|FATAL PAGE FAULT|segfault at'
GUEST_INFRA_RE='segfault|Kernel panic|xenlab-agent: FATAL|Oops|BUG:|Attempted to kill init'

run_combo() {
	local combo=$1 attempt=${2:-1} abi dom0 cdir share in out ko qemu_args
	local xen_args dom0_args virtio_opt="" rc start t list started=0
	local smp=${XENLAB_SMP:-1}
	case $combo in
	*-smp) smp=2;;
	esac
	case ${combo%-smp} in
	pv-6.12) abi=$K612_ABI dom0=pv;;
	pvh-6.12) abi=$K612_ABI dom0=pvh;;
	pv-6.1) abi=$K61_ABI dom0=pv;;
	esac
	cdir=$WORK/$combo
	share=$cdir/share
	in=$share/in
	out=$share/out
	[ "$attempt" -gt 1 ] && [ -e "$cdir/serial.log" ] &&
		mv "$cdir/serial.log" "$WORK/$combo.attempt$((attempt - 1)).serial.log"
	rm -rf "$cdir"
	mkdir -p "$in/tests" "$in/guest" "$out"

	ko=$(build_module "$abi")
	[ -n "$ko" ] && cp "$ko" "$in/xen-privcmd-eventfd.ko"
	cp "$BUILD/selftests/"* "$in/tests/" 2>/dev/null
	rm -rf "$in/tests/lib"
	if [ "$demo" = 1 ]; then
		cp "$BUILD/demo/"* "$in/tests/"
		list="xenlab-demo.sh"
		cp "$LAB_DIR/demo/xenlab-demo.sh" "$in/tests/"
	elif [ "$bench" = 1 ]; then
		cp "$BUILD/bench/xenlab-bench" "$LAB_DIR/bench/xenlab-bench.sh" "$in/tests/"
		list="xenlab-bench.sh"
	elif [ -n "$tests" ]; then
		list=$tests
	else
		# Every test program; the lab's own smoke test first, so a
		# broken lab shows before the module tests that depend on it.
		list=$(make -s -C "$SELFTESTS" list |
			awk '$0 == "userspace_relay" { print; next } { l = l $0 "\n" }
			     END { printf "%s", l }')
	fi
	for t in $list; do
		[ -x "$in/tests/$t" ] || [ -e "$SELFTESTS/$t.c" ] ||
			die "no such test program: $t"
		echo "$t"
	done >"$in/tests.list"
	cp "$LAB_DIR/dom0-init.sh" "$BUILD/xenlab-init" "$BUILD/fpu-check" "$in/"
	cp "$GUEST_KERNEL" "$in/guest/vmlinuz"
	cp "$BUILD/guest/initrd.cpio.gz" "$in/guest/"
	(cd "$in/guest" && sha256sum vmlinuz initrd.cpio.gz >SHA256SUMS)	# checked in dom0
	write_guest_cfgs "$in/guest"
	cat >"$in/lab.env" <<EOF
XENLAB_COMBO=$combo
XENLAB_DOM0=$dom0
XENLAB_PVH=$pvh
XENLAB_SHELL=$shell
XENLAB_TEST_ARGS="$test_args"
XENLAB_TEST_TIMEOUT=${XENLAB_TEST_TIMEOUT:-600}
XENLAB_DEMO_KICKS=${XENLAB_DEMO_KICKS:-1000}
XENLAB_BENCH_KICKS=${XENLAB_BENCH_KICKS:-500}
XENLAB_BENCH_REPS=${XENLAB_BENCH_REPS:-5}
XENLAB_GUEST_WAIT=${XENLAB_GUEST_WAIT:-150}
EOF
	build_dom0_initrd "$abi" "$cdir/dom0-initrd.cpio.gz"

	xen_args="console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all"
	xen_args+=" dom0_mem=768M,max:768M dom0_max_vcpus=$smp cpuidle=0 noreboot"
	# Eager FPU switching: with Xen's default on AMD (lazy, CR0.TS and #NM)
	# the emulated CPU loses vector registers when Xen switches between
	# dom0 and an HVM/PVH guest: fpu-check saw ~40 corrupted rounds a
	# minute, and test programs died of "malloc(): corrupted top size".
	# XENLAB_XEN_FPU=lazy boots the old way (Documentation/lab.md).
	if [ "${XENLAB_XEN_FPU:-eager}" = lazy ]; then
		xen_args+=" spec-ctrl=no-eager-fpu"
	else
		xen_args+=" spec-ctrl=eager-fpu"
	fi
	# One emulated CPU is fastest (xen-lab.md); the -smp combinations
	# (or XENLAB_SMP=2) give Xen 2 CPUs on 2 TCG threads and dom0 2 vCPUs.
	# XENLAB_SMP=2 was tried for the PVH dom0 (idle=poll) and did not make
	# its guests reliable.
	qemu_args=(-machine q35 -accel tcg,thread=multi
		   -cpu EPYC,+svm,+npt,-monitor -m 2048 -smp "$smp"
		   -display none -monitor none -no-reboot -nic none)
	if [ "$dom0" = pvh ]; then
		# PVH dom0 needs an IOMMU, hence devices behind it; RDTSCP off.
		xen_args+=" dom0=pvh cpuid=no-rdtscp"
		qemu_args+=(-device intel-iommu)
		virtio_opt=",disable-legacy=on,iommu_platform=on"
	fi
	dom0_args="console=hvc0 earlyprintk=xen printk.devkmsg=on"
	[ "$dom0" = pvh ] && dom0_args+=" $pvh_dom0_args"
	dom0_args+=" ${XENLAB_DOM0_ARGS:-}"
	qemu_args+=(-kernel "$XEN_BIN" -append "$xen_args"
		-initrd "$(kdir "$abi")/boot/vmlinuz-$abi-amd64 $dom0_args,$cdir/dom0-initrd.cpio.gz"
		-fsdev "local,id=fsroot,path=$ROOTFS,security_model=passthrough,readonly=on"
		-device "virtio-9p-pci,fsdev=fsroot,mount_tag=rootfs$virtio_opt"
		-fsdev "local,id=fslab,path=$share,security_model=passthrough"
		-device "virtio-9p-pci,fsdev=fslab,mount_tag=lab$virtio_opt")

	log "$combo: booting Xen + $dom0 dom0 ($abi), tests: $(tr '\n' ' ' <"$in/tests.list")"
	start=$SECONDS
	if [ "$shell" = 1 ]; then
		qemu-system-x86_64 "${qemu_args[@]}" -serial mon:stdio
		return 0
	fi
	# A hung dom0 or guest would only end at the boot timeout: also stop
	# when the console has been silent for $idle_timeout seconds.
	rm -f "$cdir/qemu.pid"
	timeout -k 10 "$boot_timeout" qemu-system-x86_64 "${qemu_args[@]}" -serial stdio \
		-pidfile "$cdir/qemu.pid" </dev/null 2>&1 | tee "$cdir/serial.log" |
		grep --line-buffered -a 'XENLAB:' | sed -u "s/^.*XENLAB: /lab: $combo: /" &
	local runner=$! idle=0 size=0 nsize
	while kill -0 "$runner" 2>/dev/null; do
		sleep 5
		nsize=$(stat -c %s "$cdir/serial.log" 2>/dev/null || echo 0)
		if [ "$started" = 0 ] && [ "$shell" = 0 ]; then
			grep -qa 'XENLAB: tests start' "$cdir/serial.log" && started=1
			if [ "$started" = 0 ] && [ $((SECONDS - start)) -ge "$pretest_timeout" ] &&
			   [ -s "$cdir/qemu.pid" ]; then
				log "$combo: tests not started after ${pretest_timeout}s: QEMU killed"
				kill "$(cat "$cdir/qemu.pid")" 2>/dev/null
				break
			fi
		fi
		if [ "$nsize" != "$size" ]; then
			size=$nsize idle=0
			continue
		fi
		idle=$((idle + 5))
		if [ "$idle" -ge "$idle_timeout" ] && [ -s "$cdir/qemu.pid" ]; then
			PROBLEMS+=("$combo: HANG: no console output for ${idle}s, QEMU killed (see $cdir/serial.log)")
			kill "$(cat "$cdir/qemu.pid")" 2>/dev/null
			break
		fi
	done
	wait "$runner"
	rc=$(grep -a -c 'XENLAB: done' "$cdir/serial.log" >/dev/null && echo 0 || echo 1)
	[ $((SECONDS - start)) -ge "$boot_timeout" ] && rc=124
	log "$combo: QEMU exited ($rc) after $((SECONDS - start)) s"
	if ! grep -qa 'XENLAB: tests start' "$cdir/serial.log" && [ "$attempt" = 1 ]; then
		# Nothing of ours has run yet (the module is loaded by the
		# tests): an infrastructure failure, shown and retried once.
		INFRA_NOTES+=("$combo: INFRA: boot $attempt never started the tests ($(
			grep -a -o 'XENLAB: \(GUEST-[^ ]* [^ ]*\|watchdog.*\|tests not run.*\)' \
			"$cdir/serial.log" | head -3 | sed 's/XENLAB: //' | tr '\n' ' ')); retried")
		log "$combo: INFRA: tests never started; retrying the boot once"
		# Anything the first boot's idle watchdog recorded is moot.
		local keep=() p
		for p in "${PROBLEMS[@]}"; do
			case $p in "$combo: HANG:"*) ;; *) keep+=("$p");; esac
		done
		PROBLEMS=("${keep[@]}")
		run_combo "$combo" $((attempt + 1))
		return
	fi
	analyze "$combo" "$rc" "$cdir" "$out" "$in/tests.list"
}

# analyze COMBO QEMU_RC CDIR OUT LIST: print TAP, tally, find problems.
analyze() {
	local combo=$1 qrc=$2 cdir=$3 out=$4 list=$5
	local t rc tap p f s pass=0 fail=0 skip=0 totals lines
	echo "# ===== $combo ====="
	while read -r t; do
		tap=$out/tap/$t.tap
		rc=$(awk -v t="$t" '$1 == t { print $2 }' "$out/results" 2>/dev/null)
		echo "# ----- $combo: $t (exit ${rc:-none}) -----"
		if [ ! -x "$BUILD/selftests/$t" ] && [ "$demo" = 0 ] && [ "$bench" = 0 ]; then
			echo "not ok - $t: does not build (see $BUILD/selftests.log)"
			fail=$((fail + 1))
			continue
		fi
		[ -e "$tap" ] && cat "$tap"
		totals=$(grep -a '^# Totals:' "$tap" 2>/dev/null | tail -1)
		if [ -n "$totals" ]; then
			p=$(sed -n 's/.* pass:\([0-9]*\).*/\1/p' <<<"$totals")
			f=$(sed -n 's/.* fail:\([0-9]*\).*/\1/p' <<<"$totals")
			s=$(sed -n 's/.* skip:\([0-9]*\).*/\1/p' <<<"$totals")
			local xf xp e
			xf=$(sed -n 's/.* xfail:\([0-9]*\).*/\1/p' <<<"$totals")
			xp=$(sed -n 's/.* xpass:\([0-9]*\).*/\1/p' <<<"$totals")
			e=$(sed -n 's/.* error:\([0-9]*\).*/\1/p' <<<"$totals")
			pass=$((pass + p + ${xf:-0}))
			fail=$((fail + f + ${xp:-0} + ${e:-0}))
			skip=$((skip + s))
			if [ "${rc:-x}" != 0 ] && [ "${rc:-x}" != 4 ] && [ $((f + ${xp:-0} + ${e:-0})) = 0 ]; then
				fail=$((fail + 1))
				echo "not ok - $t exited $rc without a failed test (crash or timeout?)"
			fi
		elif [ "${rc:-}" = 4 ]; then
			skip=$((skip + 1))
		elif [ "${rc:-}" = 0 ] && { [ "$demo" = 1 ] || [ "$bench" = 1 ]; }; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "not ok - $t: no TAP totals (exit ${rc:-none}: not run, crash or timeout)"
		fi
	done <"$list"

	# A test skips when it cannot open the device; with a module built
	# for this kernel that means it did not load, which fails the boot.
	if grep -q '^XENLAB_MODULE=.' "$out/env" 2>/dev/null &&
	   grep -aqs 'module not loaded)' "$out"/tap/*.tap; then
		fail=$((fail + 1))
		echo "not ok - lab: the module did not load in dom0 ($(grep -als 'module not loaded)' "$out"/tap/*.tap | wc -l) programs skipped for it; insmod output is in dmesg.txt)"
	fi

	# Dom0 checked its vector registers while the guests booted: a lost
	# state corrupts any program, so no result of this boot is trusted.
	local kind r m
	for kind in sse avx; do
		r=$(grep -ao "fpu-check: $kind [0-9]* rounds, [0-9]* mismatches" \
			"$out/fpu-check-$kind.txt" 2>/dev/null)
		m=$(awk '{ print $5 }' <<<"$r")
		if [ -n "$r" ] && [ "$m" = 0 ] && [ "$(awk '{ print $3 }' <<<"$r")" -gt 0 ]; then
			pass=$((pass + 1))
			echo "ok - lab: dom0 kept its $kind registers across vCPU switches (${r#fpu-check: })"
		else
			fail=$((fail + 1))
			echo "not ok - lab: dom0 lost $kind register state across vCPU switches: ${r:-fpu-check did not report} ($(grep -a 'round' "$out/fpu-check-$kind.txt" 2>/dev/null | head -2 | tr '\n' ' '))"
			PROBLEMS+=("$combo: the emulated machine lost vector register state (fpu-check $kind): no result of this boot can be trusted")
		fi
	done

	[ "$qrc" = 124 ] || [ "$qrc" = 137 ] &&
		PROBLEMS+=("$combo: TIMEOUT: QEMU killed after ${boot_timeout}s (see $cdir/serial.log)")
	grep -qa 'XENLAB: done' "$cdir/serial.log" ||
		PROBLEMS+=("$combo: dom0 did not reach the end of its script (see $cdir/serial.log)")
	[ -s "$out/notes" ] && sed "s/^/# $combo: note: /" "$out/notes"
	if [ -s "$out/status" ]; then
		while read -r lines; do
			PROBLEMS+=("$combo: INFRA (guest side, not a module failure): $lines")
		done <"$out/status"
	fi
	# A guest's console log holds every instance dom0 created under that
	# name. Only the last one ran the tests: a crash there fails the run.
	# An earlier instance that crashed is what dom0's counted retry
	# replaced: listed with the retries, with its lines, not hidden.
	local last
	for f in "$out"/console/guest-*.log; do
		[ -e "$f" ] || continue
		# (a new instance: the kernel's timestamps start again)
		last=$(awk 'match($0, /^\[ *[0-9]+\.[0-9]+\]/) {
				t = substr($0, 2, RLENGTH - 2) + 0
				if (seen && t < prev) start = NR
				prev = t; seen = 1
			} END { print start ? start : 1 }' "$f")
		lines=$(tail -n +"$last" "$f" | grep -aE "$GUEST_INFRA_RE" | head -5)
		[ -n "$lines" ] &&
			PROBLEMS+=("$combo: INFRA: guest console $(basename "$f"): $lines")
		lines=$(head -n $((last - 1)) "$f" | grep -aE "$GUEST_INFRA_RE" | head -3)
		[ -n "$lines" ] &&
			INFRA_NOTES+=("$combo: INFRA: an earlier instance in $(basename "$f") failed and dom0 created it again (a counted dom0 retry): $(tr '\n' ' ' <<<"$lines")")
	done
	# Kernel/Xen reports during the run: serial log from the test-start marker.
	lines=$( (sed -n '/XENLAB: tests start/,$p' "$cdir/serial.log"
		  sed -n '/XENLAB: tests start/,$p' "$out/dmesg.txt" 2>/dev/null) |
		grep -aE "$OOPS_RE" | sort -u | head -40)
	[ -n "$lines" ] && PROBLEMS+=("$combo: kernel/Xen report during the run:
$lines")

	echo "# $combo: $pass passed, $fail failed, $skip skipped"
	TOTAL_PASS=$((TOTAL_PASS + pass))
	TOTAL_FAIL=$((TOTAL_FAIL + fail))
	TOTAL_SKIP=$((TOTAL_SKIP + skip))
}

lab_lock
build_common
for c in $combos; do
	run_combo "$c"
done
[ "$shell" = 1 ] && exit 0

rc=0
if [ ${#INFRA_NOTES[@]} -gt 0 ]; then
	echo "# ===== infrastructure retries ====="
	for p in "${INFRA_NOTES[@]}"; do
		echo "# $p"
	done
fi
if [ ${#PROBLEMS[@]} -gt 0 ]; then
	echo "# ===== problems ====="
	for p in "${PROBLEMS[@]}"; do
		echo "$p" | sed 's/^/# /'
	done
	rc=1
	# A broken boot with no failed test must still count as a failure.
	[ "$TOTAL_FAIL" = 0 ] && TOTAL_FAIL=${#PROBLEMS[@]}
fi
[ "$TOTAL_FAIL" -gt 0 ] && rc=1
log "total time $((SECONDS - T0)) s"
summary="$TOTAL_PASS passed, $TOTAL_FAIL failed"
[ "$TOTAL_SKIP" -gt 0 ] && summary+=", $TOTAL_SKIP skipped"
echo "$summary" >"$WORK/summary.txt"
echo "$summary"
exit $rc
