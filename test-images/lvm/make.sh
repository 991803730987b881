#!/bin/bash
# A two-disk Linux VM with LVM2 over both disks, made with LVM2's own tools on loop devices
# (no device-mapper: LVs are never activated; their bytes are written into the PV extents here).
#   disk1: MBR, p1 = 1 MiB ext2 "/boot", p2 = LVM PV (pv0), 4 MiB
#   disk2: whole-disk PV (pv1), 4 MiB
#   VG vmvg, 128 KiB extents:
#     root: linear, 8 extents, extents 0-3 on pv1 (disk2) at PE 10, extents 4-7 on pv0 at PE 2 (reverse order)
#     data: striped, 2 stripes of 64 KiB over pv0 PE 12.. and pv1 PE 0.., 8 extents
#     logs: linear, 2 extents on pv0 at PE 20
# The LV file systems are made with mke2fs -d into files, then copied into the extents at offsets
# computed from the layout; sha256 of each LV's bytes and of every file go in manifest.json, with
# pvs/vgs/lvs output as the oracle. Needs: lvm2, e2fsprogs, fdisk, qemu-img, python3, losetup.
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../lib.sh"   # strict mode, C locale, UTC; write_vmx
WORK=${WORK:-$(mktemp -d /tmp/grt-make-lvm.XXXX)}
cd "$WORK"
export SOURCE_DATE_EPOCH=1700000000 E2FSPROGS_FAKE_TIME=1700000000
MIB=1048576
EXT=131072   # extent size in bytes (256 sectors)
PE_START=$MIB

rm -f disk1.raw disk2.raw
truncate -s 6M disk1.raw
truncate -s 4M disk2.raw
printf 'label: dos\nlabel-id: 0x1e5e7a11\nstart=2048, size=2048, type=83\nstart=4096, size=8192, type=8e\n' | sfdisk -q disk1.raw

L1=$(losetup -f --show -o $((2 * MIB)) --sizelimit $((4 * MIB)) disk1.raw)
L2=$(losetup -f --show disk2.raw)
trap 'losetup -d $L1 $L2 2>/dev/null || true' EXIT
CFG="devices{filter=[\"a|^$L1\$|\",\"a|^$L2\$|\",\"r|.*|\"] use_devicesfile=0} backup{backup=0 archive=0}"
pvcreate -q --config "$CFG" --norestorefile --uuid "GrtPv0-aaaa-bbbb-cccc-dddd-eeee-000000" $L1
pvcreate -q --config "$CFG" --norestorefile --uuid "GrtPv1-aaaa-bbbb-cccc-dddd-eeee-111111" $L2
vgcreate -q --config "$CFG" -s 128K vmvg $L1 $L2
vgcfgbackup -q --config "$CFG" -f vg-empty.txt vmvg

# Add the LVs to the text as LVM would write them, and let vgcfgrestore check and write it.
python3 - "$HERE/.." <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from lvm_text import add_lvs
add_lvs('vg-empty.txt', 'vg-full.txt', 1700000000, [
    ('root', 'GrtLvR-aaaa-bbbb-cccc-dddd-eeee-rootlv', [(0, 4, 0, [('pv1', 10)]), (4, 4, 0, [('pv0', 2)])]),
    ('data', 'GrtLvD-aaaa-bbbb-cccc-dddd-eeee-datalv', [(0, 8, 128, [('pv0', 12), ('pv1', 0)])]),
    ('logs', 'GrtLvL-aaaa-bbbb-cccc-dddd-eeee-logslv', [(0, 2, 0, [('pv0', 20)])]),
])
PY
vgcfgrestore -q --config "$CFG" -f vg-full.txt vmvg
pvs --config "$CFG" -o pv_name,vg_name,pv_uuid,pe_start,pv_pe_count --units b > oracle-pvs.txt
vgs --config "$CFG" -o vg_name,vg_uuid,vg_extent_size,pv_count,lv_count,vg_seqno --units b > oracle-vgs.txt
lvs --config "$CFG" -a -o lv_name,lv_size,segtype,stripes,stripe_size,seg_start_pe,seg_pe_ranges --units b > oracle-lvs.txt
sed -i "s|$L1|disk1p2|g; s|$L2|disk2|g" oracle-*.txt
losetup -d $L1 $L2
trap - EXIT

# File systems, populated from directories with fixed contents.
rm -rf tree && mkdir -p tree/boot tree/root/etc tree/data tree/logs
printf 'linux /vmlinuz root=/dev/vmvg/root\n' > tree/boot/grub.cfg
printf 'vmvg-root\n' > tree/root/etc/hostname
python3 -c "import hashlib;open('tree/root/etc/big.bin','wb').write(b''.join(hashlib.sha256(str(i).encode()).digest() for i in range(3000)))"
python3 -c "import hashlib;open('tree/data/striped.bin','wb').write(b''.join(hashlib.sha256(b'd'+str(i).encode()).digest() for i in range(9000)))"
printf 'log line\n' > tree/logs/syslog
mke2fs -q -F -t ext2 -b 1024 -L boot -U 6b6f6f62-0000-4000-8000-000000000001 -d tree/boot boot.fs 1024
mke2fs -q -F -t ext4 -O ^has_journal -b 1024 -L root -U 746f6f72-0000-4000-8000-000000000002 -d tree/root root.fs 1024
mke2fs -q -F -t ext2 -b 1024 -L data -U 61746164-0000-4000-8000-000000000003 -d tree/data data.fs 1024
mke2fs -q -F -t ext2 -b 1024 -L logs -U 73676f6c-0000-4000-8000-000000000004 -N 16 -d tree/logs logs.fs 256
dd if=boot.fs of=disk1.raw bs=1M seek=1 conv=notrunc status=none

# LV bytes into the PV extents: pv0 is disk1 at 2 MiB, pv1 is disk2 at 0.
python3 - "$EXT" "$PE_START" <<'PY'
import sys
EXT, PE_START = int(sys.argv[1]), int(sys.argv[2])
pv = {'pv0': ('disk1.raw', 2 * 1048576), 'pv1': ('disk2.raw', 0)}
def put(name, at, data):
    f, base = pv[name]
    with open(f, 'r+b') as h:
        h.seek(base + PE_START + at); h.write(data)
root = open('root.fs', 'rb').read()
put('pv1', 10 * EXT, root[:4 * EXT]); put('pv0', 2 * EXT, root[4 * EXT:])
data = open('data.fs', 'rb').read(); chunk = 65536
for c in range(len(data) // chunk):
    put(['pv0', 'pv1'][c % 2], [12, 0][c % 2] * EXT + (c // 2) * chunk, data[c * chunk:(c + 1) * chunk])
put('pv0', 20 * EXT, open('logs.fs', 'rb').read())
PY

for d in disk1 disk2; do
  qemu-img convert -q -f raw -O vmdk -o subformat=monolithicSparse $d.raw $d.vmdk
  gzip -9n -c $d.vmdk > "$HERE/$d.vmdk.gz"
done
write_vmx "$HERE/vm.vmx" linux-lvm ubuntu-64 /vmfs/volumes/iso/ubuntu.iso disk1.vmdk disk2.vmdk
cp oracle-*.txt vg-full.txt "$HERE/"
python3 - "$HERE" <<'PY'
import hashlib, json, os, sys
here = sys.argv[1]
sha = lambda p: hashlib.sha256(open(p, 'rb').read()).hexdigest()
files = lambda d: {os.path.relpath(os.path.join(r, f), d): sha(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in sorted(fs)}
m = {
  'tool': 'LVM2 ' + os.popen('lvm version | head -1').read().strip() + ', ' + os.popen('mke2fs -V 2>&1 | head -1').read().strip(),
  'disks': [{'file': f'{d}.vmdk.gz', 'rawSize': os.path.getsize(f'{d}.raw'), 'rawSha256': sha(f'{d}.raw')} for d in ('disk1', 'disk2')],
  'vmx': 'vm.vmx',
  'extentBytes': 131072, 'peStartBytes': 1048576,
  'pvs': [{'key': 'pv0', 'uuid': 'GrtPv0-aaaa-bbbb-cccc-dddd-eeee-000000', 'on': 'disk1 partition 2'},
          {'key': 'pv1', 'uuid': 'GrtPv1-aaaa-bbbb-cccc-dddd-eeee-111111', 'on': 'disk2 whole disk'}],
  'volumes': [
    {'id': 'boot', 'where': 'disk1 partition 1', 'fs': 'ext2', 'label': 'boot', 'size': os.path.getsize('boot.fs'), 'sha256': sha('boot.fs'), 'files': files('tree/boot')},
    {'id': 'vmvg/root', 'fs': 'ext4', 'label': 'root', 'size': os.path.getsize('root.fs'), 'sha256': sha('root.fs'), 'files': files('tree/root')},
    {'id': 'vmvg/data', 'fs': 'ext2', 'label': 'data', 'size': os.path.getsize('data.fs'), 'sha256': sha('data.fs'), 'files': files('tree/data')},
    {'id': 'vmvg/logs', 'fs': 'ext2', 'label': 'logs', 'size': os.path.getsize('logs.fs'), 'sha256': sha('logs.fs'), 'files': files('tree/logs')},
  ],
  'oracle': {n: open(f'oracle-{n}.txt').read().splitlines() for n in ('pvs', 'vgs', 'lvs')},
}
json.dump(m, open(os.path.join(here, 'manifest.json'), 'w'), indent=2)
PY
echo "made in $WORK"
