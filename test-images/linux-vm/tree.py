"""Writes the source trees of the linux-vm volumes (src/boot, src/root, src/legacy, src/journal for
mke2fs -d; src/late.txt, the file only the journal holds; proto, the XFS protofile) and xfs.json,
what the XFS volume must hold (a protofile sets no times: mkfs stamps them all at make.sh's STAMP).

Contents are numbered text lines (compress well, and a block read from the wrong place shows);
modes, owners and times are fixed, so remakes are identical. Run as root (owners stick).
"""
import hashlib, json, os, sys

work = sys.argv[1]
src = f"{work}/src"
STAMP = 1709294400  # 2024-03-01 12:00:00 UTC
OLD = 1577836800  # 2020-01-01 00:00:00 UTC


def lines(tag, size):
    out = bytearray()
    i = 0
    while len(out) < size:
        out += f"{tag} line {i:07d} of grt's linux-vm test data\n".encode()
        i += 1
    return bytes(out[:size])


made = []  # (path, mtime), applied deepest first once every entry exists


def put(path, data, mode=0o644, uid=0, gid=0, mtime=STAMP):
    full = f"{src}/{path}"
    os.makedirs(os.path.dirname(full), exist_ok=True)
    open(full, "wb").write(data)
    os.chown(full, uid, gid)
    os.chmod(full, mode)
    made.append((full, mtime))


def folder(path, mode=0o755, uid=0, gid=0, mtime=STAMP):
    full = f"{src}/{path}"
    os.makedirs(full, exist_ok=True)
    os.chown(full, uid, gid)
    os.chmod(full, mode)
    made.append((full, mtime))


def link(path, target):
    full = f"{src}/{path}"
    os.makedirs(os.path.dirname(full), exist_ok=True)
    os.symlink(target, full)
    made.append((full, STAMP))


def fifo(path, mode):
    full = f"{src}/{path}"
    os.mkfifo(full)
    os.chmod(full, mode)
    made.append((full, STAMP))


def sparse(path, size, pieces):
    full = f"{src}/{path}"
    with open(full, "wb") as f:
        for at, data in pieces:
            f.seek(at)
            f.write(data)
        f.truncate(size)
    made.append((full, STAMP))


# /boot (ext4 on disk 1, partition 1)
for d in ("boot", "root", "legacy", "journal"):
    folder(d)
folder("boot/grub", 0o700)
put("boot/grub/grub.cfg", b"set default=0\nmenuentry 'grt' { linux /vmlinuz root=/dev/linuxvg/root }\n", 0o600)
put("boot/vmlinuz-6.1.0", lines("vmlinuz", 150_000))
put("boot/initrd.img-6.1.0", lines("initrd", 90_000), 0o600)
put("boot/config-6.1.0", b"CONFIG_EXT4_FS=y\nCONFIG_XFS_FS=y\n", mtime=OLD)
link("boot/vmlinuz", "vmlinuz-6.1.0")

# root (ext4 LV, linear over both PVs: big.db crosses from disk 2's extents to disk 1's)
folder("root/etc")
put("root/etc/hostname", b"grt-linux-vm\n")
put("root/etc/passwd", b"root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n")
put("root/etc/shadow", b"root:*:19000:0:99999:7:::\nalice:!:19000:0:99999:7:::\n", 0o640, 0, 42)
link("root/etc/localtime", "/usr/share/zoneinfo/UTC")
link("root/etc/os-release", "../usr/lib/os-release")
put("root/usr/lib/os-release", b'NAME="grt test"\nID=grt\n')
put("root/usr/bin/tool", lines("tool", 20_000), 0o4755)
put("root/usr/bin/grouptool", lines("grouptool", 3_000), 0o2755, 0, 50)
folder("root/home/alice", 0o750, 1000, 1000)
put("root/home/alice/notes.txt", b"alice's notes\n", 0o600, 1000, 1000, OLD)
os.link(f"{src}/root/home/alice/notes.txt", f"{src}/root/home/alice/notes-hardlink.txt")
put("root/home/alice/.bashrc", b"export PS1='$ '\n", 0o644, 1000, 1000)
folder("root/tmp", 0o1777)
folder("root/var/run")
fifo("root/var/run/initctl", 0o600)
put("root/var/lib/big.db", lines("big.db", 3_500_000), 0o640, 0, 0)
sparse("root/var/lib/sparse.img", 1_048_576, [(0, lines("head", 4096)), (1_044_480, lines("tail", 4096))])
os.chmod(f"{src}/root/var/lib/sparse.img", 0o644)

# legacy (ext3 LV)
folder("legacy/data", 0o775, 1001, 1001)
put("legacy/data/report.txt", lines("report", 10_000), 0o644, 1001, 1001)
os.link(f"{src}/legacy/data/report.txt", f"{src}/legacy/data/report-hardlink.txt")
link("legacy/data/latest", "report.txt")
put("legacy/data/archive.bin", lines("archive", 600_000), 0o600, 1001, 1001, OLD)
fifo("legacy/data/pipe", 0o620)
folder("legacy/old", 0o700)

# journal (ext4 LV whose last transaction stays in its journal: late.txt added, motd removed)
folder("journal/app")
put("journal/app/config.ini", b"[app]\nmode=production\n")
put("journal/app/state.json", lines("state", 30_000), 0o600, 1000, 1000)
put("journal/motd", b"removed in the journal's last transaction\n")
put("late.txt", lines("written just before the backup", 5_000))

# Every entry at STAMP (folders put() made too), then the few older ones.
for top, dirs, files in os.walk(src, topdown=False):
    for name in dirs + files + [""]:
        os.utime(os.path.join(top, name) if name else top, (STAMP, STAMP), follow_symlinks=False)
for path, mtime in made:
    if mtime != STAMP:
        os.utime(path, (mtime, mtime), follow_symlinks=False)

# xfs (XFS v5 LV striped over both PVs): a protofile; big.bin spans many 64 KiB stripe chunks.
proto = ["/dev/null", "0 0", "d--755 0 0"]
entries = []


def xfile(path, depth, mode, uid, gid, data):
    source = f"{work}/xfs-{len(entries)}"
    open(source, "wb").write(data)
    perms = int(mode[-3:], 8) | (0o4000 if mode[1] == "u" else 0) | (0o2000 if mode[2] == "g" else 0)
    proto.append(f"{' ' * depth}{os.path.basename(path)} {mode} {uid} {gid} {source}")
    entries.append({"path": path, "type": "file", "mode": perms, "uid": uid, "gid": gid, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})


def xdir(path, depth, mode, uid, gid):
    proto.append(f"{' ' * depth}{os.path.basename(path)} d--{mode:o} {uid} {gid}")
    entries.append({"path": path, "type": "dir", "mode": mode, "uid": uid, "gid": gid})


def xother(path, depth, letter, mode, target=None):
    proto.append(f"{' ' * depth}{os.path.basename(path)} {letter}--{mode:o} 0 0 {target or ''}".rstrip())
    entry = {"path": path, "type": "symlink" if target else "other", "mode": mode, "uid": 0, "gid": 0}
    entry.update({"target": target} if target else {"kind": "fifo"})
    entries.append(entry)


xdir("/srv", 1, 0o755, 0, 0)
xdir("/srv/www", 2, 0o755, 48, 48)
xfile("/srv/www/index.html", 3, "---644", 48, 48, b"<h1>grt</h1>\n")
xfile("/srv/www/big.bin", 3, "---640", 48, 48, lines("xfs big.bin", 3_000_000))
proto.append("   $")
xfile("/srv/suid", 2, "-u-755", 0, 0, lines("suid", 2_000))
xother("/srv/link", 2, "l", 0o777, "www/index.html")
xother("/srv/fifo", 2, "p", 0o644)
xfile("/srv/empty", 2, "---644", 0, 0, b"")
proto.append("  $")
xdir("/home", 1, 0o755, 0, 0)
xdir("/home/bob", 2, 0o700, 1002, 1002)
xfile("/home/bob/notes.txt", 3, "---600", 1002, 1002, b"bob's notes\n")
proto.append("   $")
proto.append("  $")
proto.append("$")
open(f"{work}/proto", "w").write("\n".join(proto) + "\n")
json.dump({"mtime": STAMP, "entries": entries}, open(f"{work}/xfs.json", "w"))
