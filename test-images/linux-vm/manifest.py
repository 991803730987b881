"""Writes manifest.json for make.sh. ext volumes are described by debugfs on the file systems as
made (the journal volume: on its e2fsck -fy copy, which replays the journal as the kernel would),
XFS by its protofile (xfs.json; every time is mkfs's STAMP). Paths come from the source trees."""
import hashlib, json, os, re, subprocess, sys

work = sys.argv[1]
os.chdir(work)
sha = lambda data: hashlib.sha256(data).hexdigest()


def debugfs(image, request):
    return subprocess.run(['debugfs', '-R', request, image], capture_output=True, check=True).stdout


def ext_entry(image, path, source):
    text = debugfs(image, f'stat "{path}"').decode('utf-8', 'replace')
    mode = int(re.search(r'Mode:\s+(\d+)', text).group(1), 8)
    entry = {'path': path, 'mode': mode & 0o7777,
             'uid': int(re.search(r'User:\s+(\d+)', text).group(1)), 'gid': int(re.search(r'Group:\s+(\d+)', text).group(1)),
             'mtime': int(re.search(r'\bmtime: 0x([0-9a-f]+)', text).group(1), 16), 'links': int(re.search(r'Links: (\d+)', text).group(1))}
    if os.path.islink(source):
        entry.update(type='symlink', target=os.readlink(source))
    elif os.path.isdir(source):
        entry['type'] = 'dir'
    elif not os.path.isfile(source):
        entry.update(type='other', kind='fifo')
    else:
        data = debugfs(image, f'cat "{path}"')
        entry.update(type='file', size=len(data), sha256=sha(data))
    return entry


def ext_volume(image, tree, extra=(), drop=()):
    paths = []
    for top, dirs, files in os.walk(tree):
        for name in sorted(dirs + files):
            paths.append(os.path.join(top, name))
    entries = [ext_entry(image, '/' + os.path.relpath(p, tree), p) for p in sorted(paths) if '/' + os.path.relpath(p, tree) not in drop]
    entries += [ext_entry(image, path, source) for path, source in extra]
    return sorted(entries, key=lambda e: e['path'])


xfs = json.load(open('xfs.json'))
for e in xfs['entries']:
    e['mtime'] = xfs['mtime']
volumes = [
    {'id': '1', 'fs': 'ext4', 'label': 'boot', 'entries': ext_volume('boot.fs', 'src/boot')},
    {'id': 'linuxvg/root', 'fs': 'ext4', 'label': 'root', 'entries': ext_volume('root.fs', 'src/root')},
    {'id': 'linuxvg/legacy', 'fs': 'ext3', 'label': 'legacy', 'entries': ext_volume('legacy.fs', 'src/legacy')},
    {'id': 'linuxvg/journal', 'fs': 'ext4', 'label': 'journal', 'journalOnly': ['/late.txt'], 'removedByJournal': ['/motd'],
     'entries': ext_volume('journal.oracle.fs', 'src/journal', extra=[('/late.txt', 'src/late.txt')], drop={'/motd'})},
    {'id': 'linuxvg/xfs', 'fs': 'xfs', 'label': 'xfs', 'entries': sorted(xfs['entries'], key=lambda e: e['path'])},
]
repair = open('xfs.repair').read().lower()
manifest = {
    'tool': ', '.join(os.popen(c).read().strip() for c in ('lvm version | head -1', 'mke2fs -V 2>&1 | head -1', 'mkfs.xfs -V', 'qemu-img --version | head -1')),
    'vmx': {'sparse': 'vm.vmx', 'streamOptimized': 'vm-stream.vmx'},
    'disks': [{'sparse': f'{d}.vmdk.gz', 'streamOptimized': f'{d}-stream.vmdk.gz', 'rawSize': os.path.getsize(f'{d}.raw'),
               'rawSha256': sha(open(f'{d}.raw', 'rb').read())} for d in ('disk1', 'disk2')],
    'logicalVolumes': {f'linuxvg/{n}': {'size': os.path.getsize(f'{n}.fs'), 'sha256': sha(open(f'{n}.fs', 'rb').read())} for n in ('root', 'legacy', 'journal', 'xfs')},
    'xfsRepairClean': 'would' not in repair and 'error' not in repair,
    'oracleLvs': open('oracle-lvs.txt').read().splitlines(),
    'volumes': volumes,
}
head = {k: v for k, v in manifest.items() if k != 'volumes'}
print(json.dumps(head, indent=1)[:-2] + ',\n "volumes": [')
for i, v in enumerate(volumes):
    print('  ' + json.dumps({k: v[k] for k in v if k != 'entries'})[:-1] + ', "entries": [')
    print(',\n'.join('   ' + json.dumps(e, separators=(',', ':')) for e in v['entries']))
    print('  ]}' + (',' if i < len(volumes) - 1 else ''))
print(' ]\n}')
