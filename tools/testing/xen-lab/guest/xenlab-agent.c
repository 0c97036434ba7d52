// SPDX-License-Identifier: GPL-2.0
/*
 * xenlab-agent: the guest side of the Xen lab, run as /init of a tiny
 * initramfs in the HVM and PVH test guests. Statically linked on purpose:
 * nothing else (no busybox) runs in the guest.
 *
 * Control channel: xenstore, spoken directly over /dev/xen/xenbus (the
 * xenstore wire protocol: struct xsd_sockmsg + payload). Paths are relative
 * to the guest's home /local/domain/<domid>:
 *   data/xenlab/ready    "1" once the agent serves commands
 *   data/xenlab/vcpus    number of online vCPUs
 *   data/xenlab/evtchn   unbound event channel port allocated for dom0 by
 *                        the xenlab_guest module (absent if it failed)
 *   data/xenlab/cmd      "<seq> <op> <args...>" written by dom0
 *   data/xenlab/reply    "<seq> <rc> <value...>" written by the agent
 * Commands:
 *   W <pio> <addr> <size> <value> <count> <vcpu>  count writes, reply usecs
 *   K <pio> <addr> <size> <value> <count> <n>     count writes on each of vCPUs
 *                                                 0..n-1 at once (one process
 *                                                 pinned to each), reply the
 *                                                 wall-clock usecs of all
 *   R <pio> <addr> <size>                         one read, reply the value
 *   I                                             reply "<isa> <evtchn>" counts
 *   S <addr> <count> <ptr>                        one 4-byte rep string write of
 *                                                 count (<= 64) to MMIO: ptr 0 =
 *                                                 rep stosl, ptr 1 = rep movsl from
 *                                                 RAM (Xen: data_is_ptr requests)
 *   P                                             ping
 * Numbers are hex with 0x or decimal (strtoull base 0). rc is 0 or -errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Wire protocol subset (same numbering as xen/io/xs_wire.h). */
enum {
	XS_READ = 2,
	XS_WATCH = 4,
	XS_WRITE = 11,
	XS_WATCH_EVENT = 15,
	XS_ERROR = 16,
};

struct xs_msg_hdr {
	uint32_t type, req_id, tx_id, len;
};

#define MOD_PARAMS "/sys/module/xenlab_guest/parameters/"
#define MAX_PAYLOAD 4096

static int xb_fd = -1;
static uint32_t xb_req_id;
static int watch_pending;

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("xenlab-agent: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

/* Stream reader: the device may hand back several messages in one read. */
static char rbuf[2 * (MAX_PAYLOAD + sizeof(struct xs_msg_hdr))];
static size_t rlen;

static int xb_read_msg(struct xs_msg_hdr *hdr, char *payload)
{
	for (;;) {
		if (rlen >= sizeof(*hdr)) {
			memcpy(hdr, rbuf, sizeof(*hdr));
			if (hdr->len > MAX_PAYLOAD)
				return -EPROTO;
			if (rlen >= sizeof(*hdr) + hdr->len) {
				size_t tot = sizeof(*hdr) + hdr->len;

				memcpy(payload, rbuf + sizeof(*hdr), hdr->len);
				payload[hdr->len] = '\0';
				memmove(rbuf, rbuf + tot, rlen - tot);
				rlen -= tot;
				return 0;
			}
		}
		ssize_t n = read(xb_fd, rbuf + rlen, sizeof(rbuf) - rlen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		rlen += n;
	}
}

/*
 * Send one request and wait for its answer; watch events seen meanwhile are
 * remembered in watch_pending. Returns the payload length or -errno.
 */
static int xb_request(uint32_t type, const char *a, size_t alen,
		      const char *b, size_t blen, char *out)
{
	char msg[sizeof(struct xs_msg_hdr) + MAX_PAYLOAD];
	struct xs_msg_hdr hdr = { .type = type, .req_id = ++xb_req_id,
				  .len = alen + blen };
	static char payload[MAX_PAYLOAD + 1];

	if (alen + blen > MAX_PAYLOAD)
		return -E2BIG;
	memcpy(msg, &hdr, sizeof(hdr));
	memcpy(msg + sizeof(hdr), a, alen);
	if (blen)
		memcpy(msg + sizeof(hdr) + alen, b, blen);
	if (write(xb_fd, msg, sizeof(hdr) + alen + blen) < 0)
		return -errno;
	for (;;) {
		int err = xb_read_msg(&hdr, payload);

		if (err)
			return err;
		if (hdr.type == XS_WATCH_EVENT) {
			watch_pending = 1;
			continue;
		}
		if (hdr.req_id != xb_req_id)
			continue;
		if (hdr.type == XS_ERROR)
			return strcmp(payload, "ENOENT") ? -EIO : -ENOENT;
		if (out)
			memcpy(out, payload, hdr.len + 1);
		return hdr.len;
	}
}

static int xs_write_str(const char *path, const char *val)
{
	return xb_request(XS_WRITE, path, strlen(path) + 1, val, strlen(val),
			  NULL);
}

static int xs_read_str(const char *path, char *out)
{
	return xb_request(XS_READ, path, strlen(path) + 1, NULL, 0, out);
}

static int xs_watch(const char *path, const char *token)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%s%c%s", path, 0, token);

	return xb_request(XS_WATCH, buf, n + 1, NULL, 0, NULL);
}

/* Block until the next watch event (or one already seen). */
static int xs_wait_watch(void)
{
	static char payload[MAX_PAYLOAD + 1];
	struct xs_msg_hdr hdr;

	while (!watch_pending) {
		int err = xb_read_msg(&hdr, payload);

		if (err)
			return err;
		if (hdr.type == XS_WATCH_EVENT)
			watch_pending = 1;
	}
	watch_pending = 0;
	return 0;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

static long read_param(const char *name)
{
	char path[128], buf[64] = "";
	int fd;

	snprintf(path, sizeof(path), MOD_PARAMS "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return strtol(buf, NULL, 0);
}

/* Map the page(s) covering [addr, addr+size) uncached through /dev/mem. */
static void *map_mmio(uint64_t addr, unsigned int size, void **base,
		      size_t *len)
{
	uint64_t pa = addr & ~0xfffull;
	int fd = open("/dev/mem", O_RDWR | O_SYNC);

	if (fd < 0)
		return NULL;
	*len = ((addr + size - pa) + 0xfff) & ~0xfffull;
	*base = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pa);
	close(fd);
	if (*base == MAP_FAILED)
		return NULL;
	return (char *)*base + (addr - pa);
}

/*
 * MMIO accessors in the manner of x86's readb()/writeb() family: each is
 * exactly one mov of the given width, which the compiler may neither merge,
 * split nor drop (the lab counts the guest's MMIO writes of each size).
 */
static inline void mmio_write8(void *p, uint8_t v)
{
	asm volatile("movb %1, %0" : "=m"(*(uint8_t *)p) : "q"(v) : "memory");
}

static inline void mmio_write16(void *p, uint16_t v)
{
	asm volatile("movw %1, %0" : "=m"(*(uint16_t *)p) : "r"(v) : "memory");
}

static inline void mmio_write32(void *p, uint32_t v)
{
	asm volatile("movl %1, %0" : "=m"(*(uint32_t *)p) : "r"(v) : "memory");
}

static inline void mmio_write64(void *p, uint64_t v)
{
	asm volatile("movq %1, %0" : "=m"(*(uint64_t *)p) : "r"(v) : "memory");
}

static inline uint8_t mmio_read8(const void *p)
{
	uint8_t v;

	asm volatile("movb %1, %0" : "=q"(v) : "m"(*(const uint8_t *)p) : "memory");
	return v;
}

static inline uint16_t mmio_read16(const void *p)
{
	uint16_t v;

	asm volatile("movw %1, %0" : "=r"(v) : "m"(*(const uint16_t *)p) : "memory");
	return v;
}

static inline uint32_t mmio_read32(const void *p)
{
	uint32_t v;

	asm volatile("movl %1, %0" : "=r"(v) : "m"(*(const uint32_t *)p) : "memory");
	return v;
}

static inline uint64_t mmio_read64(const void *p)
{
	uint64_t v;

	asm volatile("movq %1, %0" : "=r"(v) : "m"(*(const uint64_t *)p) : "memory");
	return v;
}

static void mmio_store(void *p, unsigned int size, uint64_t v)
{
	switch (size) {
	case 1:
		mmio_write8(p, v);
		break;
	case 2:
		mmio_write16(p, v);
		break;
	case 4:
		mmio_write32(p, v);
		break;
	case 8:
		mmio_write64(p, v);
		break;
	}
}

static uint64_t mmio_load(void *p, unsigned int size)
{
	switch (size) {
	case 1:
		return mmio_read8(p);
	case 2:
		return mmio_read16(p);
	case 4:
		return mmio_read32(p);
	default:
		return mmio_read64(p);
	}
}

static void pio_store(uint16_t port, unsigned int size, uint64_t v)
{
	switch (size) {
	case 1:
		outb(v, port);
		break;
	case 2:
		outw(v, port);
		break;
	case 4:
		outl(v, port);
		break;
	}
}

static uint64_t pio_load(uint16_t port, unsigned int size)
{
	switch (size) {
	case 1:
		return inb(port);
	case 2:
		return inw(port);
	default:
		return inl(port);
	}
}

static int check_size(int pio, unsigned int size)
{
	if (size != 1 && size != 2 && size != 4 && (size != 8 || pio))
		return -EINVAL;
	return 0;
}

static int pin_vcpu(int vcpu)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	if (vcpu >= 0) {
		CPU_SET(vcpu, &set);
	} else {
		for (i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	}
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	if (vcpu >= 0)
		sched_yield();	/* get moved now, not mid-loop */
	return 0;
}

static int do_io(int write, int pio, uint64_t addr, unsigned int size,
		 uint64_t value, unsigned long count, int vcpu, uint64_t *out)
{
	void *p = NULL;
	void *base = NULL;
	size_t len = 0;
	uint64_t t0;
	unsigned long i;
	int err = check_size(pio, size);

	if (err)
		return err;
	err = pin_vcpu(vcpu);
	if (err)
		return err;
	if (pio) {
		if (addr + size > 0x10000 || ioperm(addr, size, 1)) {
			err = -EPERM;
			goto out;
		}
	} else {
		p = map_mmio(addr, size, &base, &len);
		if (!p) {
			err = -errno ? -errno : -EIO;
			goto out;
		}
	}
	t0 = now_us();
	if (!write) {
		*out = pio ? pio_load(addr, size) : mmio_load(p, size);
	} else {
		for (i = 0; i < count; i++) {
			if (pio)
				pio_store(addr, size, value);
			else
				mmio_store(p, size, value);
		}
		*out = now_us() - t0;
	}
	if (base)
		munmap(base, len);
	if (pio)
		ioperm(addr, size, 0);
out:
	pin_vcpu(-1);
	return err;
}

/*
 * The same writes from n vCPUs at once: one child per vCPU, pinned, all
 * released together by closing a pipe; the reply is the wall-clock time
 * from that release until the last child is done.
 */
static int do_par_io(int pio, uint64_t addr, unsigned int size, uint64_t value,
		     unsigned long count, long n, uint64_t *out)
{
	pid_t pids[64];
	int go[2], st, err = 0;
	uint64_t t0;
	long i, started = 0;
	char c;

	if (n < 1 || n > 64 || n > sysconf(_SC_NPROCESSORS_ONLN))
		return -EINVAL;
	if (pipe(go))
		return -errno;
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			err = -errno;
			break;
		}
		if (!pids[i]) {
			uint64_t us;

			close(go[1]);
			pin_vcpu(i);
			/* EOF when the parent closes its end: all start. */
			if (read(go[0], &c, 1) < 0)
				_exit(2);
			_exit(do_io(1, pio, addr, size, value, count, i, &us) ? 1 : 0);
		}
		started++;
	}
	close(go[0]);
	t0 = now_us();
	close(go[1]);
	for (i = 0; i < started; i++) {
		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			err = err ? err : -EIO;
	}
	*out = now_us() - t0;
	return err;
}

/*
 * String instructions make Xen emit multi-count ioreqs: rep stos repeats
 * one value (count > 1), rep movs from RAM passes a guest address
 * (data_is_ptr).
 */
static int do_rep(uint64_t addr, unsigned long count, int ptr)
{
	static uint32_t src[64];
	void *dst, *base = NULL;
	const void *s = src;
	unsigned long n = count;
	size_t len = 0;

	if (!count || count > 64 || (addr & 0xfff) + 4 * count > 4096)
		return -EINVAL;
	dst = map_mmio(addr, 4, &base, &len);
	if (!dst)
		return -errno ? -errno : -EIO;
	if (ptr)
		asm volatile("cld; rep movsl" : "+D"(dst), "+S"(s), "+c"(n) : : "memory");
	else
		asm volatile("cld; rep stosl" : "+D"(dst), "+c"(n) : "a"(0) : "memory");
	munmap(base, len);
	return 0;
}

static void handle(const char *cmd, char *reply, size_t rsz)
{
	char seq[32], op[4];
	unsigned long long a[6] = { 0 };
	uint64_t v = 0;
	int n, err = -EINVAL;

	n = sscanf(cmd, "%31s %3s %lli %lli %lli %lli %lli %lli", seq, op,
		   &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]);
	if (n < 2) {
		snprintf(reply, rsz, "? %d bad", -EINVAL);
		return;
	}
	switch (op[0]) {
	case 'W':
		if (n == 8)
			err = do_io(1, a[0], a[1], a[2], a[3], a[4], (int)a[5], &v);
		break;
	case 'K':
		if (n == 8)
			err = do_par_io(a[0], a[1], a[2], a[3], a[4], a[5], &v);
		break;
	case 'R':
		if (n == 5)
			err = do_io(0, a[0], a[1], a[2], 0, 1, -1, &v);
		break;
	case 'I':
		snprintf(reply, rsz, "%s 0 %ld %ld", seq, read_param("isa_count"),
			 read_param("evtchn_count"));
		return;
	case 'P':
		err = 0;
		break;
	case 'S':
		if (n == 5)
			err = do_rep(a[0], a[1], !!a[2]);
		break;
	}
	snprintf(reply, rsz, "%s %d 0x%" PRIx64, seq, err, v);
}

static void setup_system(void)
{
	int fd;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	fd = open("/xenlab_guest.ko", O_RDONLY);
	if (fd >= 0) {
		if (syscall(SYS_finit_module, fd, "", 0))
			logmsg("module load failed: %s", strerror(errno));
		close(fd);
	} else {
		logmsg("no /xenlab_guest.ko");
	}
}

int main(void)
{
	char cmd[MAX_PAYLOAD + 1], reply[256], last[32] = "", val[32];
	int i, err;

	if (getpid() == 1)
		setup_system();
	for (i = 0; i < 600; i++) {
		xb_fd = open("/dev/xen/xenbus", O_RDWR);
		if (xb_fd >= 0)
			break;
		usleep(100000);
	}
	if (xb_fd < 0) {
		logmsg("FATAL: no /dev/xen/xenbus: %s", strerror(errno));
		goto hang;
	}
	snprintf(val, sizeof(val), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	xs_write_str("data/xenlab/vcpus", val);
	if (read_param("evtchn_port") > 0) {
		snprintf(val, sizeof(val), "%ld", read_param("evtchn_port"));
		xs_write_str("data/xenlab/evtchn", val);
	}
	snprintf(val, sizeof(val), "%ld", read_param("isa_irq"));
	xs_write_str("data/xenlab/isa_irq", val);
	err = xs_watch("data/xenlab/cmd", "cmd");
	if (err < 0) {
		logmsg("FATAL: watch: %d", err);
		goto hang;
	}
	xs_write_str("data/xenlab/ready", "1");
	logmsg("ready (vcpus %ld)", sysconf(_SC_NPROCESSORS_ONLN));

	for (;;) {
		err = xs_wait_watch();
		if (err) {
			logmsg("FATAL: xenbus read: %d", err);
			goto hang;
		}
		if (xs_read_str("data/xenlab/cmd", cmd) <= 0)
			continue;
		if (sscanf(cmd, "%31s", val) != 1 || !strcmp(val, last))
			continue;	/* spurious or repeated event */
		strcpy(last, val);
		handle(cmd, reply, sizeof(reply));
		xs_write_str("data/xenlab/reply", reply);
	}
hang:
	/* PID 1 must not exit; dom0 destroys the guest. */
	for (;;)
		pause();
}
