/**
 * Reading the index: backups, files across backups, versions of one path, the difference of two
 * backups, totals, and where to restore a file from. Every answer is ordered in SQL by integers
 * and by text compared byte-wise, so both back ends give the same rows in the same order.
 */
import { GrtError } from '../errors.js';
import type { EntryType } from '../fs/file-system.js';
import { compileGlob } from '../util/glob.js';
import type { Db, Param, Row } from './db.js';
import { matchingNames } from './names.js';
import { isoFromMicros, joinPath, storableText, TYPE_NAMES } from './row.js';

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
  /** Backups holding this version, newest first. */
  backups: string[];
}

export interface DiffRow {
  change: 'added' | 'removed' | 'changed';
  path: string;
  volume: number;
  type: EntryType;
}

/** SQL: backup `b` holds version `versions`/`v` (an open range reaches the VM's latest backup). */
export const HOLDS = 'b.ordinal >= versions.first_ord AND (versions.last_ord IS NULL OR b.ordinal <= versions.last_ord)';
const HOLDS_V = 'b.ordinal >= v.first_ord AND (v.last_ord IS NULL OR b.ordinal <= v.last_ord)';

const micros = (date: Date): bigint => BigInt(date.getTime()) * 1000n;

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
    where.push(`n.id IN (${db.idSet()})`);
    params.push(JSON.stringify(ids.map(String)).replace(/"/g, ''));
  }
  if (options.vm !== undefined) (where.push('m.name = ?'), params.push(options.vm));
  if (options.since) (where.push('b.time_us >= ?'), params.push(micros(options.since)));
  if (options.until) (where.push('b.time_us <= ?'), params.push(micros(options.until)));
  if (options.minSize !== undefined) (where.push('v.size >= ?'), params.push(options.minSize));
  if (options.maxSize !== undefined) (where.push('v.size <= ?'), params.push(options.maxSize));
  if (options.modifiedAfter) (where.push('v.mtime > ?'), params.push(micros(options.modifiedAfter)));
  const sql = `SELECT b.backup, m.name AS vm, b.time_us, v.volume, d.path AS dir, n.name, v.size, v.mtime, v.type, v.deleted
    FROM names n JOIN paths p ON p.name_id = n.id JOIN dirs d ON d.id = p.dir_id JOIN versions v ON v.path_id = p.id
    JOIN backups b ON b.vm_id = v.vm_id AND ${HOLDS_V} JOIN vms m ON m.id = b.vm_id
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY b.time_us DESC, b.backup, v.volume, d.path, n.name, v.id`;
  for await (const r of db.iterate(sql, params)) {
    const path = joinPath(r.dir as string, r.name as string);
    if (pattern.matchesPath && !pattern.test(path)) continue;
    const row: FindRow = {
      backup: r.backup as string, vm: r.vm as string, time: isoFromMicros(r.time_us as bigint), volume: Number(r.volume), path,
      size: Number(r.size), mtime: isoFromMicros(r.mtime as bigint), type: TYPE_NAMES[Number(r.type)] ?? 'other',
    };
    if (r.deleted === 1n) row.deleted = true;
    yield row;
  }
}

/** The path's id, or undefined when no backup ever had it (exact case, as the catalogs spell it). */
async function pathId(db: Db, path: string): Promise<bigint | undefined> {
  const clean = '/' + storableText(path).split('/').filter((s) => s !== '').join('/');
  const slash = clean.lastIndexOf('/');
  const rows = await db.all('SELECT p.id FROM paths p JOIN dirs d ON d.id = p.dir_id JOIN names n ON n.id = p.name_id WHERE d.path = ? AND n.name = ?', [
    slash === 0 ? '/' : clean.slice(0, slash), clean.slice(slash + 1),
  ]);
  return rows[0]?.id as bigint | undefined;
}

/** Each distinct version of `path` with the backups holding it, the version in the newest backup first. */
export async function pathVersions(db: Db, path: string, vm?: string): Promise<VersionInfo[]> {
  const id = await pathId(db, path);
  if (id === undefined) return [];
  const rows = await db.all(
    `SELECT m.name AS vm, v.volume, v.type, v.size, v.mtime, v.ctime, v.record, v.sequence, v.attributes, v.deleted, d.path AS dir, n.name, b.backup
     FROM versions v JOIN paths p ON p.id = v.path_id JOIN dirs d ON d.id = p.dir_id JOIN names n ON n.id = p.name_id
     JOIN backups b ON b.vm_id = v.vm_id AND ${HOLDS_V} JOIN vms m ON m.id = v.vm_id
     WHERE v.path_id = ? ${vm !== undefined ? 'AND m.name = ?' : ''} ORDER BY b.time_us DESC, b.backup, v.volume, v.id`,
    vm !== undefined ? [id, vm] : [id],
  );
  // A version met again after a gap is stored twice (ranges are per add); it is still one version.
  const byKey = new Map<string, VersionInfo>();
  for (const r of rows) {
    const key = [r.vm, r.volume, r.type, r.size, r.mtime, r.ctime, r.record, r.sequence, r.attributes, r.deleted].join('\0');
    let info = byKey.get(key);
    if (!info) {
      info = {
        path: joinPath(r.dir as string, r.name as string), vm: r.vm as string, volume: Number(r.volume), type: TYPE_NAMES[Number(r.type)] ?? 'other',
        size: Number(r.size), mtime: isoFromMicros(r.mtime as bigint), ctime: isoFromMicros(r.ctime as bigint), backups: [],
      };
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
  const held = 'SELECT * FROM versions WHERE vm_id = ? AND first_ord <= ? AND (last_ord IS NULL OR last_ord >= ?)';
  const key = 'x.path_id = y.path_id AND x.volume = y.volume AND x.deleted = y.deleted';
  const same = ['type', 'size', 'mtime', 'ctime', 'record', 'sequence', 'attributes'].map((c) => `x.${c} = y.${c}`).join(' AND ');
  const sql = `WITH a AS (${held}), b AS (${held})
    SELECT c.change, c.volume, c.type, d.path AS dir, n.name FROM (
      SELECT 'added' AS change, y.path_id, y.volume, y.type FROM b y WHERE NOT EXISTS (SELECT 1 FROM a x WHERE ${key})
      UNION ALL SELECT 'removed', x.path_id, x.volume, x.type FROM a x WHERE NOT EXISTS (SELECT 1 FROM b y WHERE ${key})
      UNION ALL SELECT 'changed', y.path_id, y.volume, y.type FROM a x JOIN b y ON ${key} WHERE NOT (${same})
    ) c JOIN paths p ON p.id = c.path_id JOIN dirs d ON d.id = p.dir_id JOIN names n ON n.id = p.name_id
    ORDER BY d.path, n.name, c.volume, c.change`;
  const params = [ra.vm_id, ra.ordinal, ra.ordinal, rb.vm_id, rb.ordinal, rb.ordinal] as Param[];
  for await (const r of db.iterate(sql, params)) {
    yield { change: r.change as DiffRow['change'], path: joinPath(r.dir as string, r.name as string), volume: Number(r.volume), type: TYPE_NAMES[Number(r.type)] ?? 'other' };
  }
}

export interface IndexStats {
  backups: number;
  vms: { vm: string; backups: number; versions: number }[];
  rows: Record<'backups' | 'versions' | 'paths' | 'names' | 'dirs', number>;
  bytes: number;
}

export async function indexStats(db: Db): Promise<IndexStats> {
  const rows = {} as IndexStats['rows'];
  for (const table of ['backups', 'versions', 'paths', 'names', 'dirs'] as const) {
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
    'SELECT volume FROM versions WHERE path_id = ? AND vm_id = ? AND first_ord <= ? AND (last_ord IS NULL OR last_ord >= ?) ORDER BY deleted, volume',
    [id, row.vm_id as bigint, row.ordinal as bigint, row.ordinal as bigint],
  );
  if (held.length === 0) throw new GrtError('NOT_FOUND', `${path} is not in backup ${backup}`, { path });
  return { backup, vm: row.vm as string, catalog: row.catalog as string | null, image: row.image as string | null, volume: Number(held[0]!.volume), path };
}
