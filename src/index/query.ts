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
import { decodeFolderNames } from './folder-names.js';
import { keyParam, keyRows, matchingNames, type NameMatch } from './names.js';
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

/** SQL: version `v` is held by the backup of ordinal `ord` (a column or a `?`). */
export const heldAt = (v: string, ord: string) => `${v}.first_ord <= ${ord} AND (${v}.last_ord IS NULL OR ${v}.last_ord >= ${ord})`;
/**
 * SQL: the versions `v` of the names of key set `k` (keyRows), in folders `f`, held by backups `b`
 * of their VM. Queries list `k CROSS JOIN folders f CROSS JOIN versions v`, which SQLite keeps in
 * that order, so `v` is found by its primary key (folder, slot) for each name.
 */
const VERSIONS_OF_KEYS = (db: Db) => `(${keyRows(db)}) k CROSS JOIN folders f CROSS JOIN versions v
  JOIN backups b ON b.vm_id = f.vm_id AND ${heldAt('v', 'b.ordinal')} JOIN vms m ON m.id = f.vm_id`;
const KEY_OF_VERSION = 'f.id = k.folder_id AND v.folder_id = k.folder_id AND v.slot = k.slot';

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

export async function backupRow(db: Db, backup: string): Promise<Row> {
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
  const inVm = options.vm !== undefined ? ['f.vm_id IN (SELECT id FROM vms WHERE name = ?)', [options.vm]] as const : ['true', []] as const;
  let { matches } = await matchingNames(db, nameGlobOf(glob) ?? '*', inVm[0], [...inVm[1]]);
  if (pattern.matchesPath) matches = matches.filter((m) => pattern.test(joinPath(m.dir, m.name)));
  if (matches.length === 0) return;
  const where: string[] = [];
  const params: Param[] = [keyParam(matches)];
  if (options.owner !== undefined) {
    const [row] = await db.all('SELECT id FROM owners WHERE owner = ?', [ownerKey(options.owner)]);
    if (!row) return;
    (where.push('v.owner_id = ?'), params.push(row.id as bigint));
  }
  if (options.since) (where.push('b.time_us >= ?'), params.push(micros(options.since)));
  if (options.until) (where.push('b.time_us <= ?'), params.push(micros(options.until)));
  const owners = ownerNames(db);
  const sql = `SELECT k.rank, b.backup, m.name AS vm, b.time_us, f.volume, v.facts, v.owner_id, v.deleted FROM ${VERSIONS_OF_KEYS(db)}
    WHERE ${[KEY_OF_VERSION, ...where].join(' AND ')}
    ORDER BY b.time_us DESC, b.backup, f.volume, k.rank, v.deleted, v.first_ord, v.facts`;
  for await (const r of db.iterate(sql, params)) {
    const match = matches[Number(r.rank)]!;
    const facts = decodeFacts(r.facts as Uint8Array);
    if (options.minSize !== undefined && facts.size < options.minSize) continue;
    if (options.maxSize !== undefined && facts.size > options.maxSize) continue;
    if (options.modifiedAfter && facts.mtime <= micros(options.modifiedAfter)) continue;
    const row: FindRow = {
      backup: r.backup as string, vm: r.vm as string, time: isoFromMicros(r.time_us as bigint), volume: Number(r.volume), path: joinPath(match.dir, match.name),
      size: facts.size, mtime: isoFromMicros(facts.mtime), type: TYPE_NAMES[facts.type] ?? 'other',
    };
    const owner = await owners(r.owner_id as bigint);
    if (owner !== undefined) row.owner = owner;
    if (r.deleted === 1n) row.deleted = true;
    yield row;
  }
}

/**
 * The stored names of `path` (exact case, as the catalogs spell it): one per folder holding it,
 * in any VM and volume, or only in folders `folderWhere` (SQL on `f`) selects.
 */
async function pathMatches(db: Db, path: string, folderWhere = 'true', folderParams: Param[] = []): Promise<NameMatch[]> {
  const clean = '/' + storableText(path).split('/').filter((s) => s !== '').join('/');
  const slash = clean.lastIndexOf('/');
  const dir = slash === 0 ? '/' : clean.slice(0, slash);
  const name = clean.slice(slash + 1);
  const matches: NameMatch[] = [];
  // By VM, so each folder is found by the (vm_id, path) prefix of its unique key.
  const rows = await db.all(`SELECT f.id, f.names FROM vms m CROSS JOIN folders f WHERE f.vm_id = m.id AND f.path = ? AND ${folderWhere} ORDER BY f.id`, [dir, ...folderParams]);
  for (const r of rows) {
    const slot = decodeFolderNames(r.names as Uint8Array).indexOf(name);
    if (slot >= 0 && name !== '') matches.push({ folder: r.id as bigint, slot, dir, name });
  }
  return matches;
}

/** Each distinct version of `path` with the backups holding it, the version in the newest backup first. */
export async function pathVersions(db: Db, path: string, vm?: string): Promise<VersionInfo[]> {
  const matches = vm !== undefined ? await pathMatches(db, path, 'm.name = ?', [vm]) : await pathMatches(db, path);
  if (matches.length === 0) return [];
  const rows = await db.all(
    `SELECT m.name AS vm, f.volume, v.deleted, v.owner_id, v.facts, k.rank, b.backup FROM ${VERSIONS_OF_KEYS(db)}
     WHERE ${KEY_OF_VERSION} ORDER BY b.time_us DESC, b.backup, f.volume, v.deleted, v.first_ord, v.facts`,
    [keyParam(matches)],
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
      const match = matches[Number(r.rank)]!;
      info = {
        path: joinPath(match.dir, match.name), vm: r.vm as string, volume: Number(r.volume), type: TYPE_NAMES[f.type] ?? 'other',
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

export interface IndexStats {
  backups: number;
  vms: { vm: string; backups: number; versions: number }[];
  rows: Record<'backups' | 'versions' | 'folders' | 'owners', number>;
  bytes: number;
}

export async function indexStats(db: Db): Promise<IndexStats> {
  const rows = {} as IndexStats['rows'];
  for (const table of ['backups', 'versions', 'folders', 'owners'] as const) {
    rows[table] = Number((await db.all(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
  }
  const vms = await db.all(`SELECT m.name AS vm, (SELECT COUNT(*) FROM backups b WHERE b.vm_id = m.id) AS backups,
    (SELECT COUNT(*) FROM folders f JOIN versions v ON v.folder_id = f.id WHERE f.vm_id = m.id) AS versions FROM vms m ORDER BY m.name`);
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
  const matches = await pathMatches(db, path, 'm.id = ?', [row.vm_id as bigint]);
  const held = matches.length === 0 ? [] : await db.all(
    `SELECT f.volume FROM (${keyRows(db)}) k CROSS JOIN folders f CROSS JOIN versions v WHERE ${KEY_OF_VERSION} AND ${heldAt('v', '?')} ORDER BY v.deleted, f.volume`,
    [keyParam(matches), row.ordinal as bigint, row.ordinal as bigint],
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
  const matches = await pathMatches(db, path);
  const where: string[] = ['v.deleted = 0'];
  const params: Param[] = [keyParam(matches)];
  if (options.before) (where.push('b.time_us < ?'), params.push(micros(options.before)));
  if (options.vm !== undefined) (where.push('m.name = ?'), params.push(options.vm));
  if (options.restorable) where.push('b.image IS NOT NULL AND b.catalog IS NOT NULL');
  const [row] = matches.length === 0 ? [] : await db.all(
    `SELECT b.backup, m.name AS vm, b.catalog, b.image, f.volume FROM ${VERSIONS_OF_KEYS(db)}
     WHERE ${KEY_OF_VERSION} AND ${where.join(' AND ')} ORDER BY b.time_us DESC, b.backup, f.volume LIMIT 1`,
    params,
  );
  if (!row) throw new GrtError('NOT_FOUND', `no backup${options.restorable ? ' with an image' : ''}${options.before ? ` before ${options.before.toISOString()}` : ''} holds ${path}`, { path });
  return { backup: row.backup as string, vm: row.vm as string, catalog: row.catalog as string | null, image: row.image as string | null, volume: Number(row.volume), path };
}
