// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * avic-vmm: a small VMM for the AVIC tests, run inside an L1 Linux on
 * /dev/kvm (kvm_amd, avic=1 or not).
 *
 * One VM per payload: KVM_CREATE_IRQCHIP (in-kernel LAPIC and IOAPIC; no
 * PIT, whose reinject mode inhibits AVIC), 2-3 vCPUs as threads with the
 * CPUID KVM supports less x2APIC (L1 KVM without x2AVIC inhibits AVIC
 * for an x2APIC guest) and less SVM; no guest debug, no KVM_INTERRUPT,
 * no change of APIC ID or base.  The APs are made runnable with their
 * registers set directly.  The guest (payload.c) is flat 64-bit code that
 * uses the xAPIC at 0xfee00000 by MMIO.
 *
 * Usage: avic-vmm [options] [PAYLOAD[:N]...|all]
 *   --sync          phase handshake: around each payload's measured part
 *                   print "AVIC-PHASE <payload> BEGIN" and "AVIC-PHASE
 *                   <payload> END ipis=<interrupts sent>", and after each
 *                   wait for one line on stdin (the host test reads
 *                   QEMU's counters in between)
 *   --n N           ping-pong round trips [1000]; PAYLOAD:N sets any
 *                   payload's count
 *   --vcpus N       vCPUs per VM, 2 or 3 [3]; the ones a payload does not
 *                   use sit in HLT and must receive nothing
 *   --timeout S     per payload [180]
 *   --no-pin        do not pin vCPU threads (default: vCPU i on L1 CPU i+1)
 *   --no-halt-confirm  send to a "halted" vCPU after a delay instead of
 *                   after seeing its thread blocked in KVM
 *   --vfio BDF      the msi payload's MSIs are a device's (bound to
 *                   vfio-pci; edu), through VFIO and a KVM irqfd; dev-irq*
 *                   need it (the device's BAR0 is mapped into the guest)
 *   --irq-cpu C     --vfio: pin the device's interrupt in L1 to CPU C
 *                   (its remapped, not posted, delivery)
 *   --tick C        load on L1 CPU C: a thread there sleeps 50 us at a
 *                   time, so that L1's timer interrupts and wake-ups keep
 *                   coming while a vCPU on C runs its guest
 *   --list          list the payloads
 * With --sync the msi payload also marks, inside its phase, the phase
 * "msi-run": exactly the MSIs to the running vCPU.
 * Each payload prints "AVIC-VMM: <payload> PASS|FAIL <details>".
 * Exit status: 0 all passed, 1 one failed, 2 usage or set-up error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <sys/eventfd.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shared.h"

extern const unsigned char payload_bin[], payload_bin_end[];

struct payload_def {
    const char *name;
    int id;
    int active;             /* vCPUs it uses (0..active-1) */
    uint32_t n;             /* default count */
    const char *what;
};

static const struct payload_def payloads[] = {
    { "self-ipi", P_SELF_IPI, 2, 200,
      "self-IPIs (shorthand self and physical own ID) on 2 vCPUs at once" },
    { "ping-pong", P_PING_PONG, 2, 1000,
      "N IPI round trips between 2 running vCPUs (IF=1, spinning)" },
    { "ipi-halted", P_IPI_HALTED, 2, 100,
      "N IPIs to a vCPU blocked in HLT (KVM must wake it)" },
    { "timer", P_TIMER, 2, 0,
      "LAPIC timer: 10 one-shots, then 20 periodic ticks on 2 vCPUs" },
    { "tpr", P_TPR, 1, 10,
      "N rounds of TPR masking, PPR, nested priorities and EOI order" },
    { "msi", P_MSI, 2, 100,
      "N KVM_SIGNAL_MSI to a running vCPU, N to a halted one" },
    { "ping-pong-hlt", P_PING_PONG_HLT, 2, 1000,
      "ping-pong, the waiting vCPU halted in the guest (HLT exits off)" },
    { "dev-irq", P_DEV_IRQ, 1, 1000,
      "--vfio: vCPU 0 raises the device's MSI (to itself) N times, spinning" },
    { "dev-irq-hlt", P_DEV_IRQ_HLT, 1, 1000,
      "dev-irq, waiting halted in the guest (HLT exits off)" },
};
#define NPAYLOADS (int)(sizeof(payloads) / sizeof(payloads[0]))

static int opt_sync, opt_vcpus = MAX_VCPUS, opt_pin = 1, opt_confirm = 1;
static int opt_timeout = 180;
static const char *opt_vfio;    /* the msi payload's MSIs: a VFIO device's */
static int opt_irq_cpu = -1;    /* --irq-cpu */
static int opt_tick = -1;       /* --tick */
static uint32_t opt_n[P_COUNT];
static int ncpus_online;

struct vcpu {
    int idx;
    int fd;
    struct kvm_run *run;
    size_t run_size;
    pthread_t th;
    volatile pid_t tid;
    volatile int stop;          /* the main thread wants it out */
    volatile int finished;      /* thread ended */
    volatile int reported;      /* the guest wrote PORT_DONE */
    uint32_t code;              /* what it wrote */
    char err[256];              /* a VMM-side error */
};

struct vfio {
    int container, group, device, kvm_dev, efd;
    uint64_t bar0;              /* BAR0's offset in the device fd */
    void *bar0_map;             /* BAR0 mmapped (slot 1 at DEV_GPA), or NULL */
    size_t bar0_size;
};

struct vm {
    struct vfio vfio;
    int kvm, fd;
    uint8_t *mem;
    struct shared *sh;
    int nv;
    struct vcpu v[MAX_VCPUS];
};

static void vfio_setup(struct vm *vm, const char *bdf);
static void handshake(void);
static void vfio_close(struct vm *vm);

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    printf("AVIC-VMM: error: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    exit(2);
}

static void on_sigusr1(int sig)
{
    (void)sig;
}

static void pin_self(int cpu)
{
    cpu_set_t set;

    if (!opt_pin || ncpus_online < 2) {
        return;
    }
    CPU_ZERO(&set);
    CPU_SET(cpu % ncpus_online, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

/* --tick: L1's own interrupts on a CPU that runs a vCPU, until exit. */
static void *ticker(void *arg)
{
    const struct timespec t = { .tv_nsec = 50000 };

    pin_self(opt_tick);
    for (;;) {
        nanosleep(&t, NULL);
    }
    return arg;
}

/* --- VM set-up ------------------------------------------------------ */

static struct kvm_cpuid2 *supported_cpuid(int kvm)
{
    for (int nent = 64; nent <= 4096; nent *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

        c->nent = nent;
        if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) == 0) {
            return c;
        }
        free(c);
        if (errno != E2BIG) {
            die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
        }
    }
    die("KVM_GET_SUPPORTED_CPUID: too many entries");
    return NULL;
}

static void set_cpuid(struct vm *vm, struct vcpu *v, const struct kvm_cpuid2 *sup)
{
    size_t size = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
    struct kvm_cpuid2 *c = malloc(size);

    memcpy(c, sup, size);
    for (unsigned i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];

        switch (e->function) {
        case 1:
            e->ecx &= ~(1u << 21);                      /* x2APIC */
            e->ebx = (e->ebx & 0x00ffffff) | ((uint32_t)v->idx << 24);
            break;
        case 0xb:
        case 0x1f:
            e->edx = v->idx;
            break;
        case 0x80000001:
            e->ecx &= ~(1u << 2);                       /* SVM */
            break;
        case 0x8000000a:
            e->eax = e->ebx = e->ecx = e->edx = 0;
            break;
        }
    }
    if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0) {
        die("KVM_SET_CPUID2: %s", strerror(errno));
    }
    free(c);
    (void)vm;
}

static void setup_memory(struct vm *vm)
{
    uint64_t *gdt, *pml4, *pdpt, *pd;
    size_t len = payload_bin_end - payload_bin;
    struct kvm_userspace_memory_region reg;

    vm->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (vm->mem == MAP_FAILED) {
        die("mmap: %s", strerror(errno));
    }
    if (len > PAYLOAD_MAX) {
        die("payload too big (%zu bytes)", len);
    }
    memcpy(vm->mem + PAYLOAD_GPA, payload_bin, len);

    /* GDT: null, 64-bit code (0x08), data (0x10), a 64-bit TSS (0x18). */
    gdt = (uint64_t *)(vm->mem + GDT_GPA);
    gdt[1] = 0x00af9b000000ffffull;
    gdt[2] = 0x00cf93000000ffffull;
    gdt[3] = 0x0000890000000067ull | (0xf00ull << 16);
    gdt[4] = 0;

    /* Identity map of 4 GiB in 2 MiB pages; the APIC's uncached. */
    pml4 = (uint64_t *)(vm->mem + PML4_GPA);
    pdpt = (uint64_t *)(vm->mem + PDPT_GPA);
    pd = (uint64_t *)(vm->mem + PD_GPA);
    pml4[0] = PDPT_GPA | 3;
    for (int i = 0; i < 4; i++) {
        pdpt[i] = (PD_GPA + 0x1000u * i) | 3;
    }
    for (uint64_t i = 0; i < 4 * 512; i++) {
        pd[i] = (i << 21) | 0x83;
        if ((i << 21) == (APIC_GPA & ~0x1fffffull)) {
            pd[i] |= 0x18;                              /* PCD | PWT */
        }
    }

    memset(&reg, 0, sizeof(reg));
    reg.slot = 0;
    reg.guest_phys_addr = 0;
    reg.memory_size = GUEST_MEM_SIZE;
    reg.userspace_addr = (uintptr_t)vm->mem;
    if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0) {
        die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
    }
    vm->sh = (struct shared *)(vm->mem + SHARED_GPA);
}

static void setup_vcpu(struct vm *vm, struct vcpu *v, const struct kvm_cpuid2 *sup)
{
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    struct kvm_segment code = {
        .base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 11,
        .present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
    };
    struct kvm_segment data = {
        .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 3,
        .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
    };
    struct kvm_segment tr = {
        .base = 0xf00, .limit = 0x67, .selector = 0x18, .type = 11,
        .present = 1, .s = 0,
    };
    struct kvm_segment ldt = {
        .selector = 0, .type = 2, .present = 1, .s = 0, .limit = 0xffff,
    };
    int mmap_size;

    v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, v->idx);
    if (v->fd < 0) {
        die("KVM_CREATE_VCPU %d: %s", v->idx, strerror(errno));
    }
    mmap_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (mmap_size <= 0) {
        die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
    }
    v->run_size = mmap_size;
    v->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
        die("mmap kvm_run: %s", strerror(errno));
    }
    set_cpuid(vm, v, sup);

    /* Start from KVM's sregs: the APIC base stays what KVM made it. */
    if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0) {
        die("KVM_GET_SREGS: %s", strerror(errno));
    }
    sregs.cs = code;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    sregs.tr = tr;
    sregs.ldt = ldt;
    sregs.gdt.base = GDT_GPA;
    sregs.gdt.limit = 5 * 8 - 1;
    sregs.idt.base = IDT_GPA;
    sregs.idt.limit = 256 * 16 - 1;
    sregs.cr0 = 0x80000033;     /* PG NE ET MP PE */
    sregs.cr3 = PML4_GPA;
    sregs.cr4 = 0x20;           /* PAE */
    sregs.efer = 0x500;         /* LMA LME */
    if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0) {
        die("KVM_SET_SREGS: %s", strerror(errno));
    }
    memset(&regs, 0, sizeof(regs));
    regs.rip = PAYLOAD_GPA;
    regs.rsp = STACK_GPA(v->idx);
    regs.rdi = v->idx;
    regs.rflags = 2;
    if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0) {
        die("KVM_SET_REGS: %s", strerror(errno));
    }
    if (v->idx) {
        struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

        if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0) {
            die("KVM_SET_MP_STATE: %s", strerror(errno));
        }
    }
}

static void vm_create(struct vm *vm, int kvm, const struct kvm_cpuid2 *sup, int nv,
                      int hlt_in_guest)
{
    memset(vm, 0, sizeof(*vm));
    vm->kvm = kvm;
    vm->nv = nv;
    vm->fd = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm->fd < 0) {
        die("KVM_CREATE_VM: %s", strerror(errno));
    }
    if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0) {
        die("KVM_CREATE_IRQCHIP: %s", strerror(errno));
    }
    if (hlt_in_guest) {
        /* HLT does not exit: a halted vCPU still "runs" for AVIC. */
        struct kvm_enable_cap cap = {
            .cap = KVM_CAP_X86_DISABLE_EXITS,
            .args[0] = KVM_X86_DISABLE_EXITS_HLT,
        };

        if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap) < 0) {
            die("KVM_CAP_X86_DISABLE_EXITS: %s", strerror(errno));
        }
    }
    setup_memory(vm);
    for (int i = 0; i < nv; i++) {
        vm->v[i].idx = i;
        setup_vcpu(vm, &vm->v[i], sup);
    }
    if (opt_vfio) {
        vfio_setup(vm, opt_vfio);
    }
}

static void vm_destroy(struct vm *vm)
{
    vfio_close(vm);
    for (int i = 0; i < vm->nv; i++) {
        munmap(vm->v[i].run, vm->v[i].run_size);
        close(vm->v[i].fd);
    }
    close(vm->fd);
    munmap(vm->mem, GUEST_MEM_SIZE);
}

/* --- vCPU threads ---------------------------------------------------- */

static void *vcpu_thread(void *arg)
{
    struct vcpu *v = arg;
    struct kvm_run *run = v->run;

    v->tid = (pid_t)syscall(SYS_gettid);
    pin_self(v->idx + 1);
    while (!v->stop) {
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            snprintf(v->err, sizeof(v->err), "KVM_RUN: %s", strerror(errno));
            break;
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            if (run->io.port == PORT_DONE && run->io.direction == KVM_EXIT_IO_OUT &&
                run->io.size == 4) {
                memcpy(&v->code, (char *)run + run->io.data_offset, 4);
                v->reported = 1;
                goto out;
            }
            snprintf(v->err, sizeof(v->err), "unexpected port I/O: %s port 0x%x size %u",
                     run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
                     run->io.port, run->io.size);
            goto out;
        case KVM_EXIT_INTR:
            continue;
        case KVM_EXIT_MMIO:
            snprintf(v->err, sizeof(v->err), "MMIO %s at 0x%llx (outside guest RAM)",
                     run->mmio.is_write ? "write" : "read",
                     (unsigned long long)run->mmio.phys_addr);
            goto out;
        case KVM_EXIT_SHUTDOWN:
            snprintf(v->err, sizeof(v->err), "shutdown (triple fault)");
            goto out;
        case KVM_EXIT_FAIL_ENTRY:
            snprintf(v->err, sizeof(v->err), "VM entry failed, reason 0x%llx",
                     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            goto out;
        case KVM_EXIT_INTERNAL_ERROR:
            snprintf(v->err, sizeof(v->err), "KVM internal error, suberror %u",
                     run->internal.suberror);
            goto out;
        default:
            snprintf(v->err, sizeof(v->err), "unexpected exit reason %u", run->exit_reason);
            goto out;
        }
    }
out:
    v->finished = 1;
    return NULL;
}

static void kick(struct vcpu *v)
{
    v->stop = 1;
    v->run->immediate_exit = 1;
    __sync_synchronize();
    if (!v->finished) {
        pthread_kill(v->th, SIGUSR1);
    }
}

/* 'S': blocked (in KVM, for a halted vCPU); 'R' running; 0 unknown. */
static char thread_state(pid_t tid)
{
    char path[64], buf[256], *p;
    int fd, n;

    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
    fd = open(path, O_RDONLY);
    if (fd < 0) {
        return 0;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return 0;
    }
    buf[n] = 0;
    p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

/* --- one payload ------------------------------------------------------ */

struct run_state {
    struct vm *vm;
    const struct payload_def *p;
    double deadline;
    char why[512];
};

/* A vCPU that stopped, or the deadline: the reason in rs->why. */
static int trouble(struct run_state *rs)
{
    struct vm *vm = rs->vm;

    for (int i = 0; i < vm->nv; i++) {
        struct vcpu *v = &vm->v[i];

        if (v->finished && (v->err[0] || (v->reported && v->code != ERR_NONE))) {
            if (vm->sh->failed) {
                snprintf(rs->why, sizeof(rs->why), "%.*s", (int)sizeof(vm->sh->msg),
                         vm->sh->msg);
            } else if (v->err[0]) {
                snprintf(rs->why, sizeof(rs->why), "vCPU%d: %s", i, v->err);
            } else {
                snprintf(rs->why, sizeof(rs->why), "vCPU%d: error code %u", i, v->code);
            }
            return 1;
        }
    }
    if (now() > rs->deadline) {
        snprintf(rs->why, sizeof(rs->why), "timeout after %d s", opt_timeout);
        return 1;
    }
    return 0;
}

static void poll_pause(void)
{
    usleep(200);
}

/* If vCPU 1 announced seq and its thread is blocked in KVM, tell the
 * guest (halted_seq) that it is really halted. */
static void confirm_halted(struct vm *vm)
{
    struct vcpu_shared *c = &vm->sh->cpu[1];
    uint32_t seq = c->seq;

    if (seq && vm->sh->halted_seq != seq && thread_state(vm->v[1].tid) == 'S' &&
        c->seq == seq) {
        vm->sh->halted_seq = seq;
    }
}

static int wait_flag(struct run_state *rs, const char *what, int (*cond)(struct vm *, int),
                     int arg, int halt_watch)
{
    while (!cond(rs->vm, arg)) {
        if (trouble(rs)) {
            size_t l = strlen(rs->why);

            snprintf(rs->why + l, sizeof(rs->why) - l, " (waiting for %s)", what);
            return -1;
        }
        if (halt_watch) {
            confirm_halted(rs->vm);
        }
        poll_pause();
    }
    return 0;
}

static int all_ready(struct vm *vm, int n)
{
    for (int i = 0; i < n; i++) {
        if (!vm->sh->cpu[i].ready) {
            return 0;
        }
    }
    return 1;
}

static int all_done(struct vm *vm, int n)
{
    for (int i = 0; i < n; i++) {
        if (!vm->sh->cpu[i].done) {
            return 0;
        }
    }
    return 1;
}

static int all_reported(struct vm *vm, int n)
{
    for (int i = 0; i < n; i++) {
        if (!vm->v[i].finished) {
            return 0;
        }
    }
    return 1;
}

static uint32_t want_cpu, want_vec, want_n;

static int want_reached(struct vm *vm, int arg)
{
    (void)arg;
    return vm->sh->cpu[want_cpu].count[want_vec] >= want_n;
}

static int seq_reached(struct vm *vm, int arg)
{
    (void)arg;
    return vm->sh->cpu[1].seq == want_n &&
           (!opt_confirm || vm->sh->halted_seq == want_n);
}

/*
 * Device assignment (--vfio BDF, a device bound to vfio-pci whose BAR0
 * write 1 at 0x60 raises its MSI: QEMU's edu).  Its MSI goes to a KVM
 * irqfd whose GSI is an MSI route to (dest, vector); KVM's IRQ bypass
 * then has the AMD IOMMU driver program the device's IRTE in guest mode
 * when the destination vCPU runs with AVIC.
 */
static void vfio_setup(struct vm *vm, const char *bdf)
{
    struct vfio *f = &vm->vfio;
    struct vfio_group_status st = { .argsz = sizeof(st) };
    struct vfio_region_info reg = { .argsz = sizeof(reg) };
    struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
    struct kvm_device_attr attr;
    struct kvm_irqfd irqfd;
    char path[256], link[256];
    ssize_t n;
    const char *grp;

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
    n = readlink(path, link, sizeof(link) - 1);
    if (n < 0) {
        die("%s: %s", path, strerror(errno));
    }
    link[n] = 0;
    grp = strrchr(link, '/') + 1;
    f->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    snprintf(path, sizeof(path), "/dev/vfio/%s", grp);
    f->group = open(path, O_RDWR | O_CLOEXEC);
    if (f->container < 0 || f->group < 0) {
        die("%s: %s", path, strerror(errno));
    }
    if (ioctl(f->group, VFIO_GROUP_GET_STATUS, &st) < 0 ||
        !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
        die("VFIO group %s not viable", grp);
    }
    if (ioctl(f->group, VFIO_GROUP_SET_CONTAINER, &f->container) < 0 ||
        ioctl(f->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0) {
        die("VFIO container: %s", strerror(errno));
    }
    f->device = ioctl(f->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
    if (f->device < 0) {
        die("VFIO_GROUP_GET_DEVICE_FD %s: %s", bdf, strerror(errno));
    }
    reg.index = VFIO_PCI_BAR0_REGION_INDEX;
    if (ioctl(f->device, VFIO_DEVICE_GET_REGION_INFO, &reg) < 0) {
        die("VFIO BAR0: %s", strerror(errno));
    }
    f->bar0 = reg.offset;
    /* BAR0 into the guest too (dev-irq*: the guest drives the device). */
    if (reg.flags & VFIO_REGION_INFO_FLAG_MMAP) {
        void *m = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, f->device,
                       reg.offset);
        struct kvm_userspace_memory_region slot = {
            .slot = 1, .guest_phys_addr = DEV_GPA, .memory_size = reg.size,
            .userspace_addr = (uintptr_t)m,
        };

        if (m == MAP_FAILED) {
            printf("AVIC-VMM: warning: mmap of BAR0: %s\n", strerror(errno));
        } else if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
            printf("AVIC-VMM: warning: BAR0 memory slot: %s\n", strerror(errno));
            munmap(m, reg.size);
        } else {
            f->bar0_map = m;
            f->bar0_size = reg.size;
        }
    }
    /* Memory decoding and bus mastering: its MSI is a DMA write. */
    reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
    if (ioctl(f->device, VFIO_DEVICE_GET_REGION_INFO, &reg) < 0) {
        die("VFIO config space: %s", strerror(errno));
    }
    {
        uint16_t cmd;

        if (pread(f->device, &cmd, 2, reg.offset + 4) != 2) {
            die("VFIO config read: %s", strerror(errno));
        }
        cmd |= 0x6;                     /* MEMORY | MASTER */
        if (pwrite(f->device, &cmd, 2, reg.offset + 4) != 2) {
            die("VFIO config write: %s", strerror(errno));
        }
    }

    /* KVM must know that the VM has an assigned device (IRQ bypass). */
    if (ioctl(vm->fd, KVM_CREATE_DEVICE, &cd) < 0) {
        die("KVM_CREATE_DEVICE vfio: %s", strerror(errno));
    }
    f->kvm_dev = cd.fd;
    memset(&attr, 0, sizeof(attr));
    attr.group = KVM_DEV_VFIO_GROUP;
    attr.attr = KVM_DEV_VFIO_GROUP_ADD;
    attr.addr = (uintptr_t)&f->group;
    if (ioctl(f->kvm_dev, KVM_SET_DEVICE_ATTR, &attr) < 0) {
        die("KVM_DEV_VFIO_GROUP_ADD: %s", strerror(errno));
    }

    f->efd = eventfd(0, EFD_CLOEXEC);
    memset(&irqfd, 0, sizeof(irqfd));
    irqfd.fd = f->efd;
    irqfd.gsi = 1;
    if (ioctl(vm->fd, KVM_IRQFD, &irqfd) < 0) {
        die("KVM_IRQFD: %s", strerror(errno));
    }
    printf("AVIC-VMM: vfio %s group %s BAR0 at 0x%llx\n", bdf, grp,
           (unsigned long long)f->bar0);
}

/* L1's IRQ of the device: its line in /proc/interrupts, or -1. */
static int vfio_irq(const char *bdf, char *line, size_t len)
{
    char want[128];
    FILE *f = fopen("/proc/interrupts", "r");
    int irq = -1;

    snprintf(want, sizeof(want), "vfio-msi[0](%s)", bdf);
    while (f && fgets(line, len, f)) {
        if (strstr(line, want)) {
            line[strcspn(line, "\n")] = 0;
            irq = atoi(line);
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    return irq;
}

/* L1's IRQ of the device (vfio-msi[0](BDF) in /proc/interrupts) to CPU @cpu. */
static void irq_pin(const char *bdf, int cpu)
{
    char line[1024], path[64], want[128];
    int irq = vfio_irq(bdf, line, sizeof(line));
    FILE *f;

    snprintf(want, sizeof(want), "vfio-msi[0](%s)", bdf);
    if (irq < 0) {
        printf("AVIC-VMM: warning: no %s in /proc/interrupts\n", want);
        return;
    }
    snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
    f = fopen(path, "w");
    if (!f || fprintf(f, "%d\n", cpu) < 0 || fclose(f) != 0) {
        printf("AVIC-VMM: warning: %s = %d: %s\n", path, cpu, strerror(errno));
        return;
    }
    printf("AVIC-VMM: IRQ %d (%s) on L1 CPU %d\n", irq, want, cpu);
}

/* Route the device's MSI (GSI 1) to (dest, vec), and enable it. */
static int vfio_route(struct vm *vm, uint32_t dest, uint32_t vec, char *why, size_t len)
{
    struct vfio *f = &vm->vfio;
    struct {
        struct kvm_irq_routing r;
        struct kvm_irq_routing_entry e[1];
    } rt;
    struct {
        struct vfio_irq_set s;
        int32_t fd;
    } irqs;

    memset(&rt, 0, sizeof(rt));
    rt.r.nr = 1;
    rt.e[0].gsi = 1;
    rt.e[0].type = KVM_IRQ_ROUTING_MSI;
    rt.e[0].u.msi.address_lo = APIC_GPA | (dest << 12);
    rt.e[0].u.msi.data = vec;
    if (ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt) < 0) {
        snprintf(why, len, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
        return -1;
    }
    memset(&irqs, 0, sizeof(irqs));
    irqs.s.argsz = sizeof(irqs);
    irqs.s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    irqs.s.index = VFIO_PCI_MSI_IRQ_INDEX;
    irqs.s.start = 0;
    irqs.s.count = 1;
    irqs.fd = f->efd;
    if (ioctl(f->device, VFIO_DEVICE_SET_IRQS, &irqs) < 0) {
        snprintf(why, len, "VFIO_DEVICE_SET_IRQS MSI: %s", strerror(errno));
        return -1;
    }
    if (opt_irq_cpu >= 0) {
        irq_pin(opt_vfio, opt_irq_cpu);
    }
    return 0;
}

/* The device raises its MSI: BAR0 0x60 = 1, then acknowledge (0x64). */
static int vfio_fire(struct vm *vm, char *why, size_t len)
{
    struct vfio *f = &vm->vfio;
    uint32_t one = 1;

    if (pwrite(f->device, &one, 4, f->bar0 + 0x60) != 4 ||
        pwrite(f->device, &one, 4, f->bar0 + 0x64) != 4) {
        snprintf(why, len, "BAR0 write: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void vfio_close(struct vm *vm)
{
    struct vfio *f = &vm->vfio;

    if (!f->device) {
        return;
    }
    close(f->efd);
    if (f->bar0_map) {
        munmap(f->bar0_map, f->bar0_size);
    }
    close(f->device);
    close(f->kvm_dev);
    close(f->group);
    close(f->container);
}

static int signal_msi(struct vm *vm, uint32_t dest, uint32_t vec, char *why, size_t len)
{
    struct kvm_msi msi;
    int r;

    memset(&msi, 0, sizeof(msi));
    msi.address_lo = APIC_GPA | (dest << 12);   /* physical destination */
    msi.data = vec;                             /* fixed, edge */
    r = ioctl(vm->fd, KVM_SIGNAL_MSI, &msi);
    if (r <= 0) {
        snprintf(why, len, "KVM_SIGNAL_MSI to %u vector 0x%x: %s", dest, vec,
                 r < 0 ? strerror(errno) : "not delivered (0)");
        return -1;
    }
    return 0;
}

/*
 * An MSI did not arrive: what L1 saw of it, for the host to compare with
 * QEMU's state.  With --sync the VMM stops in phase "stall" (the host
 * reads QEMU's counters and the backing pages), then fires one more MSI:
 * if that one arrives, the first was lost; if not, delivery is stuck.
 */
static void msi_stall(struct run_state *rs, uint32_t cpu, uint32_t vec)
{
    char line[1024] = "";
    uint32_t before = rs->vm->sh->cpu[cpu].count[vec], after;
    double until;

    printf("AVIC-VMM: stall: vCPU%u has %u of %u, L1 IRQ: %s\n", cpu, before,
           want_n, opt_vfio && vfio_irq(opt_vfio, line, sizeof(line)) >= 0 ?
           line : "(no vfio-msi line)");
    printf("AVIC-PHASE stall BEGIN\n");
    handshake();
    if (opt_vfio ? vfio_fire(rs->vm, line, sizeof(line)) < 0 :
        signal_msi(rs->vm, cpu, vec, line, sizeof(line)) < 0) {
        printf("AVIC-VMM: stall: probe MSI: %s\n", line);
    }
    until = now() + 10;
    while (rs->vm->sh->cpu[cpu].count[vec] == before && now() < until) {
        poll_pause();
    }
    after = rs->vm->sh->cpu[cpu].count[vec];
    printf("AVIC-VMM: stall: after one more MSI vCPU%u has %u (%s), L1 IRQ: %s\n",
           cpu, after, after == before ? "nothing arrived: delivery is stuck" :
           after > want_n ? "both arrived: the first was late, not lost" :
           "one arrived: the first was lost, or merged with the second",
           opt_vfio && vfio_irq(opt_vfio, line, sizeof(line)) >= 0 ?
           line : "(no vfio-msi line)");
    printf("AVIC-PHASE stall END\n");
    handshake();
}

/* Signal MSI number @i (vector @vec) to @cpu and wait until it arrives. */
static int msi_once(struct run_state *rs, uint32_t cpu, uint32_t vec,
                    uint32_t i, const char *what)
{
    /* --vfio: the device raises it, routed to (cpu, vec) by vfio_route() */
    if (opt_vfio ? vfio_fire(rs->vm, rs->why, sizeof(rs->why)) < 0 :
        signal_msi(rs->vm, cpu, vec, rs->why, sizeof(rs->why)) < 0) {
        return -1;
    }
    rs->vm->sh->sent++;
    want_cpu = cpu, want_vec = vec, want_n = i;
    if (wait_flag(rs, what, want_reached, 0, 0) < 0) {
        if (!rs->vm->sh->failed) {
            msi_stall(rs, cpu, vec);
        }
        return -1;
    }
    return 0;
}

static int drive_msi(struct run_state *rs, uint32_t n)
{
    uint32_t sent;

    if (opt_vfio && vfio_route(rs->vm, 0, V_MSI_RUN, rs->why, sizeof(rs->why)) < 0) {
        return -1;
    }
    /* The phases: exactly the MSIs to the running vCPU, then the rest. */
    sent = rs->vm->sh->sent;
    printf("AVIC-PHASE msi-run BEGIN\n");
    handshake();
    for (uint32_t i = 1; i <= n; i++) {
        if (msi_once(rs, 0, V_MSI_RUN, i, "the running vCPU's MSI") < 0) {
            printf("AVIC-PHASE msi-run END ipis=%u\n", rs->vm->sh->sent - sent);
            handshake();
            return -1;
        }
    }
    printf("AVIC-PHASE msi-run END ipis=%u\n", rs->vm->sh->sent - sent);
    handshake();
    if (opt_vfio && vfio_route(rs->vm, 1, V_MSI_HALT, rs->why, sizeof(rs->why)) < 0) {
        return -1;
    }
    for (uint32_t i = 1; i <= n; i++) {
        want_n = i;
        if (opt_confirm) {
            if (wait_flag(rs, "vCPU1 halted", seq_reached, 0, 1) < 0) {
                return -1;
            }
        } else {
            if (wait_flag(rs, "vCPU1 about to halt", seq_reached, 0, 0) < 0) {
                return -1;
            }
            usleep(2000);
        }
        if (msi_once(rs, 1, V_MSI_HALT, i, "the halted vCPU's MSI") < 0) {
            return -1;
        }
    }
    rs->vm->sh->vmm_done = 1;
    return 0;
}

static void handshake(void)
{
    char line[256];

    if (!opt_sync) {
        return;
    }
    if (!fgets(line, sizeof(line), stdin)) {
        printf("AVIC-VMM: warning: stdin closed, no more phase handshakes\n");
        opt_sync = 0;
    }
}

/* Expected deliveries of vector vec on vCPU cpu after payload p with
 * count n (the timer's extra tick is in the guest's seq). */
static uint32_t expected(const struct payload_def *p, struct vm *vm, int cpu, int vec, uint32_t n)
{
    switch (p->id) {
    case P_SELF_IPI:
        return cpu < 2 && vec == V_SELF0 + cpu ? n : 0;
    case P_PING_PONG:
    case P_PING_PONG_HLT:
        if (cpu == 0) {
            return vec == V_PONG ? n : vec == V_WARM_PONG ? PP_WARMUP : 0;
        }
        if (cpu == 1) {
            return vec == V_PING ? n : vec == V_WARM_PING ? PP_WARMUP : 0;
        }
        return 0;
    case P_IPI_HALTED:
        return cpu == 1 && vec == V_HALTED ? n : 0;
    case P_TIMER:
        if (cpu == 0 && vec == V_TIMER_ONESHOT) {
            return TIMER_ONESHOTS;
        }
        if (cpu == 0 && vec == V_TIMER_PERIOD0) {
            return TIMER_TICKS + vm->sh->cpu[0].seq;
        }
        if (cpu == 1 && vec == V_TIMER_PERIOD1) {
            return TIMER_TICKS + vm->sh->cpu[1].seq;
        }
        return 0;
    case P_TPR:
        if (cpu != 0) {
            return 0;
        }
        switch (vec) {
        case 0x40: case 0x50: case 0x55: case 0x60: case 0x65: case 0x80: case 0x90:
            return n;
        }
        return 0;
    case P_DEV_IRQ:
    case P_DEV_IRQ_HLT:
        return cpu == 0 && vec == V_DEV ? n + DEV_WARMUP : 0;
    case P_MSI:
        if (cpu == 0) {
            return vec == V_MSI_RUN ? n : 0;
        }
        if (cpu == 1) {
            return vec == V_MSI_HALT ? n : 0;
        }
        return 0;
    }
    return 0;
}

static int run_payload(int kvm, const struct kvm_cpuid2 *sup, const struct payload_def *p,
                       uint32_t n)
{
    struct vm vm;
    struct run_state rs = { .vm = &vm, .p = p };
    struct shared *sh;
    int nv = opt_vcpus, active = p->active, ok = 1, began = 0;
    double t0, t1 = 0, t2 = 0;
    char details[1024] = "";
    size_t dl;

    vm_create(&vm, kvm, sup, nv, p->id == P_PING_PONG_HLT || p->id == P_DEV_IRQ_HLT);
    sh = vm.sh;
    sh->payload = p->id;
    sh->n = n;
    sh->nvcpus = nv;
    sh->flags = (opt_confirm ? FLAG_HALT_CONFIRM : 0) |
                (vm.vfio.bar0_map ? FLAG_DEV_MAPPED : 0);
    if ((p->id == P_DEV_IRQ || p->id == P_DEV_IRQ_HLT) &&
        (!opt_vfio || vfio_route(&vm, 0, V_DEV, rs.why, sizeof(rs.why)) < 0)) {
        if (!opt_vfio) {
            snprintf(rs.why, sizeof(rs.why), "%s needs --vfio", p->name);
        }
        printf("AVIC-VMM: %s FAIL %s\n", p->name, rs.why);
        vm_destroy(&vm);
        return 0;
    }
    rs.deadline = now() + opt_timeout;
    t0 = now();
    for (int i = 0; i < nv; i++) {
        if (pthread_create(&vm.v[i].th, NULL, vcpu_thread, &vm.v[i])) {
            die("pthread_create failed");
        }
    }

    if (wait_flag(&rs, "every vCPU at the start", all_ready, nv, 0) < 0) {
        ok = 0;
        goto stop;
    }
    printf("AVIC-PHASE %s BEGIN\n", p->name);
    handshake();
    began = 1;
    t1 = now();
    sh->go = 1;
    if (p->id == P_MSI && drive_msi(&rs, n) < 0) {
        ok = 0;
        goto stop;
    }
    if (wait_flag(&rs, "the payload's end", all_done, active, p->id == P_IPI_HALTED) < 0) {
        ok = 0;
        goto stop;
    }
    t2 = now();

stop:
    if (began) {
        printf("AVIC-PHASE %s END ipis=%u\n", p->name, sh->sent);
        handshake();
    }
    if (ok) {
        sh->release = 1;
        rs.deadline = now() + 30;
        if (wait_flag(&rs, "the vCPUs' exit", all_reported, active, 0) < 0) {
            ok = 0;
        }
    }
    if (!ok) {
        sh->abort = 1;
    }
    for (int i = 0; i < nv; i++) {
        kick(&vm.v[i]);
    }
    for (int i = 0; i < nv; i++) {
        pthread_join(vm.v[i].th, NULL);
    }
    if (ok) {
        for (int i = 0; i < active; i++) {
            if (vm.v[i].err[0] || !vm.v[i].reported || vm.v[i].code != ERR_NONE) {
                ok = 0;
                snprintf(rs.why, sizeof(rs.why), "vCPU%d: %s", i,
                         vm.v[i].err[0] ? vm.v[i].err :
                         sh->failed ? (const char *)sh->msg : "did not finish");
                break;
            }
        }
        for (int i = active; i < nv && ok; i++) {
            if (vm.v[i].err[0]) {
                ok = 0;
                snprintf(rs.why, sizeof(rs.why), "spectator vCPU%d: %s", i, vm.v[i].err);
            }
        }
    }
    /* Every interrupt exactly once, at the right vector, on the right vCPU. */
    if (ok) {
        for (int c = 0; c < nv && ok; c++) {
            for (int vec = 0; vec < 256; vec++) {
                uint32_t got = sh->cpu[c].count[vec], want = expected(p, &vm, c, vec, n);

                if (got != want) {
                    ok = 0;
                    snprintf(rs.why, sizeof(rs.why),
                             "vCPU%d vector 0x%02x: %u deliveries, expected %u", c, vec,
                             got, want);
                    break;
                }
            }
        }
    }
    if (ok) {
        for (int c = 0; c < nv && ok; c++) {
            if (sh->cpu[c].apic_id != (uint32_t)c) {
                ok = 0;
                snprintf(rs.why, sizeof(rs.why), "vCPU%d: APIC ID %u", c, sh->cpu[c].apic_id);
            }
        }
    }

    snprintf(details, sizeof(details), "n=%u ipis=%u vcpus=%d time=%.3fs", n, sh->sent, nv,
             t2 > t1 ? t2 - t1 : now() - t0);
    dl = strlen(details);
    if ((p->id == P_PING_PONG || p->id == P_PING_PONG_HLT) && ok && n) {
        int64_t lat = sh->cpu[0].t_ipi_sum + sh->cpu[1].t_ipi_sum;
        int64_t mn = sh->cpu[0].t_ipi_min < sh->cpu[1].t_ipi_min ?
                     sh->cpu[0].t_ipi_min : sh->cpu[1].t_ipi_min;
        int64_t mx = sh->cpu[0].t_ipi_max > sh->cpu[1].t_ipi_max ?
                     sh->cpu[0].t_ipi_max : sh->cpu[1].t_ipi_max;

        /* TSC ticks (instructions of all vCPUs under -icount shift=0)
         * per IPI over the measured part, and from the ICR write to the
         * handler (min/avg/max; cross-vCPU, so skew shows). */
        snprintf(details + dl, sizeof(details) - dl,
                 " tsc_per_ipi=%llu ipi_latency_tsc=%lld/%lld/%lld",
                 (unsigned long long)((sh->t_end - sh->t_begin) / (2ull * n)),
                 (long long)mn, (long long)(lat / (2ll * n)), (long long)mx);
    }
    if ((p->id == P_DEV_IRQ || p->id == P_DEV_IRQ_HLT) && ok && n) {
        struct vcpu_shared *c = &sh->cpu[0];

        /* TSC ticks per interrupt over the measured part, and from the
         * guest's write to the device to its handler (min/avg/max). */
        snprintf(details + dl, sizeof(details) - dl,
                 " tsc_per_irq=%llu irq_latency_tsc=%lld/%lld/%lld",
                 (unsigned long long)((sh->t_end - sh->t_begin) / n),
                 (long long)c->t_ipi_min, (long long)(c->t_ipi_sum / (long long)n),
                 (long long)c->t_ipi_max);
    }
    if (ok) {
        printf("AVIC-VMM: %s PASS %s\n", p->name, details);
    } else {
        printf("AVIC-VMM: %s FAIL %s (%s)\n", p->name, rs.why, details);
    }
    vm_destroy(&vm);
    return ok;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: avic-vmm [--sync] [--n N] [--vcpus 2|3] [--timeout S] [--no-pin]\n"
               "                [--no-halt-confirm] [--vfio BDF] [--irq-cpu C] [--list]\n"
               "                [PAYLOAD[:N]...|all]\n");
}

int main(int argc, char **argv)
{
    const struct payload_def *list[64];
    uint32_t counts[64];
    int nlist = 0, kvm, passed = 0;
    struct kvm_cpuid2 *sup;
    struct sigaction sa;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < NPAYLOADS; i++) {
        opt_n[payloads[i].id] = payloads[i].n;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (!strcmp(a, "--sync")) {
            opt_sync = 1;
        } else if (!strcmp(a, "--no-pin")) {
            opt_pin = 0;
        } else if (!strcmp(a, "--no-halt-confirm")) {
            opt_confirm = 0;
        } else if (!strcmp(a, "--n") && i + 1 < argc) {
            opt_n[P_PING_PONG] = strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(a, "--vcpus") && i + 1 < argc) {
            opt_vcpus = atoi(argv[++i]);
            if (opt_vcpus < 2 || opt_vcpus > MAX_VCPUS) {
                usage(stderr);
                return 2;
            }
        } else if (!strcmp(a, "--vfio") && i + 1 < argc) {
            opt_vfio = argv[++i];
        } else if (!strcmp(a, "--irq-cpu") && i + 1 < argc) {
            opt_irq_cpu = atoi(argv[++i]);
        } else if (!strcmp(a, "--tick") && i + 1 < argc) {
            opt_tick = atoi(argv[++i]);
        } else if (!strcmp(a, "--timeout") && i + 1 < argc) {
            opt_timeout = atoi(argv[++i]);
        } else if (!strcmp(a, "--list")) {
            for (int k = 0; k < NPAYLOADS; k++) {
                printf("%-11s %s (N default %u)\n", payloads[k].name, payloads[k].what,
                       payloads[k].n);
            }
            return 0;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-') {
            usage(stderr);
            return 2;
        } else if (!strcmp(a, "all")) {
            for (int k = 0; k < NPAYLOADS && nlist < 64; k++) {
                if (payloads[k].id == P_DEV_IRQ || payloads[k].id == P_DEV_IRQ_HLT) {
                    continue;           /* --vfio only: not in "all" */
                }
                list[nlist] = &payloads[k];
                counts[nlist++] = 0;
            }
        } else {
            const char *colon = strchr(a, ':');
            size_t len = colon ? (size_t)(colon - a) : strlen(a);
            int k;

            for (k = 0; k < NPAYLOADS; k++) {
                if (strlen(payloads[k].name) == len && !strncmp(payloads[k].name, a, len)) {
                    break;
                }
            }
            if (k == NPAYLOADS || nlist >= 64) {
                fprintf(stderr, "avic-vmm: unknown payload %s (--list)\n", a);
                return 2;
            }
            list[nlist] = &payloads[k];
            counts[nlist++] = colon ? strtoul(colon + 1, NULL, 0) : 0;
        }
    }
    if (!nlist) {
        for (int k = 0; k < NPAYLOADS; k++) {
            if (payloads[k].id == P_DEV_IRQ || payloads[k].id == P_DEV_IRQ_HLT) {
                continue;
            }
            list[nlist] = &payloads[k];
            counts[nlist++] = 0;
        }
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigusr1;
    sigaction(SIGUSR1, &sa, NULL);      /* no SA_RESTART: KVM_RUN returns */
    ncpus_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
    pin_self(0);

    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        die("/dev/kvm: %s", strerror(errno));
    }
    if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI) <= 0) {
        die("KVM_CAP_SIGNAL_MSI missing");
    }
    if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
        die("KVM_CAP_IMMEDIATE_EXIT missing");
    }
    sup = supported_cpuid(kvm);
    printf("AVIC-VMM: %d payload(s), %d vCPUs per VM, %d L1 CPUs, pinning %s, sync %s\n",
           nlist, opt_vcpus, ncpus_online, opt_pin ? "on" : "off", opt_sync ? "on" : "off");
    if (opt_tick >= 0) {
        pthread_t t;

        if (pthread_create(&t, NULL, ticker, NULL)) {
            die("pthread_create failed");
        }
        printf("AVIC-VMM: a thread wakes every 50 us on L1 CPU %d\n", opt_tick);
    }

    for (int i = 0; i < nlist; i++) {
        uint32_t n = counts[i] ? counts[i] : opt_n[list[i]->id];

        passed += run_payload(kvm, sup, list[i], n);
    }
    printf("AVIC-VMM: done, %d of %d passed\n", passed, nlist);
    return passed == nlist ? 0 : 1;
}
