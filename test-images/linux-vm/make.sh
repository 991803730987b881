#!/usr/bin/env bash
# A two-disk Linux VM as a backup holds it (issues 16 and 17, "Done when"), made with real tools:
#   disk1: MBR; p1 = 4 MiB ext4 /boot; p2 = LVM2 PV pv0 (16 MiB)
#   disk2: whole-disk PV pv1 (20 MiB)
#   VG linuxvg, 1 MiB extents, over both PVs:
#     root    ext4, 6 extents, linear across both PVs: LV extents 0-2 on pv1 PE 0, 3-5 on pv0 PE 0
#     legacy  ext3, 3 extents on pv0 PE 3
#     journal ext4 whose last transaction (a new file, a rewritten one, a removed one) is only in
#             its journal (debugfs jo/jw/jc; needs_recovery set), 4 extents on pv1 PE 3
#     xfs     XFS v5, 16 extents striped over pv0 PE 6 and pv1 PE 7, 2 stripes of 64 KiB
# LVM2 metadata is written by pvcreate/vgcreate/vgcfgrestore on loop devices (no device-mapper:
# the LVs are never activated); each file system is made in a file (mke2fs -d, mkfs.xfs -p) and
# copied into its extents at offsets computed from that layout. Each disk is kept as a
# monolithicSparse and a streamOptimized VMDK (qemu-img), with a .vmx naming each pair.
# manifest.json: every entry of every volume (type, mode, uid, gid, mtime, link target, size,
# sha256), the journal volume as e2fsck -fy on a copy shows it, each LV's sha256, lvs output.
# Tools (Debian): lvm2, e2fsprogs, xfsprogs, faketime, fdisk (sfdisk), qemu-img, python3, losetup.
# Usage: sudo test-images/linux-vm/make.sh   (writes next to itself; scratch in $WORK)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh"   # strict mode, C locale, UTC; fresh_work, write_vmx
fresh_work linux-vm   # $WORK
cd "$WORK"
export E2FSPROGS_FAKE_TIME=1709294400   # 2024-03-01 12:00:00 UTC: mke2fs and debugfs times
STAMP='2024-03-01 12:00:00'
# mkfs.xfs refuses volumes under 300 MB unless it believes it runs under fstests.
export TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1
MIB=1048576

# Source trees (one per volume) and the XFS protofile; tree.json lists what each must hold.
python3 "$HERE/tree.py" "$WORK"

# --- disks, PVs, VG, LVs ---------------------------------------------------------------------
truncate -s 24M disk1.raw
truncate -s 20M disk2.raw
printf 'label: dos\nlabel-id: 0x6772746c\nstart=2048, size=8192, type=83, bootable\nstart=10240, size=32768, type=8e\n' | sfdisk -q disk1.raw
L1=$(losetup -f --show -o $((5 * MIB)) --sizelimit $((16 * MIB)) disk1.raw)
L2=$(losetup -f --show disk2.raw)
trap 'losetup -d $L1 $L2 2>/dev/null || true' EXIT
CFG="devices{filter=[\"a|^$L1\$|\",\"a|^$L2\$|\",\"r|.*|\"] use_devicesfile=0} backup{backup=0 archive=0}"
pvcreate -q --config "$CFG" --norestorefile --uuid "GrtVm0-aaaa-bbbb-cccc-dddd-eeee-000000" "$L1"
pvcreate -q --config "$CFG" --norestorefile --uuid "GrtVm1-aaaa-bbbb-cccc-dddd-eeee-111111" "$L2"
vgcreate -q --config "$CFG" -s 1M linuxvg "$L1" "$L2"
vgcfgbackup -q --config "$CFG" -f vg-empty.txt linuxvg
python3 - "$HERE/.." <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from lvm_text import add_lvs
lvid = lambda name: f'GrtLv{name[:1].upper()}-aaaa-bbbb-cccc-dddd-eeee-{name[:6]:0>6}'
add_lvs('vg-empty.txt', 'vg-full.txt', 1709294400, [(name, lvid(name), segments) for name, segments in [
    ('root', [(0, 3, 0, [('pv1', 0)]), (3, 3, 0, [('pv0', 0)])]),
    ('legacy', [(0, 3, 0, [('pv0', 3)])]),
    ('journal', [(0, 4, 0, [('pv1', 3)])]),
    ('xfs', [(0, 16, 128, [('pv0', 6), ('pv1', 7)])]),
]])
PY
vgcfgrestore -q --config "$CFG" -f vg-full.txt linuxvg
lvs --config "$CFG" -a -o lv_name,lv_size,segtype,stripes,stripe_size,seg_start_pe,seg_pe_ranges --units b >oracle-lvs.txt
sed -i "s|$L1|disk1p2|g; s|$L2|disk2|g" oracle-lvs.txt
losetup -d "$L1" "$L2"
trap - EXIT

# --- file systems ----------------------------------------------------------------------------
mkext() { # name, size, mke2fs options...
  local name="$1" size="$2"; shift 2
  mke2fs -q -F -L "$name" -U 6772746c-0000-4000-8000-$(printf '%012x' "${#name}") -E root_owner=0:0 -d "src/$name" "$@" "$name.fs" "$size"
}
mkext boot 4M -t ext4 -b 1024
mkext root 6M -t ext4 -b 1024 -O metadata_csum,64bit
mkext legacy 3M -t ext3 -b 1024 -I 256
mkext journal 4M -t ext4 -b 1024 -O metadata_csum,64bit
# The journal volume's last transaction: the changed blocks of "after" as committed transactions
# in the journal of the volume as it stays (ext4-journal in test-images/ext does the same).
cp journal.fs after.fs
debugfs -w -f - after.fs >/dev/null 2>&1 <<CMDS
write src/late.txt late.txt
sif late.txt mode 0100640
sif late.txt uid 1000
sif late.txt gid 1000
rm motd
CMDS
blocks=$({ cmp -l journal.fs after.fs || true; } | awk '{print int(($1-1)/1024)}' | sort -un | tr '\n' ' ')
: >tx.bin; list=""
for b in $blocks; do dd if=after.fs bs=1024 skip="$b" count=1 status=none >>tx.bin; list="${list:+$list,}$b"; done
debugfs -w -f - journal.fs >/dev/null <<CMDS
jo
jw -b $list tx.bin
jc
CMDS
cp journal.fs journal.oracle.fs
e2fsck -fy journal.oracle.fs >/dev/null 2>&1 || [ $? -le 1 ]
truncate -s 16M xfs.fs
faketime -f "$STAMP" mkfs.xfs -q -f -m uuid=6772746c-7866-7300-0000-000000000001 -L xfs -p proto xfs.fs
xfs_repair -n -o force_geometry xfs.fs >xfs.repair 2>&1

# --- file systems into the disks: boot into p1, each LV into its PV extents ------------------
dd if=boot.fs of=disk1.raw bs=1M seek=1 conv=notrunc status=none
python3 - <<'PY'
MIB, PE_START = 1048576, 1048576
pv = {'pv0': ('disk1.raw', 5 * MIB), 'pv1': ('disk2.raw', 0)}
def put(name, extent, data):
    f, base = pv[name]
    with open(f, 'r+b') as h:
        h.seek(base + PE_START + extent * MIB); h.write(data)
root = open('root.fs', 'rb').read()
put('pv1', 0, root[:3 * MIB]); put('pv0', 0, root[3 * MIB:])
put('pv0', 3, open('legacy.fs', 'rb').read())
put('pv1', 3, open('journal.fs', 'rb').read())
# Striped: chunk c (64 KiB) on stripe c mod 2, at chunk c div 2 of that stripe's area.
xfs, chunk = open('xfs.fs', 'rb').read(), 65536
for c in range(len(xfs) // chunk):
    stripe = c % 2
    f, base = pv[['pv0', 'pv1'][stripe]]
    with open(f, 'r+b') as h:
        h.seek(base + PE_START + [6, 7][stripe] * MIB + (c // 2) * chunk); h.write(xfs[c * chunk:(c + 1) * chunk])
PY

rm -f "$HERE"/*.vmdk.gz "$HERE"/*.vmx
for d in disk1 disk2; do
  qemu-img convert -q -f raw -O vmdk -o subformat=monolithicSparse $d.raw $d.vmdk
  qemu-img convert -q -f raw -O vmdk -o subformat=streamOptimized $d.raw $d-stream.vmdk
  gzip -9n -c $d.vmdk >"$HERE/$d.vmdk.gz"
  gzip -9n -c $d-stream.vmdk >"$HERE/$d-stream.vmdk.gz"
done
for stream in '' -stream; do
  write_vmx "$HERE/vm$stream.vmx" grt-linux-vm rhel9-64 /vmfs/volumes/iso/rhel.iso "disk1$stream.vmdk" "disk2$stream.vmdk"
done
python3 "$HERE/manifest.py" "$WORK" >"$HERE/manifest.json"
ls -l "$HERE"
