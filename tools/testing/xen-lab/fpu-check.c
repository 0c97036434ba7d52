// SPDX-License-Identifier: GPL-2.0
/*
 * fpu-check: does a dom0 process keep its vector registers while Xen runs
 * other vCPUs? Loads a pattern into xmm0-15 (ymm0-15 with "avx"), gives the
 * CPU away 50 times with the registers live (sched_yield() and busy waits
 * across timer ticks), stores them back and compares. The lab runs it while
 * the guests boot, when Xen switches FPU state between dom0 and the guests
 * most often; a mismatch means the emulated machine lost vector state, and
 * no test result of that boot can be trusted (Documentation/lab.md).
 *
 *   fpu-check SECONDS [sse|avx]
 *
 * Prints "fpu-check: <kind> <N> rounds, <M> mismatches" (and the first few
 * mismatches); exit status 1 if there was any.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#define YIELDS		50
#define SPIN		20000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Between load and store nothing may touch the vector registers: no libc
 * call (its string functions use them), only a raw syscall and a loop the
 * compiler can neither drop nor vectorise.
 */
static void give_cpu_away(void)
{
	unsigned long i;
	unsigned int n;

	for (n = 0; n < YIELDS; n++) {
		asm volatile("syscall"
			     : : "a"((long)SYS_sched_yield)
			     : "rcx", "r11", "memory");
		for (i = 0; i < SPIN; i++)
			asm volatile("" : : : "memory");	/* kept, scalar */
	}
}

/* The loads and stores are spelled out: no macro hides a register. */
static void round_sse(const uint8_t *in, uint8_t *out)
{
	asm volatile("movdqu 0(%0), %%xmm0\n\t"
		     "movdqu 16(%0), %%xmm1\n\t"
		     "movdqu 32(%0), %%xmm2\n\t"
		     "movdqu 48(%0), %%xmm3\n\t"
		     "movdqu 64(%0), %%xmm4\n\t"
		     "movdqu 80(%0), %%xmm5\n\t"
		     "movdqu 96(%0), %%xmm6\n\t"
		     "movdqu 112(%0), %%xmm7\n\t"
		     "movdqu 128(%0), %%xmm8\n\t"
		     "movdqu 144(%0), %%xmm9\n\t"
		     "movdqu 160(%0), %%xmm10\n\t"
		     "movdqu 176(%0), %%xmm11\n\t"
		     "movdqu 192(%0), %%xmm12\n\t"
		     "movdqu 208(%0), %%xmm13\n\t"
		     "movdqu 224(%0), %%xmm14\n\t"
		     "movdqu 240(%0), %%xmm15\n\t"
		     : : "r"(in) : "memory");
	give_cpu_away();
	asm volatile("movdqu %%xmm0, 0(%0)\n\t"
		     "movdqu %%xmm1, 16(%0)\n\t"
		     "movdqu %%xmm2, 32(%0)\n\t"
		     "movdqu %%xmm3, 48(%0)\n\t"
		     "movdqu %%xmm4, 64(%0)\n\t"
		     "movdqu %%xmm5, 80(%0)\n\t"
		     "movdqu %%xmm6, 96(%0)\n\t"
		     "movdqu %%xmm7, 112(%0)\n\t"
		     "movdqu %%xmm8, 128(%0)\n\t"
		     "movdqu %%xmm9, 144(%0)\n\t"
		     "movdqu %%xmm10, 160(%0)\n\t"
		     "movdqu %%xmm11, 176(%0)\n\t"
		     "movdqu %%xmm12, 192(%0)\n\t"
		     "movdqu %%xmm13, 208(%0)\n\t"
		     "movdqu %%xmm14, 224(%0)\n\t"
		     "movdqu %%xmm15, 240(%0)\n\t"
		     : : "r"(out) : "memory");
}

static void round_avx(const uint8_t *in, uint8_t *out)
{
	asm volatile("vmovdqu 0(%0), %%ymm0\n\t"
		     "vmovdqu 32(%0), %%ymm1\n\t"
		     "vmovdqu 64(%0), %%ymm2\n\t"
		     "vmovdqu 96(%0), %%ymm3\n\t"
		     "vmovdqu 128(%0), %%ymm4\n\t"
		     "vmovdqu 160(%0), %%ymm5\n\t"
		     "vmovdqu 192(%0), %%ymm6\n\t"
		     "vmovdqu 224(%0), %%ymm7\n\t"
		     "vmovdqu 256(%0), %%ymm8\n\t"
		     "vmovdqu 288(%0), %%ymm9\n\t"
		     "vmovdqu 320(%0), %%ymm10\n\t"
		     "vmovdqu 352(%0), %%ymm11\n\t"
		     "vmovdqu 384(%0), %%ymm12\n\t"
		     "vmovdqu 416(%0), %%ymm13\n\t"
		     "vmovdqu 448(%0), %%ymm14\n\t"
		     "vmovdqu 480(%0), %%ymm15\n\t"
		     : : "r"(in) : "memory");
	give_cpu_away();
	asm volatile("vmovdqu %%ymm0, 0(%0)\n\t"
		     "vmovdqu %%ymm1, 32(%0)\n\t"
		     "vmovdqu %%ymm2, 64(%0)\n\t"
		     "vmovdqu %%ymm3, 96(%0)\n\t"
		     "vmovdqu %%ymm4, 128(%0)\n\t"
		     "vmovdqu %%ymm5, 160(%0)\n\t"
		     "vmovdqu %%ymm6, 192(%0)\n\t"
		     "vmovdqu %%ymm7, 224(%0)\n\t"
		     "vmovdqu %%ymm8, 256(%0)\n\t"
		     "vmovdqu %%ymm9, 288(%0)\n\t"
		     "vmovdqu %%ymm10, 320(%0)\n\t"
		     "vmovdqu %%ymm11, 352(%0)\n\t"
		     "vmovdqu %%ymm12, 384(%0)\n\t"
		     "vmovdqu %%ymm13, 416(%0)\n\t"
		     "vmovdqu %%ymm14, 448(%0)\n\t"
		     "vmovdqu %%ymm15, 480(%0)\n\t"
		     : : "r"(out) : "memory");
}

int main(int argc, char **argv)
{
	static uint8_t in[16 * 32];
	static uint8_t out[16 * 32];
	unsigned long rounds = 0, bad = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	double end;
	size_t len, i;
	int avx;

	if (argc < 2 || (argc > 2 && strcmp(argv[2], "sse") && strcmp(argv[2], "avx"))) {
		fprintf(stderr, "usage: fpu-check SECONDS [sse|avx]\n");
		return 2;
	}
	avx = argc > 2 && !strcmp(argv[2], "avx");
	len = avx ? 16 * 32 : 16 * 16;
	end = now() + atof(argv[1]);
	while (now() < end) {
		for (i = 0; i < len; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			in[i] = seed >> 56;
		}
		memset(out, 0, sizeof(out));
		if (avx)
			round_avx(in, out);
		else
			round_sse(in, out);
		rounds++;
		if (!memcmp(in, out, len))
			continue;
		if (++bad <= 3) {
			for (i = 0; in[i] == out[i]; i++)
				;
			printf("fpu-check: round %lu: %s%zu byte %zu is %02x, not %02x\n",
			       rounds, avx ? "ymm" : "xmm", i / (avx ? 32 : 16),
			       i % (avx ? 32 : 16), out[i], in[i]);
		}
	}
	printf("fpu-check: %s %lu rounds, %lu mismatches\n", avx ? "avx" : "sse",
	       rounds, bad);
	return bad ? 1 : 0;
}
