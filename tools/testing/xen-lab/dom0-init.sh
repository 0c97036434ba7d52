#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the lab's dom0 (no systemd): the dom0 initramfs mounts the
# read-only 9p root and the writable "lab" share on /lab, then switch_roots
# to this script. It starts the Xen toolstack, the test guests, runs the
# tests and powers off. Inputs in /lab/in, results in /lab/out:
#   out/tap/<test>.tap   each test program's output (TAP)
#   out/results          "<test> <exit code>" per test
#   out/status           infrastructure status lines (GUEST-NOT-READY ...)
#   out/dmesg.txt        dom0 kernel log; out/xl-dmesg.txt Xen's console ring
#   out/console/         guest consoles (xenconsoled --log=all)
# Markers on the console let the host cut its serial log into phases.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
IN=/lab/in
OUT=/lab/out

# PID 1 is xenlab-init (static C, built on the host): it reaps every
# process, orphans included, and powers off when this script ends. The
# initramfs starts this script as PID 1: hand over. Bash as PID 1 lost
# track of its children: see limit below.
XI=$IN/xenlab-init
if [ $$ = 1 ]; then
	[ -x "$XI" ] && exec "$XI" "$0" "$@"
	echo "XENLAB: FATAL: $XI missing"
	exec busybox poweroff -f
fi

# Markers go to the kernel log (so dmesg has them too) which the console
# shows; plain stdout only if /dev/kmsg is not usable.
# Every say() is progress; the watchdog below reports a script that has
# made none for a long time (the redirection is a builtin: no process).
PROGRESS=/run/xenlab.progress
kmsg() { echo "XENLAB: $*" >/dev/kmsg 2>/dev/null || echo "XENLAB: $*"; }
say() { kmsg "$*"; : >"$PROGRESS" 2>/dev/null; }
status() { echo "$*" >>"$OUT/status"; say "$*"; }
note() { echo "$*" >>"$OUT/notes"; say "note: $*"; }
# retry WHAT: every dom0-side retry is counted, in out/retries and on the
# console; the host prints them with the notes. A file, not a variable:
# guest waits run in $(...) subshells.
retry() {
	echo "$*" >>"$OUT/retries"
	note "dom0 retry $(grep -c . "$OUT/retries"): $*"
}
now() { date +%s.%N; }
elapsed() { busybox awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
ln -sf /proc/self/fd /dev/fd	# what udev would do; bash <(...) needs it
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
for d in /run /tmp /var/log /var/lib/xen /var/lib/xenstored /var/tmp; do
	mount -t tmpfs -o mode=0755 tmpfs "$d"
done
chmod 1777 /tmp /var/tmp
mkdir -p /run/xen /run/xenstored /run/lock /var/log/xen "$OUT/tap" "$OUT/console"
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
hostname dom0
# shellcheck disable=SC1091
. "$IN/lab.env"		# XENLAB_DOM0, XENLAB_COMBO, XENLAB_PVH, XENLAB_SHELL ...
say "dom0 up ($(uname -r), $XENLAB_COMBO) at $(cut -d' ' -f1 /proc/uptime)s"

modprobe -a xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd
mount -t xenfs xenfs /proc/xen
XENBIN=/usr/lib/xen-$(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)/bin
"$XENBIN/xenstored" --pid-file /run/xenstored.pid
"$XENBIN/xen-init-dom0" >/dev/null
"$XENBIN/xenconsoled" --log=all --log-dir="$OUT/console" --pid-file=/run/xenconsoled.pid
say "toolstack up"
# Heartbeat: test output goes to files, and the host stops a run whose
# console is silent for long (a hung dom0); a slow test is not that.

# diag: what every userspace process is doing and where in the kernel
# (procps ps, /proc/PID/stack), for a script that stopped making progress.
diag() {
	local p pid
	ps --ppid 2 -p 2 --deselect -o pid,ppid,stat,wchan:28,etimes,args 2>&1 | while IFS= read -r p; do
		kmsg "diag: $p"
	done
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ -s "$p/cmdline" ] || continue		# kernel threads
		[ "$pid" = "$BASHPID" ] && continue
		while IFS= read -r l; do
			kmsg "diag: $pid $(tr '\0' ' ' <"$p/cmdline" | cut -c1-60): $l"
		done <"$p/stack"
	done
	echo w >/proc/sysrq-trigger 2>/dev/null		# blocked (D) tasks
}

# Heartbeat and watchdog: test output goes to files, and the host stops a
# run whose console is silent for long (a hung dom0); a slow test is not
# that. No progress for 240 s (guest waits report every 30 s, tests take
# ~1-2 min each) dumps diag once per stall.
: >"$PROGRESS"
(
	stalled=0
	while sleep 60; do
		kmsg "heartbeat $(cut -d' ' -f1 /proc/uptime)s"
		age=$(($(date +%s) - $(stat -c %Y "$PROGRESS")))
		if [ "$age" -lt 240 ]; then
			stalled=0
		elif [ "$stalled" = 0 ]; then
			stalled=1
			kmsg "watchdog: no progress for ${age}s"
			diag
		fi
	done
) &
hb=$!

# Guests: kernel and initrd copied to tmpfs once (xl reads 9p slowly) and
# checked against the sums the host computed (in/guest/SHA256SUMS) before
# any xl create: a PVH create once failed with "unable to ZSTD decompress
# kernel: Invalid kernel" for the file an HVM guest had just booted from.
copy_guest_images() {
	rm -rf /tmp/guest && mkdir -p /tmp/guest &&
		cp "$IN/guest/"* /tmp/guest/ &&
		(cd /tmp/guest && sha256sum --quiet -c SHA256SUMS) >/run/guest-sums.log 2>&1
}
images_ok=1
if ! copy_guest_images; then
	retry "guest images in /tmp/guest differ from the host's ($(tr '\n' ' ' </run/guest-sums.log)): copying again"
	copy_guest_images ||
		{ images_ok=0; status "GUEST-IMAGES-BAD $(tr '\n' ' ' </run/guest-sums.log)"; }
fi

# pause SECONDS: sleep (fractions allowed, CLOCK_MONOTONIC).
# limit SECONDS CMD ARGS: run CMD with a deadline: SIGTERM at SECONDS,
# SIGKILL 2 s later; CMD's status, or 124 on the deadline.
# Both in xenlab-init, copied to tmpfs (every call execs it). Not bash's
# "read -t" + "kill -0" polling: when dom0's vCPU lost the CPU for longer
# than the 0.1 s pause (TCG), bash 5.2's read -t found its timeout passed
# before reading and restored an uninitialised signal mask (bash 5.3 fixes
# it); with SIGCHLD in it the shell stopped reaping, a finished test or
# xenstore-read stayed <defunct>, kill -0 kept succeeding and limit waited
# for its deadline (up to 600 s). pid1-check.sh reproduces it on the host.
# Nor timeout(1): seen stuck on a futex with no child left (CI, pv-6.12).
cp "$XI" /run/xenlab-init && XI=/run/xenlab-init
pause() { "$XI" sleep "$1"; }
limit() { "$XI" limit "$@"; }

# xs CMD ARGS: a xenstore-* tool that cannot hang the script.
xs() { limit 10 "$@" 2>/dev/null; }

# uptime_s: whole seconds since boot in UPTIME_S, without a process. Not
# $SECONDS: wall-clock time jumped when a PVH dom0 switched from the
# unstable TSC to the Xen clocksource, and a guest wait "timed out" at once.
uptime_s() { read -r UPTIME_S _ </proc/uptime; UPTIME_S=${UPTIME_S%.*}; }

# domid_of NAME: domid of the guest named NAME, from xenstore.
domid_of() {
	local d
	for d in $(xs xenstore-list /local/domain); do
		[ "$(xs xenstore-read "/local/domain/$d/name")" = "$1" ] &&
			{ echo "$d"; return 0; }
	done
	return 1
}

# guest_ready NAME TIMEOUT_S -> domid on stdout; returns 0 when its agent is
# ready, 2 when the guest is gone (its name unreadable 3 polls in a row),
# 3 when no domain of that name showed up in 10 polls, 1 on timeout. Polls once a second and, once the domid is known, spawns
# at most two processes per poll: under TCG every process spawned in a PV
# dom0 is expensive and slows the very guests being waited for. No xl: under
# a PVH dom0 `xl domid` was seen to die of a libc #GP while the guests were
# fine. (A version that ran `xenstore-ls -f /local/domain` every poll hung.)
guest_ready() {
	local name=$1 start next id="" gone=0 missing=0
	uptime_s; start=$UPTIME_S next=$((UPTIME_S + 30))
	while uptime_s && [ $((UPTIME_S - start)) -lt "$2" ]; do
		[ -n "$id" ] || id=$(domid_of "$name") || id=""
		if [ -z "$id" ]; then
			missing=$((missing + 1))
			[ "$missing" -ge 10 ] && return 3
		else
			xs xenstore-read "/local/domain/$id/data/xenlab/ready" >/dev/null &&
				{ echo "$id"; return 0; }
			if xs xenstore-read "/local/domain/$id/name" >/dev/null; then
				gone=0
			else
				gone=$((gone + 1))
				[ "$gone" -ge 3 ] && return 2
			fi
		fi
		if [ "$UPTIME_S" -ge "$next" ]; then
			say "waiting for $name ($((UPTIME_S - start))s)"
			next=$((UPTIME_S + 30))
		fi
		pause 1
	done
	return 1
}

# create_guest NAME CFG: xl create, its verbose log (libxenguest's reasons,
# e.g. why a kernel did not decompress) in /tmp/xl-create-NAME.log, copied
# to out/ at the end; on failure the gist, dom0's free memory and whether
# the images still match go to the console.
create_guest() {
	local log=/tmp/xl-create-$1.log rc l
	[ "$images_ok" = 1 ] || return 1
	echo "== $(cut -d' ' -f1 /proc/uptime)s: xl create $2" >>"$log"
	# Not into a caller's $(...): xl's daemon must not hold it open.
	limit 120 xl -vvv create "$2" >>"$log" 2>&1 && return 0
	rc=$?
	kmsg "xl create $1 failed ($rc); from $log:"
	grep -a -i -E 'error|fail|invalid|unable|zstd|memory|denied' "$log" | tail -12 |
		while IFS= read -r l; do kmsg "xl: $l"; done
	kmsg "xl: dom0 $(grep -E '^(MemFree|MemAvailable):' /proc/meminfo | tr -s ' \n' ' ')"
	(cd /tmp/guest && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1 &&
		kmsg "xl: guest images still match the host's sums" ||
		kmsg "xl: guest images NO LONGER match the host's sums"
	# A half-built domain must not hold the name.
	limit 60 xl destroy "$1" >/dev/null 2>&1
	return 1
}

# guest_ctx DOMID: where a stuck guest's vCPUs are, into the serial log.
# No symbols (Debian's System.map is a stub; guests run nokaslr, so the
# addresses resolve later against the -dbg package).
guest_ctx() {
	local l p
	{
		limit 30 xl vcpu-list "$1"
		limit 30 "$XENBIN/xenctx" -C "$1"
	} 2>&1 | head -80 | while IFS= read -r l; do kmsg "ctx: $l"; done
	# Its device model's threads: a vCPU found waiting on an I/O port
	# access that QEMU never answered is the lead on this stall.
	for p in $(pgrep -f -- "-xen-domid $1 "); do
		ps -L -o tid,stat,wchan:28,comm -p "$p" 2>&1 |
			while IFS= read -r l; do kmsg "ctx: qemu $p: $l"; done
	done
}

# wait_guest NAME CFG -> domid. A guest that dies before its agent is ready
# (an HVM guest triple-faulted at kernel entry in ~1 of 10 boots), that
# never became a domain (xl create failed: its log says why), or that is
# alive but silent long after its agent should be up (an HVM guest stopped
# after "Poking KASLR" in ~1 of 10 boots), is created once more, counted as
# a retry; a second failure is an infrastructure failure. Agents are
# normally ready 25-45 s after creation.
wait_guest() {
	local id rc
	id=$(guest_ready "$1" "${XENLAB_GUEST_WAIT:-150}")
	rc=$?
	[ $rc = 0 ] && { echo "$id"; return 0; }
	[ "$images_ok" = 1 ] || return 1
	case $rc in
	1)	id=$(domid_of "$1")
		retry "$1 (domain $id) alive but not ready: vCPU state in the log; recreating"
		[ -n "$id" ] && guest_ctx "$id"
		limit 120 xl destroy "$1" || return 1;;
	2)	retry "$1 died before its agent was ready: recreating";;
	3)	retry "no domain $1 (create failed or it died at once: xl-create-$1.log, its console): creating again";;
	esac
	create_guest "$1" "$2" || { status "GUEST-CREATE-FAILED $1"; return 1; }
	id=$(guest_ready "$1" 240) && { echo "$id"; return 0; }
	return 1
}

# Vector registers must survive Xen switching between dom0 and the guests;
# checked while the guests boot, when it switches most (run.sh counts it).
fpu_pids=""
for k in sse avx; do
	"$IN/fpu-check" "${XENLAB_FPU_CHECK_S:-40}" "$k" >"$OUT/fpu-check-$k.txt" 2>&1 &
	fpu_pids+=" $!"
done
t0=$(now)
create_guest xenlab-hvm /tmp/guest/hvm.cfg
[ "$XENLAB_PVH" = 1 ] && create_guest xenlab-pvh /tmp/guest/pvh.cfg
say "guests created in $(elapsed "$t0")s"

export XENLAB_DOM0 XENLAB_OUT=$OUT XENLAB_COMBO XENLAB_DEMO_KICKS
export XENLAB_BENCH_KICKS XENLAB_BENCH_REPS
export XENLAB_MODULE=""
[ -e "$IN/xen-privcmd-eventfd.ko" ] && XENLAB_MODULE=$IN/xen-privcmd-eventfd.ko
if id=$(wait_guest xenlab-hvm /tmp/guest/hvm.cfg); then
	export XENLAB_GUEST_DOMID=$id
	say "hvm guest $id ready after $(cut -d' ' -f1 /proc/uptime)s uptime"
else
	status "GUEST-NOT-READY hvm ($(limit 30 xl list 2>&1 | awk 'NR > 1 { printf "%s/%s/%s ", $1, $2, $5 }'))"
fi
if [ "$XENLAB_PVH" = 1 ]; then
	if id=$(wait_guest xenlab-pvh /tmp/guest/pvh.cfg); then
		export XENLAB_PVH_DOMID=$id
		say "pvh guest $id ready after $(cut -d' ' -f1 /proc/uptime)s uptime"
	else
		status "GUEST-NOT-READY pvh ($(limit 30 xl list 2>&1 | awk 'NR > 1 { printf "%s/%s/%s ", $1, $2, $5 }'))"
	fi
fi
env | grep '^XENLAB_' | sort >"$OUT/env"
# shellcheck disable=SC2086
wait $fpu_pids
say "fpu-check: $(cat "$OUT"/fpu-check-*.txt | grep -a rounds | tr '\n' ' ')"

guests_ok=1
grep -q '^GUEST-' "$OUT/status" 2>/dev/null && guests_ok=0

if [ "${XENLAB_SHELL:-0}" = 1 ]; then
	say "interactive shell (exit to power off); env: $(grep -c . "$OUT/env") XENLAB_* vars"
	cd "$IN/tests" && setsid -c bash -i </dev/hvc0 >/dev/hvc0 2>&1
elif [ "$guests_ok" = 0 ]; then
	# No "tests start": the host retries the boot once (infrastructure).
	say "tests not run: a guest did not come up"
else
	say "tests start"
	cd "$IN/tests" || exit 1
	while read -r t; do
		[ -n "$t" ] || continue
		say "test $t start"
		s=$(now)
		# shellcheck disable=SC2086
		limit "${XENLAB_TEST_TIMEOUT:-600}" "./$t" $XENLAB_TEST_ARGS \
			>"$OUT/tap/$t.tap" 2>&1 </dev/null
		rc=$?
		echo "$t $rc" >>"$OUT/results"
		say "test $t exit $rc ($(elapsed "$s")s)"
	done <"$IN/tests.list"
	say "tests end"
fi

# Teardown: tests have destroyed their ioreq servers (the page must be
# unmapped before the guest goes, pitfall 10); now the guests.
for g in xenlab-pvh xenlab-hvm; do
	domid_of "$g" >/dev/null || continue
	limit 120 xl destroy "$g" || status "GUEST-DESTROY-FAILED $g"
done
limit 30 xl list >"$OUT/xl-list.txt" 2>&1
cp /tmp/xl-create-*.log "$OUT/" 2>/dev/null
say "dom0 retries: $(grep -c . "$OUT/retries" 2>/dev/null || echo 0)"
mkdir -p "$OUT/xen-logs" && cp -r /var/log/xen/. "$OUT/xen-logs/" 2>/dev/null
limit 30 xl dmesg >"$OUT/xl-dmesg.txt" 2>&1
dmesg >"$OUT/dmesg.txt"
kill "$hb" 2>/dev/null
say "done"
sync
busybox poweroff -f
