#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The guest image's program (make guest-image; /init runs it with the
# irqhint driver loaded).  No test control channel: for trying irqhint by
# hand or under libvirt.
#   - brings up the first network interface with DHCP (slirp's 10.0.2.15,
#     or libvirt's network);
#   - with "irqhint.demo" on the kernel command line, loops: makes some
#     network and disk interrupts and prints irqhint-status, every
#     irqhint.demo=SECS seconds (default 5), until Ctrl-C;
#   - then gives a shell on the console; leaving it powers off.
# /init starts it with the console as its controlling terminal.

export PATH=/bin:/sbin

# Kernel messages (the driver logs every table it reads) go to dmesg only.
dmesg -n 1

demo=
# shellcheck disable=SC2013 # words, as the kernel splits them
for arg in $(cat /proc/cmdline); do
    case $arg in
    irqhint.demo) demo=5 ;;
    irqhint.demo=*) demo=${arg#irqhint.demo=} ;;
    esac
done

cat > /tmp/udhcpc.sh <<'SCRIPT'
#!/bin/sh
case $1 in
bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -z "$router" ] || ip route replace default via "${router%% *}" dev "$interface"
    ;;
esac
SCRIPT
chmod 755 /tmp/udhcpc.sh

ip link set lo up
netif=
for n in /sys/class/net/*; do
    n=${n##*/}
    [ "$n" = lo ] && continue
    netif=$n
    break
done
gw=
if [ -n "$netif" ]; then
    ip link set "$netif" up
    udhcpc -q -n -t 4 -T 1 -i "$netif" -s /tmp/udhcpc.sh >/dev/null 2>&1
    gw=$(ip route | awk '/^default/ { print $3; exit }')
fi
disk=
for d in /sys/block/vd* /sys/block/sd*; do
    [ -e "$d" ] && { disk=/dev/${d##*/}; break; }
done

cat <<BANNER

irqhint guest image: Linux $(uname -r), $(grep -c '^processor' /proc/cpuinfo) CPUs
  network: ${netif:-none}$(ip -4 addr show dev "${netif:-lo}" 2>/dev/null |
                           awk '/inet / { printf " %s", $2 }')${gw:+, gateway $gw}
  disk:    ${disk:-none}
  irqhint-status       the driver's table and counters, MSI IRQ affinity
  dmesg                kernel messages (not shown on the console)
  cat /sys/kernel/debug/virtio-irqhint/*/table
  rmmod irqhint / insmod /lib/modules/irqhint.ko [observe_only=1]
  poweroff -f          (or leave the shell)

BANNER

# traffic: some interrupts from the network and the disk.
traffic() {
    [ -z "$gw" ] || ping -q -c 20 -i 0.05 -W 1 "$gw" >/dev/null 2>&1
    [ -z "$disk" ] ||
        dd if="$disk" of=/dev/null bs=4k count=64 iflag=direct 2>/dev/null
}

if [ -n "$demo" ]; then
    echo "demo: traffic and irqhint-status every $demo s; Ctrl-C for a shell"
    trap 'demo=' INT
    while [ -n "$demo" ]; do
        traffic
        echo "--- $(cut -d' ' -f1 /proc/uptime) s"
        irqhint-status
        [ -z "$demo" ] || sleep "$demo"
    done
    trap - INT
fi

exec sh
