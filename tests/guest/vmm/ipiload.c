// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ipiload: the L2 workload of the real-VMM soak (tests/guest/vmm/).
 *
 * Cross-CPU interrupts made by ordinary Linux software, counted on both
 * ends:
 *
 *  1. pipe ping-pong: two processes, pinned to CPU 0 and CPU 1, pass a
 *     sequence number back and forth over two pipes N times.  Each side
 *     blocks in read() between messages, so every write wakes a task
 *     sleeping on the other CPU (a reschedule IPI unless that CPU was
 *     still polling).  Both sides check every number they read: the next
 *     one expected (a repeat is a duplicate, anything else out of order).
 *  2. membarrier: a thread of this process spins on CPU 1 while the main
 *     thread on CPU 0 calls membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
 *     M times; each call IPIs every CPU running this mm (CPU 1) and waits
 *     for its answer (a function-call IPI).  A lost IPI hangs the call.
 *
 *  3. with a third argument K (an assigned virtio-rng, --iommu): K reads
 *     of /dev/hwrng with the device's interrupts routed to CPU 1, where a
 *     thread spins (the L2 vCPU running), then K with them routed to CPU 0,
 *     the reader's CPU (the vCPU halted while it waits).  Each read is one
 *     request to the device, completed by its interrupt; "reads" counts
 *     the requests, "rng_ok" those that returned data; rng_irq is the
 *     increase of the device's /proc/interrupts rows (all CPUs).
 *
 * /proc/interrupts' RES and CAL rows are read before and after.  Progress
 * lines: "IPILOAD: progress pipe|membarrier K/N".  The result is one line:
 *
 *   IPILOAD-RESULT: pipe_sent=S pipe_received=R pipe_dup=D pipe_order=O
 *     mb_calls=M mb_ok=K res=A,B cal=C,D [rng_reads=X rng_ok=Y rng_irq=Z]
 *     seconds=T
 *
 * pipe_sent counts the messages written by both sides (2N when all went
 * through), pipe_received those read back with the expected number;
 * res/cal: per-CPU increase of /proc/interrupts' RES and CAL.
 *
 * Usage: ipiload N M [K]  (static: gcc -O2 -static -pthread)
 * Exit status: 0 when every message and call came back exactly once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXCPU 8

struct counts {
    long sent;
    long received;
    long dup;
    long order;
};

static int ncpu;

static void pin(int cpu)
{
    cpu_set_t s;

    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    if (sched_setaffinity(0, sizeof(s), &s)) {
        fprintf(stderr, "IPILOAD: sched_setaffinity(%d): %s\n", cpu, strerror(errno));
    }
}

/* The per-CPU counts of /proc/interrupts row NAME ("RES:", "CAL:"). */
static void irq_row(const char *name, long *v)
{
    char line[4096];
    FILE *f = fopen("/proc/interrupts", "r");

    memset(v, 0, sizeof(*v) * MAXCPU);
    if (!f) {
        return;
    }
    while (fgets(line, sizeof(line), f)) {
        char *p = line;

        while (*p == ' ') {
            p++;
        }
        if (strncmp(p, name, strlen(name))) {
            continue;
        }
        p += strlen(name);
        for (int i = 0; i < ncpu && i < MAXCPU; i++) {
            v[i] = strtol(p, &p, 10);
        }
    }
    fclose(f);
}

static int xread(int fd, uint32_t *v)
{
    size_t got = 0;

    while (got < sizeof(*v)) {
        ssize_t r = read(fd, (char *)v + got, sizeof(*v) - got);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        got += r;
    }
    return 0;
}

static int xwrite(int fd, uint32_t v)
{
    ssize_t r;

    do {
        r = write(fd, &v, sizeof(v));
    } while (r < 0 && errno == EINTR);
    return r == sizeof(v) ? 0 : -1;
}

/* Check number GOT where WANT was due. */
static void account(struct counts *c, uint32_t got, uint32_t want)
{
    if (got == want) {
        c->received++;
    } else if (got + 1 == want) {
        c->dup++;
    } else {
        c->order++;
    }
}

static volatile int spin_stop, spin_started;

static void *spinner(void *arg)
{
    (void)arg;
    pin(1);
    __atomic_store_n(&spin_started, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&spin_stop, __ATOMIC_ACQUIRE)) {
        __builtin_ia32_pause();
    }
    return NULL;
}

/*
 * The device's rows of /proc/interrupts (named "virtio*" but not the
 * config interrupt): their IRQ numbers into IRQS, the total count back.
 */
static long rng_irqs(int *irqs, int *nirqs)
{
    char line[4096];
    long total = 0;
    FILE *f = fopen("/proc/interrupts", "r");

    *nirqs = 0;
    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        char *p = line;
        int irq;

        if (!strstr(line, "virtio") || strstr(line, "config")) {
            continue;
        }
        irq = strtol(p, &p, 10);
        if (*p != ':') {
            continue;
        }
        p++;
        for (int i = 0; i < ncpu; i++) {
            total += strtol(p, &p, 10);
        }
        if (*nirqs < 8) {
            irqs[(*nirqs)++] = irq;
        }
    }
    fclose(f);
    return total;
}

static void route_irqs(const int *irqs, int nirqs, int cpu)
{
    for (int i = 0; i < nirqs; i++) {
        char path[64];
        FILE *f;

        snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irqs[i]);
        f = fopen(path, "w");
        if (!f || fprintf(f, "%d\n", cpu) < 0 || fclose(f)) {
            printf("IPILOAD: routing IRQ %d to CPU %d: %s\n", irqs[i], cpu,
                   strerror(errno));
        }
    }
}

/* K reads of /dev/hwrng on CPU 0, the device's interrupts on CPU IRQ_CPU. */
static void rng_phase(long k, int irq_cpu, long *reads, long *ok)
{
    int irqs[8], nirqs;
    long step = k / 5 > 0 ? k / 5 : 1;
    int fd = open("/dev/hwrng", O_RDONLY);

    if (fd < 0) {
        printf("IPILOAD: /dev/hwrng: %s\n", strerror(errno));
        return;
    }
    rng_irqs(irqs, &nirqs);
    route_irqs(irqs, nirqs, irq_cpu);
    for (long i = 0; i < k; i++) {
        char buf[64];   /* virtio-rng fetches 64 bytes a request */

        (*reads)++;
        if (read(fd, buf, sizeof(buf)) > 0) {
            (*ok)++;
        }
        if ((i + 1) % step == 0) {
            printf("IPILOAD: progress hwrng (IRQ on CPU %d) %ld/%ld\n", irq_cpu, i + 1, k);
        }
    }
    close(fd);
}

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    long m = argc > 2 ? atol(argv[2]) : 1000;
    long k = argc > 3 ? atol(argv[3]) : 0;
    long rng_reads = 0, rng_ok = 0, rng_irq0 = 0, rng_irq1 = 0;
    int irqs[8], nirqs;
    char rng[128] = "";
    long res0[MAXCPU], res1[MAXCPU], cal0[MAXCPU], cal1[MAXCPU];
    struct counts *sh;
    int p2c[2], c2p[2];
    long step = n / 10 > 0 ? n / 10 : 1;
    long mb_ok = 0, mb_calls = 0;
    double t0 = now();
    pid_t child;
    pthread_t th;
    int status = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 2) {
        printf("IPILOAD: needs 2 CPUs, has %d\n", ncpu);
        return 2;
    }
    sh = mmap(NULL, 2 * sizeof(*sh), PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED || pipe(p2c) || pipe(c2p)) {
        perror("IPILOAD: setup");
        return 2;
    }
    memset(sh, 0, 2 * sizeof(*sh));
    irq_row("RES:", res0);
    irq_row("CAL:", cal0);

    /* 1. pipe ping-pong: the child echoes on CPU 1. */
    child = fork();
    if (child == 0) {
        pin(1);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t v;

            if (xread(p2c[0], &v)) {
                break;
            }
            account(&sh[1], v, i);
            if (xwrite(c2p[1], v)) {
                break;
            }
            sh[1].sent++;
        }
        _exit(0);
    }
    pin(0);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v;

        if (xwrite(p2c[1], i)) {
            break;
        }
        sh[0].sent++;
        if (xread(c2p[0], &v)) {
            break;
        }
        account(&sh[0], v, i);
        if ((i + 1) % step == 0) {
            printf("IPILOAD: progress pipe %u/%ld\n", i + 1, n);
        }
    }
    close(p2c[1]);
    waitpid(child, &status, 0);

    /* A thread of this process spins on CPU 1 (stopped at the end). */
    pthread_create(&th, NULL, spinner, NULL);
    while (!__atomic_load_n(&spin_started, __ATOMIC_ACQUIRE)) {
        sched_yield();
    }

    /* 2. membarrier IPIs to the spinning thread on CPU 1. */
    if (syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0)) {
        printf("IPILOAD: membarrier register: %s\n", strerror(errno));
    } else {
        step = m / 10 > 0 ? m / 10 : 1;
        for (long i = 0; i < m; i++) {
            mb_calls++;
            if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0) {
                mb_ok++;
            }
            if ((i + 1) % step == 0) {
                printf("IPILOAD: progress membarrier %ld/%ld\n", i + 1, m);
            }
        }
    }

    /* 3. the assigned device: its interrupts to a running, then a halted vCPU. */
    if (k > 0) {
        rng_irq0 = rng_irqs(irqs, &nirqs);
        if (!nirqs) {
            printf("IPILOAD: no virtio interrupt in /proc/interrupts\n");
        }
        rng_phase(k, 1, &rng_reads, &rng_ok);
        rng_phase(k, 0, &rng_reads, &rng_ok);
        rng_irq1 = rng_irqs(irqs, &nirqs);
        snprintf(rng, sizeof(rng), "rng_reads=%ld rng_ok=%ld rng_irq=%ld ",
                 rng_reads, rng_ok, rng_irq1 - rng_irq0);
    }
    __atomic_store_n(&spin_stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);

    irq_row("RES:", res1);
    irq_row("CAL:", cal1);
    printf("IPILOAD-RESULT: pipe_sent=%ld pipe_received=%ld pipe_dup=%ld pipe_order=%ld "
           "mb_calls=%ld mb_ok=%ld res=%ld,%ld cal=%ld,%ld %sseconds=%.2f\n",
           sh[0].sent + sh[1].sent, sh[0].received + sh[1].received,
           sh[0].dup + sh[1].dup, sh[0].order + sh[1].order, mb_calls, mb_ok,
           res1[0] - res0[0], res1[1] - res0[1], cal1[0] - cal0[0], cal1[1] - cal0[1],
           rng, now() - t0);
    return (sh[0].sent == n && sh[1].sent == n && sh[0].received == n &&
            sh[1].received == n && !sh[0].dup && !sh[1].dup && !sh[0].order &&
            !sh[1].order && mb_ok == m && rng_ok == 2 * k) ? 0 : 1;
}
