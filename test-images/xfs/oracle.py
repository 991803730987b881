"""Asks xfs_db about one made volume: geometry, every manifest path's inode number, the data fork
format of each directory and of big.bin, and xfs_repair -n's verdict. Prints one JSON line."""
import hashlib, json, re, subprocess, sys

work, file, options = sys.argv[1], sys.argv[2], sys.argv[3]
image = f"{work}/{file}"
tree = json.load(open(f"{work}/tree.json"))


def db(*commands):
    args = ["xfs_db", "-r"]
    for command in commands: args += ["-c", command]
    return subprocess.run(args + [image], check=True, capture_output=True, text=True).stdout


sb = dict(re.findall(r"^(\w+) = (.*)$", db("sb 0", "p blocksize inodesize versionnum dirblklog uuid"), re.M))
inodes = {}
dirs = {e["path"] for e in tree["entries"] if e["type"] == "dir"} | {"/"}
for directory in sorted(dirs):
    for line in db(f"ls {directory}").splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[-1] not in (".", "..") and fields[-2] == "(good)" or (len(fields) >= 5 and fields[-1] not in (".", "..") and not line.endswith(":")):
            name = fields[-2] if fields[-1] == "(good)" else fields[-1]
            if fields[-1] == "(good)": name = fields[-2]
            if name in (".", ".."): continue
            inodes[(directory.rstrip("/") + "/" + name)] = int(fields[1])
formats = {}
for path in sorted(dirs) + ["/big.bin"]:
    number = inodes.get(path) or int(sb.get("rootino", 0) or db("sb 0", "p rootino").split("=")[1])
    core = dict(re.findall(r"^core\.(\w+) = (.*)$", db(f"inode {number}", "p core.format core.nextents"), re.M))
    formats[path] = {"inode": number, "format": core.get("format"), "nextents": int(core.get("nextents", 0))}
repair = open(f"{image}.repair").read()
print(json.dumps({"file": f"{file}.gz", "mkfsOptions": options, "blockSize": int(sb["blocksize"]), "inodeSize": int(sb["inodesize"]),
                  "versionnum": sb["versionnum"], "uuid": sb["uuid"], "sha256": hashlib.sha256(open(image, "rb").read()).hexdigest(),
                  "repairClean": "would" not in repair.lower() and "error" not in repair.lower(), "forks": formats,
                  "inodes": {path: inodes[path] for path in sorted(inodes) if path.count("/") == 1 or path.startswith(("/sub/", "/links/"))}}))
