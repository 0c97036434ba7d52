// SPDX-License-Identifier: GPL-2.0
/*
 * xenlab-init: PID 1 of the lab's dom0, and the deadline/sleep helper of
 * its script. Static, no libraries beyond libc.
 *
 *   xenlab-init SCRIPT [ARGS]        PID 1: run SCRIPT as a child, reap
 *                                    every process, power off when SCRIPT
 *                                    exits (exit instead with
 *                                    XENLAB_INIT_EXIT=1: host checks)
 *   xenlab-init limit SECS CMD ARGS  run CMD, SIGTERM at SECS, SIGKILL 2 s
 *                                    later; CMD's status (128+signal if
 *                                    killed by one) or 124 at the deadline
 *   xenlab-init sleep SECS           sleep (fractions allowed)
 *
 * Why not bash alone: bash 5.2's "read -t", when its timeout has passed
 * before the read starts (dom0's vCPU descheduled under TCG), restores an
 * uninitialised signal mask; with SIGCHLD in it the shell stops reaping
 * and a finished child stays a zombie until a deadline. Here, deadlines
 * are CLOCK_MONOTONIC (sigtimedwait), and children are waited for by pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int fd, n;

	n = snprintf(buf, sizeof(buf), "XENLAB: init: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	fd = getenv("XENLAB_INIT_EXIT") ? -1 : open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, n) != n) {
		/* no /dev/kmsg (yet): the console */
		if (write(2, buf, n) != n)
			n = 0;
	}
	if (fd >= 0)
		close(fd);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct timespec to_ts(double s)
{
	struct timespec ts;

	if (s < 0)
		s = 0;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - ts.tv_sec) * 1e9);
	return ts;
}

/* fork + exec ARGV with an empty signal mask (init blocks them all) */
static pid_t spawn(char **argv)
{
	sigset_t none;
	pid_t pid = fork();

	if (pid)
		return pid;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], argv);
	fprintf(stderr, "xenlab-init: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int status_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* wait for PID until UNTIL (monotonic); 1 and *st when it has exited */
static int wait_until(pid_t pid, double until, int *st)
{
	sigset_t chld;
	struct timespec ts;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		pid_t r = waitpid(pid, st, WNOHANG);

		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return 1;	/* not our child: nothing to wait for */
		if (now() >= until)
			return 0;
		ts = to_ts(until - now());
		sigtimedwait(&chld, NULL, &ts);
	}
}

static int do_limit(double secs, char **argv)
{
	sigset_t chld;
	pid_t pid;
	int st = 0;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	pid = spawn(argv);
	if (pid < 0) {
		perror("xenlab-init: fork");
		return 126;
	}
	if (wait_until(pid, now() + secs, &st))
		return status_of(st);
	kill(pid, SIGTERM);
	if (!wait_until(pid, now() + 2, &st)) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	return 124;
}

static int do_init(char **argv)
{
	sigset_t all, none;
	pid_t script, pid;
	int st, script_st = 0, done = 0;
	unsigned long orphans = 0;

	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);
	script = spawn(argv);
	if (script < 0) {
		say("cannot fork the script: %s", strerror(errno));
		script_st = 126;
		goto out;
	}
	for (;;) {
		siginfo_t si;

		if (sigwaitinfo(&all, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			/* Forward what a console or the kernel sends. */
			kill(script, si.si_signo);
			continue;
		}
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			if (pid == script) {
				script_st = status_of(st);
				done = 1;
			} else {
				orphans++;
			}
		}
		if (done)
			break;
	}
out:
	/* Whatever the script left behind, then the power. */
	kill(-1, SIGTERM);
	{
		double until = now() + 2;
		struct timespec ts;

		while (now() < until) {
			while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
				orphans++;
			if (pid < 0)
				break;
			ts = to_ts(0.1);
			nanosleep(&ts, NULL);
		}
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, &st, 0) > 0)
		orphans++;
	say("script exited (status %d), %lu other processes reaped", script_st,
	    orphans);
	if (getenv("XENLAB_INIT_EXIT"))
		return script_st;
	sync();
	reboot(RB_POWER_OFF);
	say("power off failed: %s", strerror(errno));
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "limit"))
		return do_limit(strtod(argv[2], NULL), argv + 3);
	if (argc == 3 && !strcmp(argv[1], "sleep")) {
		struct timespec ts = to_ts(strtod(argv[2], NULL));

		while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
			;
		return 0;
	}
	/* init mode signals every process at the end: PID 1 only */
	if (argc >= 2 && argv[1][0] == '/' && getpid() == 1)
		return do_init(argv + 1);
	fprintf(stderr, "usage: xenlab-init SCRIPT [ARGS] | limit SECS CMD [ARGS] | sleep SECS\n");
	return 2;
}
