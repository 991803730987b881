"""Expected contents of an NTFS image as The Sleuth Kit reads it: every allocated $DATA stream
(fls -r -p, then icat of inode-128-id) with size and sha256; $LogFile and $BadClus left out.
NOTE: fls also lists names it finds in stale $I30 entries whose MFT record is no longer in use,
without marking them deleted; istat says "Not Allocated File" for those, and they are left out."""
import hashlib, json, re, subprocess, sys
img = sys.argv[1]
files = {}
for line in subprocess.run(['fls', '-r', '-p', img], capture_output=True, text=True, check=True).stdout.splitlines():
    m = re.match(r'^(\S)/(\S) (\*? ?)(\d+-\d+-\d+)(\(realloc\))?:\t(.*)$', line)
    if not m or m.group(1) != 'r' or m.group(3).strip() or m.group(4).split('-')[1] != '128':
        continue
    path = '/' + m.group(6)
    if path.startswith('/$BadClus') or path.startswith('/$LogFile'):
        continue
    inode = m.group(4).split('-')[0]
    if 'Not Allocated File' in subprocess.run(['istat', img, inode], capture_output=True, text=True).stdout:
        continue
    data = subprocess.run(['icat', img, m.group(4)], capture_output=True, check=True).stdout
    files[path] = {'size': len(data), 'sha256': hashlib.sha256(data).hexdigest()}
json.dump({'made_by': 'mkntfs + ntfs-3g (see make.sh); expected = TSK icat', 'files': files}, sys.stdout, separators=(',', ':'), sort_keys=True)
