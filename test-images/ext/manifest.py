"""Writes manifest.json for make.sh: per volume, every entry fls -r -p lists on the e2fsck'd copy,
with inode, type, size, mode, uid, gid, links, times (raw seconds and *_extra as debugfs prints
them), symlink targets, xattrs and the sha256 of regular files' content (icat)."""
import hashlib, json, re, subprocess, sys

work = sys.argv[1]
VOLUMES = ['ext2-1k', 'ext3-1k', 'ext4-4k', 'ext4-nocsum', 'ext4-inline', 'ext4-journal', 'ext4-journal-csum3']

def run(*args):
    return subprocess.run(args, capture_output=True, check=True).stdout

def stat(image, inode):
    text = run('debugfs', '-R', f'stat <{inode}>', image).decode('utf-8', 'replace')
    out = {}
    m = re.search(r'Mode:\s+(\d+)', text); out['mode'] = int(m.group(1), 8)
    out['uid'] = int(re.search(r'User:\s+(\d+)', text).group(1))
    out['gid'] = int(re.search(r'Group:\s+(\d+)', text).group(1))
    out['size'] = int(re.search(r'Size: (\d+)', text).group(1))
    out['links'] = int(re.search(r'Links: (\d+)', text).group(1))
    for name in ('ctime', 'atime', 'mtime', 'crtime'):
        m = re.search(rf'\b{name}: 0x([0-9a-f]+)(?::([0-9a-f]+))?', text)
        if m: out[name] = [int(m.group(1), 16), int(m.group(2), 16) if m.group(2) else None]
    xattrs = {}
    for m in re.finditer(r'^  (\S+) \((\d+)\)', text, re.M): xattrs[m.group(1)] = int(m.group(2))
    if xattrs: out['xattrSizes'] = xattrs
    return out

manifest = {'tool': 'e2fsprogs 1.47.0 + sleuthkit (fls, icat) on an e2fsck -fy copy', 'volumes': []}
for v in VOLUMES:
    image = f'{work}/{v}.oracle.img'
    raw = open(f'{work}/{v}.img', 'rb').read()
    entries = []
    for line in run('fls', '-r', '-p', image).decode('utf-8').splitlines():
        m = re.match(r'(\S)/(\S) (\*? ?)(\d+)(?:\(realloc\))?:\t(.*)$', line)
        if not m or m.group(3).strip() == '*' or m.group(1) == 'V' or '$OrphanFiles' in m.group(5): continue
        kind, inode, path = m.group(2), int(m.group(4)), '/' + m.group(5)
        entry = {'path': path, 'inode': inode, 'fls': kind, **stat(image, inode)}
        if kind == 'r': entry['sha256'] = hashlib.sha256(run('icat', image, str(inode))).hexdigest()
        if kind == 'l':
            # icat prints a fast symlink's i_block as zeros; debugfs names its target.
            text = run('debugfs', '-R', f'stat <{inode}>', image).decode('utf-8', 'replace')
            fast = re.search(r'Fast link dest: "(.*)"', text)
            entry['target'] = fast.group(1) if fast else run('icat', image, str(inode)).decode('utf-8')
        entries.append(entry)
    manifest['volumes'].append({'file': f'{v}.img.gz', 'size': len(raw), 'sha256': hashlib.sha256(raw).hexdigest(), 'entries': entries})
# One line per entry: readable diffs, a small file.
print('{"tool": %s, "volumes": [' % json.dumps(manifest['tool']))
for i, v in enumerate(manifest['volumes']):
    head = {k: v[k] for k in ('file', 'size', 'sha256')}
    print(' ' + json.dumps(head)[:-1] + ', "entries": [')
    print(',\n'.join('  ' + json.dumps(e, separators=(',', ':')) for e in v['entries']))
    print(' ]}' + (',' if i < len(manifest['volumes']) - 1 else ''))
print(']}')
