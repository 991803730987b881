#!/usr/bin/env bash
# Remakes security.img.gz and manifest.json: an NTFS volume (mkntfs) whose files carry owners,
# groups and DACLs set through ntfs-3g's system.ntfs_acl xattr (descriptors built by sd.py).
# Oracle: the descriptor read back through ntfs-3g (getfattr) and TSK istat's Security ID.
# Run as root (FUSE mount). Tools (Debian): ntfs-3g, mkntfs, attr, sleuthkit, python3, gzip.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh"   # strict mode, C locale, UTC; fresh_work_with_mount
fresh_work_with_mount security   # $WORK, $MNT (unmounted on exit)
IMG="$WORK/security.img"
truncate -s 4M "$IMG"
mkntfs -q -F -f -s 512 -c 4096 -L secure -T "$IMG" >/dev/null 2>&1
ntfs-3g -o no_detach "$IMG" "$MNT" >/dev/null 2>&1 &
NTFS_PID=$!
for ((i = 0; i < 100; i++)); do mountpoint -q "$MNT" && break; sleep 0.1; done

ALICE=S-1-5-21-1004336348-1177238915-682003330-1001
BOB=S-1-5-21-1004336348-1177238915-682003330-1002
# name owner group aces...
FILES=(
  "admin.txt|S-1-5-32-544|S-1-5-18|0:0:1f01ff:S-1-5-32-544 0:0:1f01ff:S-1-5-18 0:0:1200a9:S-1-5-32-545"
  "alice.txt|$ALICE|S-1-5-21-1004336348-1177238915-682003330-513|0:0:1f01ff:$ALICE 1:0:10000:S-1-1-0"
  "bob.txt|$BOB|S-1-5-32-545|0:3:1301bf:$BOB 0:0:1200a9:S-1-5-11"
  "trusted.dll|S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464|S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464|0:0:1f01ff:S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464 0:0:1200a9:S-1-1-0"
  "shared-a.txt|$ALICE|S-1-5-32-545|0:0:1f01ff:S-1-3-0"
  "shared-b.txt|$ALICE|S-1-5-32-545|0:0:1f01ff:S-1-3-0"
)
MANIFEST="$WORK/manifest.jsonl"; : >"$MANIFEST"
for spec in "${FILES[@]}"; do
  IFS='|' read -r name owner group aces <<<"$spec"
  echo "content of $name" >"$MNT/$name"
  # shellcheck disable=SC2086
  setfattr -n system.ntfs_acl -v "$(python3 "$HERE/sd.py" "$owner" "$group" $aces)" "$MNT/$name"
done
sync
for spec in "${FILES[@]}"; do
  IFS='|' read -r name _ _ _ <<<"$spec"
  hex=$(getfattr -e hex -n system.ntfs_acl "$MNT/$name" | sed -n 's/^system.ntfs_acl=0x//p')
  printf '{"path":"/%s","ntfs_acl":"%s"}\n' "$name" "$hex" >>"$MANIFEST"
done
umount "$MNT"; wait "$NTFS_PID" || true
# istat: the security id ntfs-3g gave each file (the oracle for the $SDS lookup).
python3 - "$IMG" "$MANIFEST" >"$HERE/manifest.json" <<'PY'
import json, subprocess, sys, re
img, rows = sys.argv[1], [json.loads(l) for l in open(sys.argv[2])]
for r in rows:
    inode = subprocess.check_output(['ifind', '-n', r['path'].lstrip('/'), img], text=True).strip()
    ist = subprocess.check_output(['istat', img, inode], text=True)
    r['record'] = int(inode)
    r['securityId'] = int(re.search(r'Security ID:\s*(\d+)', ist).group(1))
print(json.dumps({'image': 'security.img.gz', 'size': 4 * 1024 * 1024, 'files': rows}, indent=2))
PY
gzip -9n <"$IMG" >"$HERE/security.img.gz"
