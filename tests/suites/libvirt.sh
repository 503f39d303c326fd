# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# irqhint under the real libvirt daemon (Debian 12's libvirt 9.0, from
# scripts/install-deps.sh).  Run by tests/tap-suite.sh (which
# defines result, $BUILD, $ROOT, $LOGDIR, $QTEST_QEMU_BINARY).
#
# What an operator does, as the operator does it:
#   - scripts/install.sh (`make install`) into a private prefix under
#     /var/tmp, and the guest image (scripts/guest-image.sh) beside it, where
#     libvirt's libvirt-qemu user can read them; default qemu.conf (QEMU
#     runs as libvirt-qemu, dynamic ownership on);
#   - virtlogd and libvirtd started here (no systemd) unless already
#     running, and stopped again if we started them;
#   - a TCG domain (<domain type='qemu'>, q35, 2 vCPUs) with the installed
#     QEMU as <emulator>, irqhint in JSON -device form at pcie.0 slot 0x1c in
#     <qemu:commandline>, a virtio NIC (<interface type='user'>: QEMU's
#     slirp), <vcpupin> vCPU0 -> host CPU 1, vCPU1 -> host CPU 0 and
#     <emulatorpin> on CPU 0 (the main loop raises virtio-net's interrupts
#     there), the serial console in a file; the guest (irqhint.demo=1) prints
#     its MSI IRQs' affinity every second or two;
#   - checks: the guest put virtio-net's RX IRQ on vCPU 1; query-irqhint
#     through `virsh qemu-monitor-command`; `virsh vcpupin --live` swaps
#     the vCPUs and the guest's IRQ follows to vCPU 0; `virsh save` /
#     `virsh restore` keeps the hint table and the running guest (its uptime
#     goes on, no reboot); `virsh destroy` / undefine; `make uninstall`
#     removes exactly what was installed.
# Everything is cleaned up on the way out, also on failure or interrupt.
# Logs: $LOGDIR/libvirt/.
#
# Why this one stays a script and not a functional test: here libvirtd is
# the launcher.  It starts QEMU itself (as libvirt-qemu, from the domain
# XML, with its own QMP connection), so the functional framework's
# launcher and QMP client (QEMUMachine, self.vm) cannot hold that QEMU;
# the test drives libvirt as an operator does, through virsh, and meson
# runs it like every other test (tests/tap-suite.sh, TAP).

libvirt_suite() {
    local dir=$LOGDIR/libvirt t="libvirt"
    local V="virsh -c qemu:///system" dom=irqhint-test-$$
    local -a names=(
        "$t: make install (scripts/install.sh) runs as libvirt-qemu"
        "$t: domain with the installed QEMU and irqhint starts"
        "$t: guest applies the hint of <vcpupin>/<emulatorpin>"
        "$t: query-irqhint through virsh qemu-monitor-command"
        "$t: virsh vcpupin --live moves the guest's IRQ"
        "$t: virsh save / restore keeps hints and the running guest"
        "$t: virsh destroy and undefine"
        "$t: make uninstall removes exactly what was installed"
    )
    local n ncpu w started_logd='' started_libvirtd='' t0 t1
    rm -rf "$dir"
    mkdir -p "$dir"

    libvirt_skip_all() {
        for n in "${names[@]}"; do result "$n" skip "$1"; done
    }
    ncpu=$(/usr/bin/python3 -c 'import os; print(len(os.sched_getaffinity(0)))' 2>/dev/null)
    if [ "$(id -u)" != 0 ]; then
        libvirt_skip_all "needs root (runs the system libvirt daemon)"; return
    elif ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null ||
         ! id libvirt-qemu >/dev/null 2>&1; then
        libvirt_skip_all "libvirt is not installed (scripts/install-deps.sh installs it)"; return
    elif [ "${ncpu:-0}" -lt 2 ] || ! [ -e /sys/devices/system/cpu/cpu1 ]; then
        libvirt_skip_all "needs host CPUs 0 and 1 (vCPUs are pinned to each)"; return
    fi

    w=$(mktemp -d /var/tmp/irqhint-libvirt.XXXXXX)
    chmod 755 "$w"

    # Cleanup, also when interrupted: the domain, the daemons we started,
    # the installed prefix, the scratch directory.
    libvirt_cleanup() {
        if [ -n "${w:-}" ]; then
            $V destroy "$dom" >/dev/null 2>&1
            $V undefine "$dom" >/dev/null 2>&1
            if [ -n "$started_libvirtd" ]; then
                libvirt_stop_daemon /run/libvirtd.pid "$started_libvirtd"
            fi
            if [ -n "$started_logd" ]; then
                libvirt_stop_daemon /run/virtlogd.pid "$started_logd"
            fi
            "$ROOT/scripts/install.sh" uninstall "$w/prefix" >/dev/null 2>&1
            rm -rf "$w"
            w=
        fi
        trap - EXIT INT TERM
    }
    # libvirt_stop_daemon PIDFILE PID: only if the pid file still names it.
    libvirt_stop_daemon() {
        [ "$(cat "$1" 2>/dev/null)" = "$2" ] || return 0
        kill "$2" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$2" 2>/dev/null || return 0
            sleep 0.2
        done
        kill -9 "$2" 2>/dev/null
    }
    trap 'libvirt_cleanup' EXIT
    trap 'libvirt_cleanup; exit 130' INT TERM

    # 1. Install, and the guest image.
    if ! "$ROOT/scripts/install.sh" install "$BUILD" "$w/prefix" >"$dir/install.log" 2>&1; then
        result "${names[0]}" fail "scripts/install.sh install failed" "$dir/install.log"
        for n in "${names[@]:1:6}"; do result "$n" skip "nothing installed"; done
        result "${names[7]}" skip "nothing installed"
        libvirt_cleanup; return
    fi
    result "${names[0]}" pass
    if ! IRQHINT_GUEST_SERIES=6.1 "$ROOT/scripts/guest-image.sh" "$w/img" >"$dir/guest-image.log" 2>&1; then
        result "${names[1]}" fail "scripts/guest-image.sh failed" "$dir/guest-image.log"
        for n in "${names[@]:2:5}"; do result "$n" skip "no guest image"; done
        libvirt_uninstall_check
        libvirt_cleanup; return
    fi

    # 2. The daemons.
    if ! $V uri >/dev/null 2>&1; then
        if ! pgrep -F /run/virtlogd.pid virtlogd >/dev/null 2>&1; then
            virtlogd -d && sleep 0.5 && started_logd=$(cat /run/virtlogd.pid 2>/dev/null)
        fi
        libvirtd -d && sleep 0.5 && started_libvirtd=$(cat /run/libvirtd.pid 2>/dev/null)
        for _ in $(seq 60); do
            $V uri >/dev/null 2>&1 && break
            sleep 0.5
        done
    fi
    {
        echo "started here: virtlogd=${started_logd:-no} libvirtd=${started_libvirtd:-no}"
        libvirtd --version
    } >"$dir/daemon.log" 2>&1

    # 3. The domain.
    cat >"$w/domain.xml" <<XML
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$dom</name>
  <memory unit='MiB'>512</memory>
  <vcpu placement='static'>2</vcpu>
  <cputune>
    <vcpupin vcpu='0' cpuset='1'/>
    <vcpupin vcpu='1' cpuset='0'/>
    <emulatorpin cpuset='0'/>
  </cputune>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$w/img/vmlinuz</kernel>
    <initrd>$w/img/initrd.img</initrd>
    <cmdline>console=ttyS0 irqhint.demo=1</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$w/prefix/bin/qemu-system-x86_64-irqhint</emulator>
    <interface type='user'>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='$w/console.log' append='on'/>
      <target port='0'/>
    </serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-device'/>
    <qemu:arg value='{"driver":"irqhint","id":"irqhint0","bus":"pcie.0","addr":"0x1c"}'/>
  </qemu:commandline>
</domain>
XML
    cp "$w/domain.xml" "$dir/domain.xml"
    if ! { $V define "$w/domain.xml" && $V start "$dom"; } >"$dir/start.log" 2>&1; then
        cat "$dir/daemon.log" >>"$dir/start.log"
        tail -20 "/var/log/libvirt/qemu/$dom.log" >>"$dir/start.log" 2>/dev/null
        result "${names[1]}" fail "virsh define/start failed" "$dir/start.log"
        for n in "${names[@]:2:5}"; do result "$n" skip "the domain did not start"; done
        libvirt_uninstall_check
        libvirt_cleanup; return
    fi
    result "${names[1]}" pass

    # The guest's console: blocks "--- UPTIME s" ... "IRQ AFFINITY counts
    # virtioN-input.0".  libvirt_rx_affinity prints "UPTIME AFFINITY" of the
    # last block that shows virtio-net's RX IRQ.
    libvirt_rx_affinity() {
        tr -d '\r' 2>/dev/null <"$w/console.log" | awk '
            /^--- [0-9.]+ s$/ { up = $2 }
            /virtio[0-9]+-input\.0$/ && up != "" { last = up " " $2 }
            END { if (last != "") print last }'
    }
    # libvirt_wait_rx AFFINITY SECONDS [AFTER_UPTIME]: until the guest
    # reports its RX IRQ on AFFINITY (after guest uptime AFTER_UPTIME).
    libvirt_wait_rx() {
        local want=$1 secs=$2 after=${3:-0} cur
        for _ in $(seq $((secs * 2))); do
            cur=$(libvirt_rx_affinity)
            if [ -n "$cur" ] && [ "${cur#* }" = "$want" ] &&
               awk -v a="${cur%% *}" -v b="$after" 'BEGIN { exit !(a > b) }'; then
                echo "$cur"; return 0
            fi
            sleep 0.5
        done
        return 1
    }
    libvirt_query() {
        $V qemu-monitor-command "$dom" '{"execute":"query-irqhint"}' 2>&1
    }

    # 4. The hint of the XML's pinning reaches the guest: the main loop
    # (emulatorpin 0) raises RX interrupts on host CPU 0, where vCPU 1 runs.
    local cur before
    if cur=$(libvirt_wait_rx 1 150); then
        result "${names[2]}" pass
    else
        tr -d '\r' <"$w/console.log" >"$dir/console-boot.log" 2>/dev/null
        result "${names[2]}" fail "the guest's RX IRQ is not on vCPU 1 (last: '$(libvirt_rx_affinity)')" \
            "$dir/console-boot.log"
    fi

    # 5. query-irqhint through virsh.
    libvirt_query >"$dir/query.json"
    if python3 - "$dir/query.json" >"$dir/query.log" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["return"]
print(json.dumps(r, indent=1))
v = {c["cpu-index"]: c for c in r["vcpus"]}
assert v[0]["source"] == "pinned" and v[0]["host-cpu"] == 1, v[0]
assert v[1]["source"] == "pinned" and v[1]["host-cpu"] == 0, v[1]
net = [s for s in r["sources"] if s["qdev"].endswith("/net0") and s["observed"]]
assert net, "no observed virtio-net source"
assert any(s["hint"] == [1] and s["published"] for s in net), "no virtio-net hint naming vCPU 1"
PY
    then
        result "${names[3]}" pass
    else
        result "${names[3]}" fail "unexpected query-irqhint answer" "$dir/query.log"
    fi

    # 6. Live re-pin: the vCPUs swap host CPUs; the guest's RX IRQ follows
    # to vCPU 0 (now on host CPU 0 with the main loop).
    before=$(libvirt_rx_affinity)
    t0=$(date +%s.%N)
    { $V vcpupin "$dom" 0 0 --live && $V vcpupin "$dom" 1 1 --live; } >"$dir/vcpupin.log" 2>&1
    if cur=$(libvirt_wait_rx 0 60 "${before%% *}"); then
        t1=$(date +%s.%N)
        echo "guest reported RX IRQ on vCPU 0 at uptime ${cur%% *} s (before: $before)," \
             "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after the re-pin" \
             >>"$dir/vcpupin.log"
        result "${names[4]}" pass
    else
        tr -d '\r' <"$w/console.log" | tail -40 >>"$dir/vcpupin.log"
        result "${names[4]}" fail "the guest's RX IRQ did not move to vCPU 0 (before: '$before', last: '$(libvirt_rx_affinity)')" \
            "$dir/vcpupin.log"
    fi

    # 7. Save and restore: the hint table comes back (every source seen
    # before, with the same hint) and the guest goes on running (its
    # uptime continues and it keeps applying the hint).
    libvirt_query >"$dir/query-before-save.json"
    before=$(libvirt_rx_affinity)
    {
        $V save "$dom" "$w/saved.img" && echo "state after save: $($V domstate "$dom")" &&
            $V restore "$w/saved.img" && echo "state after restore: $($V domstate "$dom")"
    } >"$dir/save-restore.log" 2>&1
    local sr_ok=$?
    libvirt_query >"$dir/query-after-restore.json"
    if [ $sr_ok -eq 0 ] &&
       python3 - "$dir/query-before-save.json" "$dir/query-after-restore.json" \
           >>"$dir/save-restore.log" 2>&1 <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["return"]
b = json.load(open(sys.argv[2]))["return"]
key = lambda s: (s["qdev"], s["msix"], s["index"])
ha = {key(s): s["hint"] for s in a["sources"] if s["published"]}
hb = {key(s): s["hint"] for s in b["sources"] if s["published"]}
print("before save:", a["generation"], ha)
print("after restore:", b["generation"], hb)
assert ha, "no published hint before save"
for k, h in ha.items():
    assert hb.get(k) == h, "source %s: hint %s before, %s after" % (k, h, hb.get(k))
assert b["generation"] >= a["generation"], "generation went back"
PY
    then
        if cur=$(libvirt_wait_rx 0 60 "${before%% *}"); then
            echo "guest: before save '$before', after restore '$cur'" >>"$dir/save-restore.log"
            result "${names[5]}" pass
        else
            tr -d '\r' <"$w/console.log" | tail -40 >>"$dir/save-restore.log"
            result "${names[5]}" fail "the guest did not go on after restore (before: '$before', last: '$(libvirt_rx_affinity)')" \
                "$dir/save-restore.log"
        fi
    else
        tail -20 "/var/log/libvirt/qemu/$dom.log" >>"$dir/save-restore.log" 2>/dev/null
        result "${names[5]}" fail "virsh save/restore failed or lost state" "$dir/save-restore.log"
    fi
    tr -d '\r' <"$w/console.log" >"$dir/console.log" 2>/dev/null
    cp "/var/log/libvirt/qemu/$dom.log" "$dir/qemu.log" 2>/dev/null

    # 8. Destroy and undefine.
    if { $V destroy "$dom" && $V undefine "$dom"; } >"$dir/destroy.log" 2>&1 &&
       ! $V list --all --name 2>/dev/null | grep -qx "$dom"; then
        result "${names[6]}" pass
    else
        result "${names[6]}" fail "virsh destroy/undefine failed" "$dir/destroy.log"
    fi

    libvirt_uninstall_check
    libvirt_cleanup
}

# The prefix holds nothing once uninstall has run (it was empty before).
libvirt_uninstall_check() {
    if "$ROOT/scripts/install.sh" uninstall "$w/prefix" >"$dir/uninstall.log" 2>&1 &&
       [ -z "$(find "$w/prefix" -mindepth 1 2>/dev/null | tee -a "$dir/uninstall.log")" ]; then
        result "${names[7]}" pass
    else
        result "${names[7]}" fail "files left in the prefix" "$dir/uninstall.log"
    fi
}

libvirt_suite
unset -f libvirt_suite libvirt_uninstall_check libvirt_skip_all libvirt_cleanup \
    libvirt_stop_daemon libvirt_rx_affinity libvirt_wait_rx libvirt_query
