/**
 * Adding a backup's catalog to the index, and removing a backup (retention). An add is one
 * transaction: the catalog's entries go to a staging table (COPY on PostgreSQL), then a few
 * set-based statements register new names, directories and paths, close the range of every open
 * version this backup no longer holds, and insert the versions that are new. Nothing
 * is written for a catalog that fails to open, and a failure half-way rolls everything back.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { GrtError } from '../errors.js';
import { openCatalog, type Catalog } from '../catalog/index.js';
import type { Db } from './db.js';
import { HOLDS } from './query.js';
import { rowOf, type VersionRow } from './row.js';

export interface AddOptions {
  /** The backup's id (default: derived from the catalog's binding and the backup time). */
  backup?: string;
  /** The VM's name (default: derived from the disk's volume serials). */
  vm?: string;
  /** Backup time (default: the catalog file's modification time). */
  time?: Date;
  /** Where the backup's image is (path or URL), for restores through the index. */
  image?: string;
  /** Where the catalog is, as recorded (default: the path added, when a path was given). */
  catalogLocation?: string;
  /** Index deleted entries too. */
  deleted?: boolean;
}

export interface AddResult {
  backup: string;
  vm: string;
  /** False when the same catalog was already registered under this id (a no-op). */
  added: boolean;
  files: number;
}

/** The columns one version is identified by, besides its VM, path and volume. */
const VERSION_COLUMNS = ['type', 'size', 'mtime', 'ctime', 'record', 'sequence', 'attributes', 'deleted'] as const;

async function* catalogRows(catalog: Catalog, deleted: boolean): AsyncIterable<VersionRow> {
  for (const volume of catalog.volumes) {
    for await (const entry of catalog.list(volume.index, '/', { recursive: true, deleted })) yield rowOf(volume.index, entry);
  }
}

function defaultVm(catalog: Catalog): string {
  const serials = catalog.binding.partitions.map((p) => p.serial).filter((s): s is string => s !== undefined);
  return serials.length > 0 ? `disk-${serials.join('-').toLowerCase()}` : `disk-${catalog.binding.capacity}`;
}

function defaultBackupId(catalog: Catalog, time: Date): string {
  const hash = createHash('sha256').update(JSON.stringify(catalog.binding)).update(time.toISOString()).digest('hex');
  return `b-${hash.slice(0, 16)}`;
}

async function readCatalogFile(source: string | Uint8Array): Promise<{ bytes: Uint8Array; time?: Date }> {
  if (typeof source !== 'string') return { bytes: source };
  try {
    const [bytes, info] = await Promise.all([readFile(source), stat(source)]);
    return { bytes, time: info.mtime };
  } catch (cause) {
    throw new GrtError('IO_ERROR', `cannot read catalog ${source}`, { path: source, cause });
  }
}

/** Registers a backup; see AddOptions for the defaults. */
export async function addBackup(db: Db, source: string | Uint8Array, options: AddOptions = {}): Promise<AddResult> {
  const { bytes, time: fileTime } = await readCatalogFile(source);
  // Opening checks every section header, the END totals and the names: a damaged, truncated or
  // future-version catalog stops here, before the database is touched.
  const catalog = await openCatalog(bytes);
  const time = options.time ?? fileTime;
  if (!time || Number.isNaN(time.getTime())) throw new GrtError('USAGE', 'a backup time is needed (--time) for a catalog given as bytes');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const backup = options.backup ?? defaultBackupId(catalog, time);
  const vm = options.vm ?? defaultVm(catalog);
  const catalogLocation = options.catalogLocation ?? (typeof source === 'string' ? source : null);
  return db.transaction(async () => {
    const existing = await db.all('SELECT catalog_sha256 FROM backups WHERE backup = ?', [backup]);
    if (existing.length > 0) {
      if (existing[0]!.catalog_sha256 === sha256) return { backup, vm, added: false, files: 0 };
      throw new GrtError('EXISTS', `backup ${backup} is already in the index with another catalog`);
    }
    await db.run('INSERT INTO vms (name) VALUES (?) ON CONFLICT (name) DO NOTHING', [vm]);
    // The row lock this update takes (PostgreSQL) makes concurrent adds of one VM take turns.
    const [vmRow] = await db.all('UPDATE vms SET last_ordinal = last_ordinal + 1 WHERE name = ? RETURNING id, last_ordinal', [vm]);
    const vmId = vmRow!.id as bigint;
    const ordinal = vmRow!.last_ordinal as bigint;
    await db.loadStage(catalogRows(catalog, options.deleted === true));
    await mergeStage(db, vmId, ordinal);
    const [totals] = await db.all('SELECT COUNT(*) AS files, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM stage WHERE type = 0');
    const volumes = JSON.stringify(catalog.volumes.map((v) => ({ index: v.index, fs: v.fs, serial: v.serial, ...(v.label !== undefined ? { label: v.label } : {}), files: v.files })));
    await db.run(
      `INSERT INTO backups (backup, vm_id, ordinal, time_us, catalog, image, catalog_sha256, volumes, files, bytes, with_deleted)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [backup, vmId, ordinal, BigInt(time.getTime()) * 1000n, catalogLocation, options.image ?? null, sha256, volumes, totals!.files, totals!.bytes, options.deleted ? 1 : 0],
    );
    await db.run('DROP TABLE stage');
    return { backup, vm, added: true, files: Number(totals!.files) };
  });
}

/** The staged entries become backup `ordinal` of VM `vmId` (set-based, the same SQL for both back ends). */
async function mergeStage(db: Db, vmId: bigint, ordinal: bigint): Promise<void> {
  // `WHERE true` lets SQLite tell the upsert clause from a join constraint (SQLite "upsert", parsing ambiguity).
  await db.run('INSERT INTO names (name, fkey, rkey) SELECT DISTINCT name, fkey, rkey FROM stage WHERE true ON CONFLICT (name) DO NOTHING');
  await db.run('INSERT INTO dirs (path) SELECT DISTINCT dir FROM stage WHERE true ON CONFLICT (path) DO NOTHING');
  await db.run(`INSERT INTO paths (name_id, dir_id) SELECT DISTINCT n.id, d.id FROM stage s JOIN names n ON n.name = s.name JOIN dirs d ON d.path = s.dir
    WHERE true ON CONFLICT (name_id, dir_id) DO NOTHING`);
  await db.run(`UPDATE stage SET path_id = (SELECT p.id FROM names n JOIN paths p ON p.name_id = n.id JOIN dirs d ON d.id = p.dir_id
    WHERE n.name = stage.name AND d.path = stage.dir)`);
  await db.run('CREATE INDEX stage_path ON stage (path_id, volume)');
  const same = (a: string, b: string) => VERSION_COLUMNS.map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');
  // Open versions (held up to the VM's latest backup) this backup no longer has end at the previous ordinal.
  await db.run(
    `UPDATE versions SET last_ord = ? WHERE vm_id = ? AND last_ord IS NULL
     AND NOT EXISTS (SELECT 1 FROM stage s WHERE s.path_id = versions.path_id AND s.volume = versions.volume AND ${same('s', 'versions')})`,
    [ordinal - 1n, vmId],
  );
  const cols = VERSION_COLUMNS.join(', ');
  // Found by path (versions_path): the unary + keeps SQLite's planner, which has no statistics,
  // from walking every open version of the VM (versions_open) for each staged row instead.
  await db.run(
    `INSERT INTO versions (vm_id, first_ord, last_ord, path_id, volume, ${cols})
     SELECT ?, ?, NULL, s.path_id, s.volume, ${VERSION_COLUMNS.map((c) => `s.${c}`).join(', ')}
     FROM (SELECT DISTINCT path_id, volume, ${cols} FROM stage) s
     WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.path_id = s.path_id AND +v.vm_id = ? AND v.last_ord IS NULL AND v.volume = s.volume AND ${same('v', 's')})`,
    [vmId, ordinal, vmId],
  );
}

/**
 * Removes a backup (retention): its row, and the versions no remaining backup of its VM holds.
 * Names, directories and paths stay for the next backups that have them.
 */
export async function removeBackup(db: Db, backup: string): Promise<void> {
  await db.transaction(async () => {
    const rows = await db.all('SELECT vm_id, ordinal FROM backups WHERE backup = ?', [backup]);
    if (rows.length === 0) throw new GrtError('NOT_FOUND', `no backup ${backup} in the index`);
    const { vm_id: vmId, ordinal } = rows[0]!;
    await db.run('DELETE FROM backups WHERE backup = ?', [backup]);
    await db.run(
      `DELETE FROM versions WHERE vm_id = ? AND first_ord <= ? AND (last_ord IS NULL OR last_ord >= ?)
       AND NOT EXISTS (SELECT 1 FROM backups b WHERE b.vm_id = versions.vm_id AND ${HOLDS})`,
      [vmId, ordinal, ordinal],
    );
  });
}
