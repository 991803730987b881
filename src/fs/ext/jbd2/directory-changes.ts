/**
 * Directory entries fast commits added and removed, applied to a directory's entries as read
 * from its blocks (nothing is written).
 *
 * Source: e2fsck's journal.c (ext4_fc_handle_unlink, ext4_fc_handle_link_and_create) and the
 * kernel's ext4_fc_replay_unlink/link/create: UNLINK removes the entry of that name for that inode
 * (none is fine: it may be gone already); LINK and CREAT first remove any entry of that name, then
 * add one for the inode, its file type taken from the inode's mode; CREAT of a directory gives it
 * fresh "." and ".." only (ext4_init_new_dir), so whatever its blocks held before is not listed.
 * NOTE: e2fsck 1.47 skips LINK and CREAT of a symlink (its handler returns the file type instead
 * of linking); the kernel links it, and so does grt.
 */
import type { DirEntry } from '../directory.js';

export type DirectoryChange =
  | { kind: 'unlink'; name: string; inode: number }
  | { kind: 'link'; name: string; inode: number; fileType: number };

export class DirectoryChanges {
  private readonly changes = new Map<number, DirectoryChange[]>();
  /** Directories CREAT made: they start empty. */
  private readonly createdDirectories = new Set<number>();

  add(directory: number, change: DirectoryChange): void {
    const list = this.changes.get(directory);
    if (list) list.push(change);
    else this.changes.set(directory, [change]);
  }

  markCreated(directory: number): void {
    this.createdDirectories.add(directory);
    this.changes.delete(directory);
  }

  /** True for a directory a fast commit created: it has no entries of its blocks. */
  created(directory: number): boolean {
    return this.createdDirectories.has(directory);
  }

  /**
   * `entries` (read from the directory's blocks) with the changes applied. Removed names are kept
   * as read; with `removed`, a name read live that a change removed is listed as removed too.
   */
  apply(directory: number, entries: DirEntry[], removed = false): DirEntry[] {
    const changes = this.changes.get(directory);
    if (!changes) return entries;
    const live = entries.filter((entry) => !entry.removed);
    const byName = new Map<string, DirEntry[]>();
    for (const entry of live) {
      const same = byName.get(entry.name);
      if (same) same.push(entry);
      else byName.set(entry.name, [entry]);
    }
    const gone = new Set<DirEntry>();
    const remove = (name: string, inode?: number): void => {
      const same = byName.get(name) ?? [];
      const index = same.findIndex((entry) => inode === undefined || entry.inode === inode);
      if (index >= 0) gone.add(same.splice(index, 1)[0]!);
    };
    const added: DirEntry[] = [];
    for (const change of changes ?? []) {
      if (change.kind === 'unlink') {
        remove(change.name, change.inode);
        continue;
      }
      remove(change.name);
      const entry = { inode: change.inode, name: change.name, fileType: change.fileType };
      added.push(entry);
      byName.set(change.name, [...(byName.get(change.name) ?? []), entry]);
    }
    const listed = [...live, ...added].filter((entry) => !gone.has(entry));
    const unlinked = removed ? live.filter((entry) => gone.has(entry)).map((entry) => ({ ...entry, removed: true })) : [];
    return listed.concat(entries.filter((entry) => entry.removed), unlinked);
  }
}
