"""Prints manifest.json for make.sh: what e2fsck -fy (the oracle; it replays the journal and the
fast commits) leaves in a copy of the image, and in copies damaged as fastcommit.py's VARIANTS:
every entry under / with inode, mode, uid, gid, size, links, times (seconds and *_extra as debugfs
prints them) and the sha256 of regular files (debugfs cat). Usage: manifest.py IMG WORK"""
import hashlib, json, re, shutil, subprocess, sys

image, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, __file__.rsplit('/', 1)[0])
import fastcommit  # noqa: E402


def debugfs(img, request):
    return subprocess.run(['debugfs', '-R', request, img], capture_output=True, check=True).stdout


def stat(img, ino):
    text = debugfs(img, f'stat <{ino}>').decode()
    out = {'links': int(re.search(r'Links: (\d+)', text).group(1))}
    for name in ('ctime', 'atime', 'mtime'):
        m = re.search(rf'\b{name}: 0x([0-9a-f]+):([0-9a-f]+)', text)
        out[name] = [int(m.group(1), 16), int(m.group(2), 16)]
    return out


def entries(img, path='/'):
    found = []
    for line in debugfs(img, f'ls -p {path}').decode().splitlines():
        m = re.match(r'/(\d+)/(\d+)/(\d+)/(\d+)/(.*)/(\d*)/$', line)
        if not m or m.group(5) in ('.', '..', 'lost+found'):
            continue
        ino, mode, name = int(m.group(1)), int(m.group(2), 8), m.group(5)
        full = path.rstrip('/') + '/' + name
        entry = {'path': full, 'inode': ino, 'mode': mode, 'uid': int(m.group(3)), 'gid': int(m.group(4)),
                 'size': int(m.group(6) or 0), **stat(img, ino)}
        if mode & 0o170000 == 0o100000:
            entry['sha256'] = hashlib.sha256(debugfs(img, f'cat <{ino}>')).hexdigest()
        found.append(entry)
        if mode & 0o170000 == 0o040000:
            found += entries(img, full)
    return sorted(found, key=lambda e: e['path'])


def oracle(name, damage=None):
    copy = f'{work}/{name}.oracle.img'
    shutil.copyfile(image, copy)
    found = {}
    if damage:
        index, _, value = fastcommit.VARIANTS[damage]
        found['damage'] = {'fastCommitBlock': index, 'offset': fastcommit.variant(copy, damage), 'u32le': value}
    fsck = subprocess.run(['e2fsck', '-fy', copy], capture_output=True)
    said = [line for line in (fsck.stdout + fsck.stderr).decode().splitlines()[1:] if 'journal' in line.lower() or 'checksum' in line.lower()]
    return {**found, 'e2fsck': said, 'entries': entries(copy)}


manifest = {
    'tool': 'e2fsprogs 1.47.0: e2fsck -fy on a copy, then debugfs ls -p / stat / cat',
    'image': 'ext4-fastcommit.img.gz',
    'fastCommitBlocks': [b * fastcommit.BS for b in fastcommit.journal_layout(image)[3][:2]],
    **oracle('replayed'),
    'variants': {name: oracle(name, name) for name in fastcommit.VARIANTS},
}
print(json.dumps(manifest, indent=1))
