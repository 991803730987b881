#!/usr/bin/env bash
# Rebuilds the partition-table test images in this folder and manifest.json.
# Tools: sfdisk, sgdisk, losetup (only for the 4Kn disk: sgdisk learns the 4096-byte logical sector
# size from the block device), mkfs.vfat, mkfs.ext4, mkfs.exfat, mkntfs, mkswap, mmls, python3, gzip.
# Each file system is made in its own file and dd'ed into the disk at its partition's offset.
# Disks are small (32–96 MiB) and mostly zeros; they are committed gzip'd (-n: no name/time).
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
loopdev=''
cleanup() { [ -n "$loopdev" ] && losetup -d "$loopdev"; rm -rf "$work"; }
trap cleanup EXIT

# put DISK START_SECTOR SECTOR_SIZE FSIMAGE
put() { dd if="$4" of="$1" bs="$3" seek="$2" conv=notrunc status=none; }
# mkimg FILE SIZE_MIB
mkimg() { rm -f "$1"; truncate -s "$2M" "$1"; }

declare -A FS  # "<image>:<index>" -> expected fs

# 1. MBR: two primaries, an extended partition (slot 3) with three logical partitions (5, 6, 7).
d=$work/mbr-logical.img; mkimg "$d" 64
sfdisk -q "$d" <<'TABLE'
label: dos
unit: sectors
start=2048, size=16384, type=e, bootable
start=18432, size=16384, type=83
start=34816, size=92160, type=5
start=36864, size=16384, type=7
start=55296, size=8192, type=82
start=65536, size=16384, type=7
TABLE
mkimg "$work/p1" 8; mkfs.vfat -F 16 -s 1 -n MBRFAT16 "$work/p1" >/dev/null 2>&1; put "$d" 2048 512 "$work/p1"
mkimg "$work/p2" 8; mkfs.ext4 -q -L mbrext4 "$work/p2"; put "$d" 18432 512 "$work/p2"
mkimg "$work/p5" 8; mkntfs -q -F -Q -L mbrntfs "$work/p5" >/dev/null 2>&1; put "$d" 36864 512 "$work/p5"
mkimg "$work/p6" 4; mkswap -q -L mbrswap "$work/p6"; put "$d" 55296 512 "$work/p6"
mkimg "$work/p7" 8; mkfs.exfat -q -L MBREXFAT "$work/p7" >/dev/null 2>&1 || mkfs.exfat -n MBREXFAT "$work/p7" >/dev/null 2>&1; put "$d" 65536 512 "$work/p7"
FS[mbr-logical:1]=fat16; FS[mbr-logical:2]=ext4; FS[mbr-logical:3]=unknown
FS[mbr-logical:5]=ntfs; FS[mbr-logical:6]=swap; FS[mbr-logical:7]=exfat

# 2. GPT laid out like a UEFI Windows install: EFI (FAT32), MSR, basic data (NTFS), recovery (NTFS).
d=$work/gpt-windows.img; mkimg "$d" 96
sgdisk -n 1:2048:+36M -t 1:ef00 -c 1:"EFI system partition" \
  -n 2:0:+16M -t 2:0c01 -c 2:"Microsoft reserved partition" \
  -n 3:0:+24M -t 3:0700 -c 3:"Basic data partition" \
  -n 4:0:+16M -t 4:2700 -c 4:"Windows RE" -A 4:set:0 -A 4:set:63 "$d" >/dev/null
start() { sgdisk -i "$2" "$1" | awk '/First sector/ {print $3}'; }
mkimg "$work/efi" 36; mkfs.vfat -F 32 -n SYSTEM "$work/efi" >/dev/null 2>&1; put "$d" "$(start "$d" 1)" 512 "$work/efi"
mkimg "$work/win" 24; mkntfs -q -F -Q -L Windows "$work/win" >/dev/null 2>&1; put "$d" "$(start "$d" 3)" 512 "$work/win"
mkimg "$work/re" 16; mkntfs -q -F -Q -L Recovery "$work/re" >/dev/null 2>&1; put "$d" "$(start "$d" 4)" 512 "$work/re"
FS[gpt-windows:1]=fat32; FS[gpt-windows:2]=unknown; FS[gpt-windows:3]=ntfs; FS[gpt-windows:4]=ntfs

# 3. GPT with non-sequential slots (5, 2, 7), created in that order.
d=$work/gpt-slots.img; mkimg "$d" 32
sgdisk -n 5:2048:+8M -t 5:8300 -c 5:"five" -n 2:0:+4M -t 2:8200 -c 2:"two" -n 7:0:+8M -t 7:8e00 -c 7:"seven" "$d" >/dev/null
mkimg "$work/e" 8; mkfs.ext4 -q -O ^has_journal -L slot5 "$work/e"; put "$d" "$(start "$d" 5)" 512 "$work/e"
mkimg "$work/s" 4; mkswap -q "$work/s"; put "$d" "$(start "$d" 2)" 512 "$work/s"
FS[gpt-slots:5]=ext4; FS[gpt-slots:2]=swap; FS[gpt-slots:7]=unknown

# 4. The same disk with the primary header's CRC zeroed: readers must fall back to the backup.
cp "$work/gpt-slots.img" "$work/gpt-damaged-primary.img"
dd if=/dev/zero of="$work/gpt-damaged-primary.img" bs=1 seek=$((512 + 16)) count=4 conv=notrunc status=none
for k in "${!FS[@]}"; do [[ $k == gpt-slots:* ]] && FS[gpt-damaged-primary:${k#*:}]=${FS[$k]}; done

# 5. 4Kn: GPT with 4096-byte logical sectors, written by sgdisk through a 4096-byte loop device.
d=$work/gpt-4kn.img; mkimg "$d" 32
loopdev=$(losetup -b 4096 -f --show "$d")
sgdisk -n 1:0:+8M -t 1:ef00 -c 1:"EFI system partition" -n 2:0:+16M -t 2:0700 -c 2:"Basic data partition" "$loopdev" >/dev/null
sfdisk --json "$loopdev" > "$work/gpt-4kn.json"
losetup -d "$loopdev"; loopdev=''
s1=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["partitiontable"]["partitions"][0]["start"])' "$work/gpt-4kn.json")
s2=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["partitiontable"]["partitions"][1]["start"])' "$work/gpt-4kn.json")
mkimg "$work/f4" 8; mkfs.vfat -S 4096 -n EFI4K "$work/f4" >/dev/null 2>&1; put "$d" "$s1" 4096 "$work/f4"
mkimg "$work/n4" 16; mkntfs -q -F -Q -s 4096 -L data4k "$work/n4" >/dev/null 2>&1; put "$d" "$s2" 4096 "$work/n4"
FS[gpt-4kn:1]=$(python3 - "$work/f4" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read(512)
# mkfs.vfat picks FAT12/16 by size; record which one, as the FAT spec's cluster count says.
import struct
bps, spc, rsv, nf, root, tot16, _, fsz = struct.unpack_from('<HBHBHHBH', b, 11)
tot = tot16 or struct.unpack_from('<I', b, 32)[0]
clusters = (tot - rsv - nf * fsz - (root * 32 + bps - 1) // bps) // spc
print('fat12' if clusters < 4085 else 'fat16')
PY
)
FS[gpt-4kn:2]=ntfs

# 6. No partition table: a bare FAT16 file system from byte 0.
d=$work/bare-fat.img; mkimg "$d" 16; mkfs.vfat -F 16 -n BAREFAT "$d" >/dev/null
FS[bare-fat:0]=fat16

# Manifest: partitions as sfdisk --json reports them (mmls printed for a cross-check by eye).
for img in mbr-logical gpt-windows gpt-slots gpt-damaged-primary bare-fat; do
  [ "$img" = bare-fat ] || sfdisk --json "$work/$img.img" > "$work/$img.json" 2>/dev/null || true
done
for img in mbr-logical gpt-windows gpt-slots; do echo "== $img"; mmls "$work/$img.img"; done
echo "== gpt-4kn"; mmls -b 4096 "$work/gpt-4kn.img"
fsmap=$(for k in "${!FS[@]}"; do echo "$k=${FS[$k]}"; done)
for img in mbr-logical gpt-windows gpt-slots gpt-damaged-primary gpt-4kn bare-fat; do
  gzip -n -9 -c "$work/$img.img" > "$img.img.gz"
done
FSMAP="$fsmap" WORK="$work" python3 - <<'PY'
import hashlib, json, os, re
work = os.environ['WORK']
fs = dict(line.split('=', 1) for line in os.environ['FSMAP'].split('\n') if line)
images = []
for name, scheme, sector in [('mbr-logical', 'mbr', 512), ('gpt-windows', 'gpt', 512), ('gpt-slots', 'gpt', 512),
                             ('gpt-damaged-primary', 'gpt', 512), ('gpt-4kn', 'gpt', 4096), ('bare-fat', 'none', 512)]:
    raw = open(f'{work}/{name}.img', 'rb').read()
    parts = []
    if scheme == 'none':
        parts.append({'index': 0, 'start': 0, 'size': len(raw), 'type': '', 'fs': fs[f'{name}:0']})
    else:
        src = 'gpt-slots' if name == 'gpt-damaged-primary' else name  # sfdisk refuses the damaged primary
        table = json.load(open(f'{work}/{src}.json'))['partitiontable']
        assert table['sectorsize'] == sector, (name, table['sectorsize'])
        for p in table['partitions']:
            index = int(re.search(r'(\d+)$', p['node']).group(1))
            t = p['type'].lower()
            entry = {'index': index, 'start': p['start'] * sector, 'size': p['size'] * sector,
                     'type': t if scheme == 'gpt' else '0x%02x' % int(t, 16), 'fs': fs[f'{name}:{index}']}
            if 'name' in p: entry['name'] = p['name']
            if scheme == 'mbr': entry['bootable'] = bool(p.get('bootable', False))
            parts.append(entry)
        parts.sort(key=lambda e: e['index'])
    images.append({'file': f'{name}.img.gz', 'sha256': hashlib.sha256(open(f'{name}.img.gz', 'rb').read()).hexdigest(),
                   'rawSha256': hashlib.sha256(raw).hexdigest(), 'rawSize': len(raw), 'scheme': scheme,
                   'sectorSize': sector, 'partitions': parts})
json.dump({'madeBy': 'make.sh', 'images': images}, open('manifest.json', 'w'), indent=2)
open('manifest.json', 'a').write('\n')
PY
du -ch ./*.img.gz | tail -1
