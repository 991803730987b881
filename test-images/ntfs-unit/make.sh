#!/bin/bash
# Small real NTFS volumes for the ntfs reader's tests, made by mkntfs and written through ntfs-3g,
# with a manifest of every $DATA stream as The Sleuth Kit (fls + icat) reads it.
# Needs root (loop mounts), mkntfs, ntfs-3g, setfattr, python3, sleuthkit. Run from anywhere.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'umount "$work/mnt" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir "$work/mnt"

reparse_hex() { # tag substitute print [flags]  → REPARSE_DATA_BUFFER as 0x… hex
  python3 - "$@" <<'PY'
import struct, sys
tag, sub, pr = int(sys.argv[1], 16), sys.argv[2].encode('utf-16le'), sys.argv[3].encode('utf-16le')
if tag == 0xA000000C:
    body = struct.pack('<HHHHI', 0, len(sub), len(sub), len(pr), int(sys.argv[4])) + sub + pr
else:
    body = struct.pack('<HHHH', 0, len(sub), len(sub) + 2, len(pr)) + sub + b'\0\0' + pr + b'\0\0'
print('0x' + (struct.pack('<IHH', tag, len(body), 0) + body).hex())
PY
}

make() { # name sectorSize clusterSize MiB
  local img="$work/$1.img"
  truncate -s "$4M" "$img"
  mkntfs -F -Q -q -c "$3" -s "$2" -p 0 -H 0 -S 0 -L "unit-$1" "$img" >/dev/null
  mount -t ntfs-3g -o loop,streams_interface=windows "$img" "$work/mnt"
  (cd "$work/mnt" && python3 - <<'PY'
import os, random
random.seed(7)
os.mkdir('comp')
PY
  setfattr -n system.ntfs_attrib_be -v 0x00000800 comp
  python3 - <<'PY'
import os, random
random.seed(7)
open('comp/text.txt', 'w').write(''.join('line %d of some compressible text\n' % i for i in range(6000)))
open('comp/random.bin', 'wb').write(random.randbytes(70000))
f = open('comp/partsparse.bin', 'wb'); f.seek(100000); f.write(b'hello' * 8000); f.seek(400000); f.write(b'end'); f.close()
f = open('sparse.bin', 'wb'); f.seek(3 << 20); f.write(b'data in the middle' * 300); f.truncate(4 << 20); f.close()
fs = [open('frag%d.bin' % i, 'ab') for i in range(3)]
for r in range(12):
    for i, f in enumerate(fs):
        f.write(bytes([65 + i]) * 4096 + bytes(range(256)) * 8); f.flush(); os.fsync(f.fileno())
os.mkdir('big')
for i in range(1200): open('big/file%05d.txt' % i, 'w').write('n%d' % i)
open('ads.txt', 'w').write('main')
open('ads.txt:small', 'w').write('tiny stream')
open('ads.txt:large', 'w').write('large stream ' * 5000)
open('linked.txt', 'w').write('linked content')
os.link('linked.txt', 'big/hardlink.txt')
os.symlink('linked.txt', 'symlink-rel')
os.symlink('/some/abs/target', 'symlink-abs')
open('\u00e9t\u00e9 \u65e5\u672c \U0001F600.txt', 'w').write('unicode')
open('L' * 255, 'w').write('long')
open('Case.txt', 'w').write('upper')
open('case.txt', 'w').write('lower')
open('longname-for-dos.txt', 'w').write('dos')
for i in range(20): open('del%d.txt' % i, 'w').write('deleted %d' % i)
open('resident.txt', 'w').write('small resident')
open('empty.txt', 'w').close()
os.mkdir('junction-target'); os.mkdir('junction'); open('winlink', 'w').close()
PY
  )
  setfattr -n system.ntfs_dos_name -v 'LONGNA~1.TXT' "$work/mnt/longname-for-dos.txt"
  setfattr -n system.ntfs_reparse_data -v "$(reparse_hex A0000003 '\??\C:\junction-target' 'C:\junction-target')" "$work/mnt/junction"
  setfattr -n system.ntfs_reparse_data -v "$(reparse_hex A000000C '..\linked.txt' '..\linked.txt' 1)" "$work/mnt/winlink"
  rm "$work/mnt"/del*.txt
  umount "$work/mnt"
  python3 "$here/manifest.py" "$img" > "$here/$1.json"
  gzip -9 -n -c "$img" > "$here/$1.img.gz"
}

make n512 512 4096 12
make n4k 4096 4096 12
ls -la "$here"
