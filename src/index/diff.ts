/**
 * The difference of two backups, by path: added, removed and changed files. Each backup's held
 * versions come ordered by folder path and volume in one query (the two sides interleaved), so
 * one folder of each side is in memory at a time; names are matched in JavaScript, because a
 * slot numbers a name within its VM's folder only and the backups may be of different VMs.
 */
import { GrtError } from '../errors.js';
import type { EntryType } from '../fs/file-system.js';
import type { Db, Row } from './db.js';
import { decodeFacts } from './facts.js';
import { decodeFolderNames } from './folder-names.js';
import { backupRow, heldAt } from './query.js';
import { joinPath, TYPE_NAMES } from './row.js';

export interface DiffRow {
  change: 'added' | 'removed' | 'changed';
  path: string;
  volume: number;
  type: EntryType;
}

/** One side's versions of one folder, by name and deleted flag. */
type Side = Map<string, { owner: bigint; facts: Uint8Array }[]>;

const typeOf = (facts: Uint8Array): EntryType => TYPE_NAMES[decodeFacts(facts).type] ?? 'other';
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/** What changed in one folder from side `a` to side `b`, by name. */
function* folderDiff(dir: string, volume: number, a: Side, b: Side): Generator<DiffRow> {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const key of keys) {
    const path = joinPath(dir, key.slice(0, key.lastIndexOf('\0')));
    const [xs, ys] = [a.get(key) ?? [], b.get(key) ?? []];
    if (xs.length === 0) for (const y of ys) yield { change: 'added', path, volume, type: typeOf(y.facts) };
    if (ys.length === 0) for (const x of xs) yield { change: 'removed', path, volume, type: typeOf(x.facts) };
    for (const x of xs) {
      for (const y of ys) if (!(x.owner === y.owner && sameBytes(x.facts, y.facts))) yield { change: 'changed', path, volume, type: typeOf(y.facts) };
    }
  }
}

/** Files added, removed and changed from backup `a` to backup `b`, by folder path, volume and name. */
export async function* diffBackups(db: Db, a: string, b: string): AsyncIterable<DiffRow> {
  const ra = await backupRow(db, a);
  const rb = await backupRow(db, b);
  // Each side is the folders of its VM, each with a range of the versions' primary key.
  const side = (n: number) => `SELECT ${n} AS side, f.path, f.volume, f.id AS folder, v.slot, v.deleted, v.owner_id, v.facts
    FROM folders f CROSS JOIN versions v WHERE f.vm_id = ? AND v.folder_id = f.id AND ${heldAt('v', '?')}`;
  const sql = `SELECT * FROM (${side(0)} UNION ALL ${side(1)}) s ORDER BY s.path, s.volume, s.side`;
  const params = [ra.vm_id, ra.ordinal, ra.ordinal, rb.vm_id, rb.ordinal, rb.ordinal] as bigint[];
  const names = new Map<bigint, string[]>();
  const nameOf = async (r: Row): Promise<string> => {
    const folder = r.folder as bigint;
    let list = names.get(folder);
    if (!list) {
      const [row] = await db.all('SELECT names FROM folders WHERE id = ?', [folder]);
      list = decodeFolderNames(row!.names as Uint8Array);
      // Only the folders of the group being compared (one per side) are kept.
      if (names.size >= 2) names.clear();
      names.set(folder, list);
    }
    const name = list[Number(r.slot)];
    if (name === undefined) throw new GrtError('UNSUPPORTED', 'a file version in the index names no file of its folder (a damaged index)', { structure: 'index versions', actual: Number(r.slot) });
    return name;
  };
  let group: { dir: string; volume: number; sides: [Side, Side] } | undefined;
  for await (const r of db.iterate(sql, params)) {
    const dir = r.path as string;
    const volume = Number(r.volume);
    if (!group || group.dir !== dir || group.volume !== volume) {
      if (group) yield* folderDiff(group.dir, group.volume, ...group.sides);
      group = { dir, volume, sides: [new Map(), new Map()] };
    }
    const key = `${await nameOf(r)}\0${r.deleted}`;
    const sideMap = group.sides[Number(r.side)]!;
    const list = sideMap.get(key) ?? [];
    list.push({ owner: r.owner_id as bigint, facts: r.facts as Uint8Array });
    sideMap.set(key, list);
  }
  if (group) yield* folderDiff(group.dir, group.volume, ...group.sides);
}
