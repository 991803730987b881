#!/usr/bin/env bash
# An ext4 volume with 64 KiB blocks (the largest ext block size) big enough for a second block
# group, so it holds a backup superblock: mke2fs caps blocks per group at 65528 for blocks past
# 4 KiB (EXT2_MAX_BLOCKS_PER_GROUP), so group 1 and its backup start at block 65528, byte
# 65528 × 65536 (4 GiB). Kept as a monolithicSparse VMDK (only written grains are stored), gzip'd.
# Tests damage the primary superblock in memory and expect the backup to be found.
# Tools (Debian): e2fsprogs (mke2fs, dumpe2fs), qemu-img, python3.
# Usage: test-images/ext-64k/make.sh   (writes next to itself; scratch in $WORK)
set -euo pipefail
export LC_ALL=C.UTF-8 TZ=UTC
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="${WORK:-/tmp/grt-make-ext-64k}"
rm -rf "$WORK"; mkdir -p "$WORK/src"; cd "$WORK"
export E2FSPROGS_FAKE_TIME=1709294400   # 2024-03-01 12:00:00 UTC
printf 'hello from a 64 KiB block\n' >src/hello.txt
# Three blocks and a bit, compressible: the image stays small.
python3 -c "import sys; sys.stdout.write(''.join(f'line {i:06d} of a file spanning several 64 KiB blocks\n' for i in range(4000)))" >src/lines.txt
find src -exec touch -h -d '2024-03-01 12:00:00' {} +
truncate -s 4300M ext4-64k.raw
# No journal and lazy inode tables: nothing but metadata and the two files is written.
mke2fs -q -F -t ext4 -b 65536 -L ext-64k -U 6772746c-0000-4000-8000-000000000064 -O ^has_journal \
  -E lazy_itable_init=1,root_owner=0:0 -d src ext4-64k.raw 2>/dev/null
dumpe2fs ext4-64k.raw 2>/dev/null | grep -E '^Blocks per group|Backup superblock at' | head -2 >dumpe2fs.txt
qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse ext4-64k.raw "$HERE/ext4-64k.vmdk"
gzip -9 -n -f "$HERE/ext4-64k.vmdk"
python3 - "$HERE" <<'PY'
import hashlib, json, os, sys
here = sys.argv[1]
files = {f'/{name}': hashlib.sha256(open(f'src/{name}', 'rb').read()).hexdigest() for name in sorted(os.listdir('src'))}
lines = open('dumpe2fs.txt').read().split('\n')
blocks_per_group = int(lines[0].split(':')[1])
backup_block = int(lines[1].split('at ')[1].split(',')[0])
json.dump({'tool': os.popen('mke2fs -V 2>&1 | head -1').read().strip(), 'image': 'ext4-64k.vmdk.gz', 'blockSize': 65536,
           'blocksPerGroup': blocks_per_group, 'backupSuperblockByte': backup_block * 65536, 'files': files},
          open(f'{here}/manifest.json', 'w'), indent=1)
PY
cat "$HERE/manifest.json"
