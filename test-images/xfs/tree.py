"""Writes the XFS test tree: source files, a mkfs.xfs protofile and tree.json (expected entries).

Names, modes, owners and contents are fixed; file data is a SHA-256 counter stream, so remakes are
identical. Directories are sized to force each XFS directory format at 4 KiB directory blocks:
short form (sub), block (blockdir), leaf (leafdir), node (nodedir); btreedir interleaves its
growing directory blocks with file data, so its data fork needs more extents than the inode holds.
"""
import hashlib, json, os, sys

work = sys.argv[1]
src = f"{work}/src"
os.makedirs(src, exist_ok=True)
entries = []
proto = ["/dev/null", "0 0", "d--755 0 0"]


def stream(seed, size):
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def add_file(path, depth, mode, uid, gid, data):
    name = os.path.basename(path)
    source = f"{src}/{len(entries)}"
    open(source, "wb").write(data)
    proto.append(f"{' ' * depth}{name} {mode} {uid} {gid} {source}")
    perms = int(mode[-3:], 8) | (0o4000 if mode[1] == "u" else 0) | (0o2000 if mode[2] == "g" else 0)
    entries.append({"path": path, "type": "file", "mode": perms, "uid": uid, "gid": gid, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})


def add_dir(path, depth, mode, uid, gid):
    # Protofile modes have three octal digits: post.py sets the sticky bit afterwards.
    proto.append(f"{' ' * depth}{os.path.basename(path)} d--{mode & 0o777:o} {uid} {gid}")
    entries.append({"path": path, "type": "dir", "mode": mode, "uid": uid, "gid": gid})


def add_other(path, depth, letter, kind, mode, extra=""):
    proto.append(f"{' ' * depth}{os.path.basename(path)} {letter}--{mode:o} 0 0 {extra}".rstrip())
    entry = {"path": path, "type": "other" if kind else "symlink", "mode": mode, "uid": 0, "gid": 0}
    if kind: entry["kind"] = kind
    else: entry["target"] = extra
    entries.append(entry)


add_file("/hello.txt", 1, "---644", 1000, 1000, b"hello from xfs\n")
add_file("/big.bin", 1, "---600", 0, 0, stream("big", 300000))
add_file("/empty.txt", 1, "---644", 0, 0, b"")
add_file("/setuid", 1, "-u-755", 0, 0, b"#!/bin/sh\n")
add_other("/link", 1, "l", None, 0o777, "hello.txt")
add_other("/long-link", 1, "l", None, 0o777, "a/" * 90 + "long-symlink-target")
add_other("/fifo", 1, "p", "fifo", 0o644)
add_other("/null", 1, "c", "chardev", 0o666, "1 3")
add_other("/loop0", 1, "b", "blockdev", 0o660, "7 0")
add_dir("/sub", 1, 0o750, 1, 2)
add_file("/sub/small.bin", 2, "---644", 0, 0, stream("small", 5000))
proto.append("  $")
add_dir("/open", 1, 0o1777, 0, 0)  # sticky: set by post.py
proto.append("  $")
for name, count, length in (("blockdir", 30, 12), ("leafdir", 200, 40), ("nodedir", 1200, 40), ("btreedir", 1500, 60)):
    add_dir(f"/{name}", 1, 0o755, 0, 0)
    for i in range(count):
        stem = f"{name}-entry-{i:05d}-"
        add_file(f"/{name}/{stem}{'x' * (length - len(stem))}", 2, "---644", 0, 0, f"{name} {i}\n".encode())
    proto.append("  $")
add_dir("/links", 1, 0o755, 0, 0)
# Made last, so their inodes share a chunk that has free inodes (post.py frees one in it).
# A hard link: protofiles have none, so post.py points hardlink-twin's entry at hardlink's inode
# (links 2) and frees the inode mkfs gave the twin (an empty file, so no blocks are orphaned).
add_file("/links/hardlink", 2, "---640", 1000, 100, b"one inode, two names\n")
add_file("/links/hardlink-twin", 2, "---640", 1000, 100, b"")
entries[-1].update({k: entries[-2][k] for k in ("size", "sha256")})
entries[-1]["links"] = entries[-2]["links"] = 2
add_file("/links/setgid", 2, "--g755", 0, 50, b"#!/bin/sh\n")
proto.append("  $")
proto.append("$")

# Extended attributes, set afterwards by xfs_db -x attr_set (values are that many 'v's): short
# form on hello.txt, a leaf block on small.bin (with one remote value), a node tree on blockdir.
XATTRS = {
    "/hello.txt": [("-u", "user.comment", 12), ("-s", "security.label", 3), ("-r", "trusted.one", 5)],
    "/sub/small.bin": [("-u", f"user.attribute-{i:03d}", 20) for i in range(40)] + [("-u", "user.remote", 5000)],
    "/blockdir": [("-u", f"user.many-attributes-{i:04d}", 30) for i in range(400)],
}
commands = []
for path, attrs in XATTRS.items():
    commands.append(f"path {path}")
    for flag, name, length in attrs:
        commands.append(f"attr_set {flag} -v {length} {name.split('.', 1)[1]}")
    next(e for e in entries if e["path"] == path)["xattrs"] = {name: length for _, name, length in attrs}
open(f"{work}/attr-commands", "w").write("\n".join(commands) + "\n")
open(f"{work}/proto", "w").write("\n".join(proto) + "\n")
json.dump({"time": "2024-03-01T12:00:00Z", "entries": entries}, open(f"{work}/tree.json", "w"))
