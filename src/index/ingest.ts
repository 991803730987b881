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
import { rowOf, TYPE_CODES, type VersionRow } from './row.js';
import { keySql } from './schema.js';

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

/** What a backup's row records about its files: live regular files and their bytes. */
interface Totals {
  files: number;
  bytes: number;
}

/** The catalog's entries as index rows, one at a time (never the whole catalog), counted into `totals`. */
async function* catalogRows(catalog: Catalog, deleted: boolean, totals: Totals): AsyncIterable<VersionRow> {
  for (const volume of catalog.volumes) {
    for await (const entry of catalog.list(volume.index, '/', { recursive: true, deleted })) {
      const row = rowOf(volume.index, entry);
      if (row.type === TYPE_CODES.file && row.deleted === 0) (totals.files++, (totals.bytes += row.size));
      yield row;
    }
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
    const totals: Totals = { files: 0, bytes: 0 };
    await db.loadStage(catalogRows(catalog, options.deleted === true, totals));
    await mergeStage(db, vmId, ordinal);
    const volumes = JSON.stringify(catalog.volumes.map((v) => ({ index: v.index, fs: v.fs, serial: v.serial, ...(v.label !== undefined ? { label: v.label } : {}), files: v.files })));
    await db.run(
      `INSERT INTO backups (backup, vm_id, ordinal, time_us, catalog, image, catalog_sha256, volumes, files, bytes, with_deleted)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [backup, vmId, ordinal, BigInt(time.getTime()) * 1000n, catalogLocation, options.image ?? null, sha256, volumes, totals.files, totals.bytes, options.deleted ? 1 : 0],
    );
    await db.run('DROP TABLE stage');
    return { backup, vm, added: true, files: totals.files };
  });
}

/** The staged entries become backup `ordinal` of VM `vmId` (set-based, the same SQL for both back ends). */
async function mergeStage(db: Db, vmId: bigint, ordinal: bigint): Promise<void> {
  // `WHERE true` lets SQLite tell the upsert clause from a join constraint (SQLite "upsert", parsing ambiguity).
  await db.run('INSERT INTO dirs (path) SELECT DISTINCT dir FROM stage WHERE true ON CONFLICT (path) DO NOTHING');
  await db.run('UPDATE stage SET dir_id = d.id FROM dirs d WHERE d.path = stage.dir');
  // New paths in key order, so SQLite's key index grows at its end (full pages) on a first add.
  // `|| ''` drops the stage column's TEXT affinity, which would keep SQLite from the key index (an
  // expression has none; SQLite "Indexes On Expressions": the comparison must not change its affinity).
  const samePath = (p: string, s: string) => `${keySql(`${p}.name`)} = (${s}.fkey || '') AND ${p}.dir_id = ${s}.dir_id AND ${p}.name = ${s}.name`;
  await db.run(`INSERT INTO paths (dir_id, name) SELECT s.dir_id, s.name FROM (SELECT DISTINCT dir_id, name, fkey FROM stage) s
    WHERE NOT EXISTS (SELECT 1 FROM paths p WHERE ${samePath('p', 's')}) ORDER BY s.fkey, s.dir_id, s.name ON CONFLICT DO NOTHING`);
  await db.run(`UPDATE stage SET path_id = p.id FROM paths p WHERE ${samePath('p', 'stage')}`);
  await db.run('INSERT INTO owners (owner) SELECT DISTINCT owner FROM stage WHERE owner IS NOT NULL ON CONFLICT (owner) DO NOTHING');
  await db.run('UPDATE stage SET owner_id = o.id FROM owners o WHERE o.owner = stage.owner');
  await db.run('CREATE INDEX stage_path ON stage (path_id, volume, deleted)');
  const same = (a: string, b: string) => ['path_id', 'volume', 'deleted', 'owner_id', 'facts'].map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');
  // Open versions (held up to the VM's latest backup) this backup no longer has end at the previous ordinal.
  await db.run(
    `UPDATE versions SET last_ord = ? WHERE vm_id = ? AND last_ord IS NULL AND NOT EXISTS (SELECT 1 FROM stage s WHERE ${same('s', 'versions')})`,
    [ordinal - 1n, vmId],
  );
  // In primary-key order, so a first add appends to the versions tree.
  await db.run(
    `INSERT INTO versions (vm_id, path_id, volume, deleted, first_ord, last_ord, owner_id, facts)
     SELECT ?, s.path_id, s.volume, s.deleted, ?, NULL, s.owner_id, s.facts FROM (SELECT DISTINCT path_id, volume, deleted, owner_id, facts FROM stage) s
     WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.vm_id = ? AND ${same('v', 's')} AND v.last_ord IS NULL)
     ORDER BY s.path_id, s.volume, s.deleted, s.owner_id, s.facts`,
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
