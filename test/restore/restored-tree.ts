/**
 * A restored tree as the restore tests compare it: each path's type, mode, owner, times in
 * nanoseconds, content hash, link text and the first path sharing its inode; and the reader's own
 * entries by path.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, lstatSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { FileEntry, FileSystem } from '../../src/fs/file-system.js';

/** A file's bytes read without changing its atime (a later name of the same inode is checked after it). */
function readUntouched(path: string): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOATIME);
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** What a restored tree holds, path by path: type, mode, owner, mtime, content hash, link text, and which paths share an inode. */
export function describeTree(root: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  const inodes = new Map<bigint, string>();
  const visit = (relative: string) => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = `${relative}/${name}`;
      const full = join(root, path);
      const stat = lstatSync(full, { bigint: true });
      const type = stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : stat.isSymbolicLink() ? 'symlink' : stat.isFIFO() ? 'fifo' : stat.isCharacterDevice() ? 'chardev' : stat.isBlockDevice() ? 'blockdev' : 'socket';
      const row: Record<string, unknown> = { type, uid: Number(stat.uid), gid: Number(stat.gid), mtimeNs: stat.mtimeNs, atimeNs: stat.atimeNs };
      if (type !== 'symlink') row.mode = Number(stat.mode) & 0o7777;
      if (type === 'file') {
        row.sha256 = createHash('sha256').update(readUntouched(full)).digest('hex');
        row.sameAs = inodes.get(stat.ino) ?? path;
        inodes.set(stat.ino, row.sameAs as string);
      }
      if (type === 'symlink') row.target = readlinkSync(full);
      if (type === 'chardev' || type === 'blockdev') row.rdev = Number(stat.rdev);
      out.set(path, row);
      if (type === 'dir') visit(path);
    }
  };
  visit('');
  return out;
}

export async function entriesOf(fs: FileSystem): Promise<Map<string, FileEntry>> {
  const entries = new Map<string, FileEntry>();
  for await (const entry of fs.walk('/')) entries.set(entry.path, entry);
  return entries;
}
