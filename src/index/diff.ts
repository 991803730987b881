/**
 * The difference of two backups, by path: added, removed and changed files, a folder at a time
 * (diffBackups); names are matched in JavaScript, because a slot numbers a name within its VM's
 * folder only and the backups may be of different VMs.
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

/** The versions backup `ordinal` holds in `folder` (none when the side has no such folder), by name and deleted flag. */
async function sideOf(db: Db, folder: Row | undefined, ordinal: bigint): Promise<Side> {
  const side: Side = new Map();
  if (!folder) return side;
  const [row] = await db.all('SELECT names FROM folders WHERE id = ?', [folder.id as bigint]);
  const names = decodeFolderNames(row!.names as Uint8Array);
  const versions = await db.all(
    `SELECT v.slot, v.deleted, v.owner_id, v.facts FROM versions v WHERE v.folder_id = ? AND ${heldAt('v', '?')} ORDER BY v.slot, v.deleted, v.first_ord`,
    [folder.id as bigint, ordinal, ordinal],
  );
  for (const v of versions) {
    const name = names[Number(v.slot)];
    if (name === undefined) throw new GrtError('UNSUPPORTED', 'a file version in the index names no file of its folder (a damaged index)', { structure: 'index versions', actual: Number(v.slot) });
    const key = `${name}\0${v.deleted}`;
    const list = side.get(key) ?? [];
    list.push({ owner: v.owner_id as bigint, facts: v.facts as Uint8Array });
    side.set(key, list);
  }
  return side;
}

/**
 * Files added, removed and changed from backup `a` to backup `b`, by folder path, volume and name.
 * The folders of both VMs come in (path, volume) order (the unique key's order for one VM; a sort
 * of folder rows, not of versions, for two); each group's versions are read by its folders'
 * primary keys, so one folder of each side is in memory at a time.
 */
export async function* diffBackups(db: Db, a: string, b: string): AsyncIterable<DiffRow> {
  const ra = await backupRow(db, a);
  const rb = await backupRow(db, b);
  const sql = 'SELECT f.id, f.vm_id, f.path, f.volume FROM folders f WHERE f.vm_id IN (?, ?) ORDER BY f.path, f.volume, f.vm_id';
  let group: Row[] = [];
  const flush = async function* (): AsyncGenerator<DiffRow> {
    const first = group[0]!;
    const [sa, sb] = [await sideOf(db, group.find((f) => f.vm_id === ra.vm_id), ra.ordinal as bigint), await sideOf(db, group.find((f) => f.vm_id === rb.vm_id), rb.ordinal as bigint)];
    yield* folderDiff(first.path as string, Number(first.volume), sa, sb);
  };
  for await (const r of db.iterate(sql, [ra.vm_id, rb.vm_id])) {
    if (group.length > 0 && (group[0]!.path !== r.path || group[0]!.volume !== r.volume)) {
      yield* flush();
      group = [];
    }
    group.push(r);
  }
  if (group.length > 0) yield* flush();
}
