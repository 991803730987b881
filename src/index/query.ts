/**
 * Reading the index: backups, files across backups, versions of one path, the difference of two
 * backups, totals, and where to restore a file from. Every answer is ordered in SQL by integers
 * and by text compared byte-wise, so both back ends give the same rows in the same order.
 */
import { GrtError } from '../errors.js';
import type { EntryType } from '../fs/file-system.js';
import { compileGlob } from '../util/glob.js';
import type { Db, Param, Row } from './db.js';
import { decodeFacts } from './facts.js';
import { matchingNames } from './names.js';
import { isoFromMicros, joinPath, nameKey, storableText, TYPE_NAMES } from './row.js';
import { keySql } from './schema.js';

export interface BackupInfo {
  backup: string;
  vm: string;
  time: string;
  volumes: { index: number; fs: string; serial: string; label?: string; files: number }[];
  files: number;
  bytes: number;
  catalog: string | null;
  image: string | null;
}

export interface FindOptions {
  vm?: string;
  /** Backups taken at or after / at or before this time. */
  since?: Date;
  until?: Date;
  minSize?: number;
  maxSize?: number;
  modifiedAfter?: Date;
  /** Versions owned by this NTFS SID or POSIX uid. */
  owner?: string;
}

export interface FindRow {
  backup: string;
  vm: string;
  time: string;
  volume: number;
  path: string;
  size: number;
  mtime: string;
  type: EntryType;
  owner?: string;
  deleted?: boolean;
}

export interface VersionInfo {
  path: string;
  vm: string;
  volume: number;
  type: EntryType;
  size: number;
  mtime: string;
  ctime: string;
  owner?: string;
  /** Backups holding this version, newest first. */
  backups: string[];
}

export interface DiffRow {
  change: 'added' | 'removed' | 'changed';
  path: string;
  volume: number;
  type: EntryType;
}

/** SQL: backup `b` holds version `versions` (an open range reaches the VM's latest backup). */
export const HOLDS = 'b.ordinal >= versions.first_ord AND (versions.last_ord IS NULL OR b.ordinal <= versions.last_ord)';
/** SQL: version `v` is held by the backup of ordinal `ord` (a column or a `?`). */
const heldAt = (v: string, ord: string) => `${v}.first_ord <= ${ord} AND (${v}.last_ord IS NULL OR ${v}.last_ord >= ${ord})`;
const HOLDS_V = heldAt('v', 'b.ordinal');
/**
 * SQL: version `v` is of path `p` in VM `m`. Queries list `vms m CROSS JOIN versions v`, which
 * SQLite keeps in that order, so `v` is found by its primary key (VM, path) for each VM; left
 * free, its planner (no statistics) scanned every version once per path.
 */
const VERSION_OF_PATH = 'v.vm_id = m.id AND v.path_id = p.id';

const micros = (date: Date): bigint => BigInt(date.getTime()) * 1000n;

/** An owner as given (`S-1-5-…` in any case, or a uid) as the index stores it. */
const ownerKey = (owner: string): string => (/^s-/i.test(owner) ? owner.toUpperCase() : owner);

/** Owner ids to owner text, looked up once per id an answer meets. */
function ownerNames(db: Db): (id: bigint) => Promise<string | undefined> {
  const known = new Map<bigint, string | undefined>([[0n, undefined]]);
  return async (id) => {
    if (!known.has(id)) known.set(id, (await db.all('SELECT owner FROM owners WHERE id = ?', [id]))[0]?.owner as string | undefined);
    return known.get(id);
  };
}

export async function listBackups(db: Db, vm?: string): Promise<BackupInfo[]> {
  const rows = await db.all(
    `SELECT b.backup, m.name AS vm, b.time_us, b.volumes, b.files, b.bytes, b.catalog, b.image FROM backups b JOIN vms m ON m.id = b.vm_id
     ${vm !== undefined ? 'WHERE m.name = ?' : ''} ORDER BY b.time_us DESC, b.backup`,
    vm !== undefined ? [vm] : [],
  );
  return rows.map((r) => ({
    backup: r.backup as string, vm: r.vm as string, time: isoFromMicros(r.time_us as bigint), volumes: JSON.parse(r.volumes as string) as BackupInfo['volumes'],
    files: Number(r.files), bytes: Number(r.bytes), catalog: r.catalog as string | null, image: r.image as string | null,
  }));
}

async function backupRow(db: Db, backup: string): Promise<Row> {
  const rows = await db.all('SELECT b.*, m.name AS vm FROM backups b JOIN vms m ON m.id = b.vm_id WHERE b.backup = ?', [backup]);
  if (rows.length === 0) throw new GrtError('NOT_FOUND', `no backup ${backup} in the index`);
  return rows[0]!;
}

/** The name glob candidates are found by: the glob itself, or a path glob's last part (none when that part spans directories). */
function nameGlobOf(glob: string): string | undefined {
  if (!glob.includes('/')) return glob;
  const last = glob.slice(glob.lastIndexOf('/') + 1);
  return last.includes('**') || glob.includes('\\') || last === '' ? undefined : last;
}

/** Files matching `glob` (a name glob, or a path glob when it has a '/') across backups, newest backup first. */
export async function* findFiles(db: Db, glob: string, options: FindOptions = {}): AsyncIterable<FindRow> {
  const pattern = compileGlob(glob);
  const nameGlob = nameGlobOf(glob);
  const where: string[] = [];
  const params: Param[] = [];
  if (nameGlob !== undefined) {
    const { ids } = await matchingNames(db, nameGlob);
    if (ids.length === 0) return;
    where.push(`p.id IN (${db.idSet()})`);
    params.push(JSON.stringify(ids.map(String)).replace(/"/g, ''));
  }
  let ownerId = 0n;
  if (options.owner !== undefined) {
    const [row] = await db.all('SELECT id FROM owners WHERE owner = ?', [ownerKey(options.owner)]);
    if (!row) return;
    ownerId = row.id as bigint;
    (where.push('v.owner_id = ?'), params.push(ownerId));
  }
  if (options.vm !== undefined) (where.push('m.name = ?'), params.push(options.vm));
  if (options.since) (where.push('b.time_us >= ?'), params.push(micros(options.since)));
  if (options.until) (where.push('b.time_us <= ?'), params.push(micros(options.until)));
  const owners = ownerNames(db);
  const sql = `SELECT b.backup, m.name AS vm, b.time_us, v.volume, d.path AS dir, p.name, v.facts, v.owner_id, v.deleted
    FROM paths p JOIN dirs d ON d.id = p.dir_id CROSS JOIN vms m CROSS JOIN versions v
    JOIN backups b ON b.vm_id = v.vm_id AND ${HOLDS_V}
    WHERE ${[VERSION_OF_PATH, ...where].join(' AND ')}
    ORDER BY b.time_us DESC, b.backup, v.volume, d.path, p.name, v.deleted, v.first_ord, v.facts`;
  for await (const r of db.iterate(sql, params)) {
    const path = joinPath(r.dir as string, r.name as string);
    if (pattern.matchesPath && !pattern.test(path)) continue;
    const facts = decodeFacts(r.facts as Uint8Array);
    if (options.minSize !== undefined && facts.size < options.minSize) continue;
    if (options.maxSize !== undefined && facts.size > options.maxSize) continue;
    if (options.modifiedAfter && facts.mtime <= micros(options.modifiedAfter)) continue;
    const row: FindRow = {
      backup: r.backup as string, vm: r.vm as string, time: isoFromMicros(r.time_us as bigint), volume: Number(r.volume), path,
      size: facts.size, mtime: isoFromMicros(facts.mtime), type: TYPE_NAMES[facts.type] ?? 'other',
    };
    const owner = await owners(r.owner_id as bigint);
    if (owner !== undefined) row.owner = owner;
    if (r.deleted === 1n) row.deleted = true;
    yield row;
  }
}

/** The path's id, or undefined when no backup ever had it (exact case, as the catalogs spell it). */
async function pathId(db: Db, path: string): Promise<bigint | undefined> {
  const clean = '/' + storableText(path).split('/').filter((s) => s !== '').join('/');
  const slash = clean.lastIndexOf('/');
  const name = clean.slice(slash + 1);
  const rows = await db.all(`SELECT p.id FROM paths p JOIN dirs d ON d.id = p.dir_id WHERE d.path = ? AND ${keySql('p.name')} = ? AND p.name = ?`, [
    slash === 0 ? '/' : clean.slice(0, slash), nameKey(name), name,
  ]);
  return rows[0]?.id as bigint | undefined;
}

/** Each distinct version of `path` with the backups holding it, the version in the newest backup first. */
export async function pathVersions(db: Db, path: string, vm?: string): Promise<VersionInfo[]> {
  const id = await pathId(db, path);
  if (id === undefined) return [];
  const rows = await db.all(
    `SELECT m.name AS vm, v.volume, v.deleted, v.owner_id, v.facts, d.path AS dir, p.name, b.backup
     FROM paths p JOIN dirs d ON d.id = p.dir_id CROSS JOIN vms m CROSS JOIN versions v
     JOIN backups b ON b.vm_id = v.vm_id AND ${HOLDS_V}
     WHERE ${VERSION_OF_PATH} AND p.id = ? ${vm !== undefined ? 'AND m.name = ?' : ''} ORDER BY b.time_us DESC, b.backup, v.volume, v.deleted, v.first_ord, v.facts`,
    vm !== undefined ? [id, vm] : [id],
  );
  const owners = ownerNames(db);
  // A version met again after a gap is stored twice (ranges are per add); it is still one version.
  const byKey = new Map<string, VersionInfo>();
  for (const r of rows) {
    const facts = r.facts as Uint8Array;
    const key = [r.vm, r.volume, r.deleted, r.owner_id, Buffer.from(facts).toString('hex')].join('\0');
    let info = byKey.get(key);
    if (!info) {
      const f = decodeFacts(facts);
      info = {
        path: joinPath(r.dir as string, r.name as string), vm: r.vm as string, volume: Number(r.volume), type: TYPE_NAMES[f.type] ?? 'other',
        size: f.size, mtime: isoFromMicros(f.mtime), ctime: isoFromMicros(f.ctime), backups: [],
      };
      const owner = await owners(r.owner_id as bigint);
      if (owner !== undefined) info.owner = owner;
      byKey.set(key, info);
    }
    info.backups.push(r.backup as string);
  }
  return [...byKey.values()];
}

/** Files added, removed and changed from backup `a` to backup `b`, by path. */
export async function* diffBackups(db: Db, a: string, b: string): AsyncIterable<DiffRow> {
  const ra = await backupRow(db, a);
  const rb = await backupRow(db, b);
  // Each side is a range of the versions' primary key (VM, then path): a lookup per row, never a scan per row.
  const other = (v: string, w: string) => `SELECT 1 FROM versions ${w} WHERE ${w}.vm_id = ? AND ${w}.path_id = ${v}.path_id AND ${w}.volume = ${v}.volume
    AND ${w}.deleted = ${v}.deleted AND ${heldAt(w, '?')}`;
  const sql = `SELECT c.change, c.volume, c.facts, d.path AS dir, p.name FROM (
      SELECT 'added' AS change, y.path_id, y.volume, y.facts FROM versions y WHERE y.vm_id = ? AND ${heldAt('y', '?')} AND NOT EXISTS (${other('y', 'x')})
      UNION ALL SELECT 'removed', x.path_id, x.volume, x.facts FROM versions x WHERE x.vm_id = ? AND ${heldAt('x', '?')} AND NOT EXISTS (${other('x', 'y')})
      UNION ALL SELECT 'changed', y.path_id, y.volume, y.facts FROM versions y JOIN versions x ON x.vm_id = ? AND x.path_id = y.path_id AND x.volume = y.volume
        AND x.deleted = y.deleted AND ${heldAt('x', '?')}
        WHERE y.vm_id = ? AND ${heldAt('y', '?')} AND NOT (x.facts = y.facts AND x.owner_id = y.owner_id)
    ) c JOIN paths p ON p.id = c.path_id JOIN dirs d ON d.id = p.dir_id
    ORDER BY d.path, p.name, c.volume, c.change`;
  const [va, oa, vb, ob] = [ra.vm_id, ra.ordinal, rb.vm_id, rb.ordinal] as Param[];
  const params = [vb, ob, ob, va, oa, oa, va, oa, oa, vb, ob, ob, va, oa, oa, vb, ob, ob];
  for await (const r of db.iterate(sql, params)) {
    const type = TYPE_NAMES[decodeFacts(r.facts as Uint8Array).type] ?? 'other';
    yield { change: r.change as DiffRow['change'], path: joinPath(r.dir as string, r.name as string), volume: Number(r.volume), type };
  }
}

export interface IndexStats {
  backups: number;
  vms: { vm: string; backups: number; versions: number }[];
  rows: Record<'backups' | 'versions' | 'paths' | 'dirs' | 'owners', number>;
  bytes: number;
}

export async function indexStats(db: Db): Promise<IndexStats> {
  const rows = {} as IndexStats['rows'];
  for (const table of ['backups', 'versions', 'paths', 'dirs', 'owners'] as const) {
    rows[table] = Number((await db.all(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
  }
  const vms = await db.all(`SELECT m.name AS vm, (SELECT COUNT(*) FROM backups b WHERE b.vm_id = m.id) AS backups,
    (SELECT COUNT(*) FROM versions v WHERE v.vm_id = m.id) AS versions FROM vms m ORDER BY m.name`);
  return {
    backups: rows.backups,
    vms: vms.map((r) => ({ vm: r.vm as string, backups: Number(r.backups), versions: Number(r.versions) })),
    rows,
    bytes: await db.sizeBytes(),
  };
}

export interface Location {
  backup: string;
  vm: string;
  /** Where the catalog and the image were recorded (path or URL). */
  catalog: string | null;
  image: string | null;
  /** The partition (volume index) holding the path in that backup. */
  volume: number;
  path: string;
}

/** Where to restore `path` of `backup` from: its catalog, its image and the volume holding it. */
export async function locate(db: Db, backup: string, path: string): Promise<Location> {
  const row = await backupRow(db, backup);
  const id = await pathId(db, path);
  const held = id === undefined ? [] : await db.all(
    `SELECT volume FROM versions v WHERE v.vm_id = ? AND v.path_id = ? AND ${heldAt('v', '?')} ORDER BY deleted, volume`,
    [row.vm_id as bigint, id, row.ordinal as bigint, row.ordinal as bigint],
  );
  if (held.length === 0) throw new GrtError('NOT_FOUND', `${path} is not in backup ${backup}`, { path });
  return { backup, vm: row.vm as string, catalog: row.catalog as string | null, image: row.image as string | null, volume: Number(held[0]!.volume), path };
}

export interface VersionChoice {
  /** Only backups taken before this time. */
  before?: Date;
  vm?: string;
  /** Only backups added with their image and catalog locations (a restore needs both). */
  restorable?: boolean;
}

/**
 * The newest backup taken before `before` (default: any) that holds `path` as a live entry, and
 * where to restore it from: "the version of budget.xlsx from before it was overwritten".
 */
export async function locateVersion(db: Db, path: string, options: VersionChoice = {}): Promise<Location> {
  const id = await pathId(db, path);
  const where: string[] = ['v.deleted = 0'];
  const params: Param[] = [id ?? -1n];
  if (options.before) (where.push('b.time_us < ?'), params.push(micros(options.before)));
  if (options.vm !== undefined) (where.push('m.name = ?'), params.push(options.vm));
  if (options.restorable) where.push('b.image IS NOT NULL AND b.catalog IS NOT NULL');
  const [row] = await db.all(
    `SELECT b.backup, m.name AS vm, b.catalog, b.image, v.volume FROM paths p CROSS JOIN vms m CROSS JOIN versions v
     JOIN backups b ON b.vm_id = v.vm_id AND ${HOLDS_V} WHERE p.id = ? AND ${VERSION_OF_PATH} AND ${where.join(' AND ')} ORDER BY b.time_us DESC, b.backup, v.volume LIMIT 1`,
    params,
  );
  if (!row) throw new GrtError('NOT_FOUND', `no backup${options.restorable ? ' with an image' : ''}${options.before ? ` before ${options.before.toISOString()}` : ''} holds ${path}`, { path });
  return { backup: row.backup as string, vm: row.vm as string, catalog: row.catalog as string | null, image: row.image as string | null, volume: Number(row.volume), path };
}
