#!/bin/sh
# Makes the small VMDK images the vmdk-disk tests read, and manifest.json with the sha256 of each
# disk's full raw contents (as qemu-img converts them). Needs qemu-img, qemu-io, python3.
# Run from anywhere: ./make.sh  (rewrites the images beside this script)
set -eu
cd "$(dirname "$0")"
rm -f ./*.vmdk manifest.json

# 1. monolithicFlat, 256 KiB: a descriptor plus one flat file, three byte patterns.
qemu-img create -q -f vmdk -o subformat=monolithicFlat flat.vmdk 256K
qemu-io -f vmdk -c 'write -q -P 0x11 0 64k' -c 'write -q -P 0x22 100k 20k' -c 'write -q -P 0xee 255k 1k' flat.vmdk

# 2. A hand-written twoGbMaxExtentFlat-style descriptor: two FLAT pieces (the second one RDONLY,
#    starting 16 sectors into its file) around a ZERO extent, 128 + 64 + 96 KiB.
python3 - <<'PY'
def pattern(seed, n):
    out = bytearray(n); x = seed
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7fffffff
        out[i] = x >> 16 & 0xff
    return bytes(out)
open('split-f001.vmdk', 'wb').write(pattern(1, 128 * 1024))
open('split-f002.vmdk', 'wb').write(b'\xdd' * 16 * 512 + pattern(2, 96 * 1024))
open('split.vmdk', 'w', newline='\n').write('''# Disk DescriptorFile
version=1
encoding="UTF-8"
CID=1234abcd
parentCID=ffffffff
createType="twoGbMaxExtentFlat"

# Extent description
RW 256 FLAT "split-f001.vmdk" 0
RW 128 ZERO
RDONLY 192 FLAT "split-f002.vmdk" 16

# The Disk Data Base
#DDB

ddb.adapterType = "lsilogic"
ddb.geometry.cylinders = "1"
ddb.geometry.heads = "16"
ddb.geometry.sectors = "63"
''')
PY

# 3. A three-disk snapshot chain: chain-base (monolithicSparse, 2 MiB) <- chain-child
#    (monolithicSparse, embedded descriptor) <- chain-grand (descriptor + twoGbMaxExtentSparse extent).
qemu-img create -q -f vmdk chain-base.vmdk 2M
qemu-io -f vmdk -c 'write -q -P 0xaa 0 128k' -c 'write -q -P 0x33 1M 64k' chain-base.vmdk
qemu-img create -q -f vmdk -b chain-base.vmdk -F vmdk chain-child.vmdk
qemu-io -f vmdk -c 'write -q -P 0x55 64k 64k' chain-child.vmdk
qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse -b chain-child.vmdk -F vmdk chain-grand.vmdk
qemu-io -f vmdk -c 'write -q -P 0x77 1056k 16k' -c 'write -q -z 0 64k' chain-grand.vmdk

# qemu picks random CIDs: replace them (same length, in place) so a remake gives identical files.
python3 - <<'PY'
import re
names = ['chain-base.vmdk', 'chain-child.vmdk', 'chain-grand.vmdk', 'flat.vmdk']
data = {n: open(n, 'rb').read() for n in names}
fixed = {b'ffffffff': b'ffffffff'}
for n in names:
    for cid in re.findall(rb'\nCID=([0-9a-f]+)', data[n]):
        fixed.setdefault(cid, (b'%x' % (len(fixed) + 1) * 8)[:len(cid)])
for n in names:
    open(n, 'wb').write(re.sub(rb'(CID=)([0-9a-f]+)', lambda m: m.group(1) + fixed[m.group(2)], data[n]))
PY

# Manifest: the raw contents of each disk a test opens. qemu reads no ZERO extents, so split.vmdk's
# contents are rebuilt from its pieces here instead.
python3 - <<'PY'
import hashlib, json, os, subprocess
def digest(data): return {'size': len(data), 'sha256': hashlib.sha256(data).hexdigest()}
manifest = {}
for disk in ['flat.vmdk', 'chain-base.vmdk', 'chain-child.vmdk', 'chain-grand.vmdk']:
    subprocess.run(['qemu-img', 'convert', '-f', 'vmdk', '-O', 'raw', disk, '/tmp/grt-vmdk-make.raw'], check=True)
    manifest[disk] = digest(open('/tmp/grt-vmdk-make.raw', 'rb').read())
    os.remove('/tmp/grt-vmdk-make.raw')
split = open('split-f001.vmdk', 'rb').read() + bytes(64 * 1024) + open('split-f002.vmdk', 'rb').read()[16 * 512:]
manifest['split.vmdk'] = digest(split)
open('manifest.json', 'w').write(json.dumps(manifest, indent=2) + '\n')
PY
