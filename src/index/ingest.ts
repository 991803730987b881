/**
 * Adding a backup's catalog to the index, and removing a backup (retention). An add is one
 * transaction: the catalog's folders are read a batch at a time, each batch's folder rows are
 * found or made (new names appended to their folder's blob, with their search grams), and its
 * versions go to a staging table (COPY on PostgreSQL); then two set-based statements close the
 * range of every open version this backup no longer holds and insert the versions that are new.
 * Nothing is written for a catalog that fails to open, and a failure half-way rolls everything back.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { GrtError } from '../errors.js';
import type { CatalogBinding, CatalogFolder } from '../catalog/index.js';
import { CatalogStream, type StreamedFolder } from '../catalog/catalog-stream.js';
import type { Db, Param } from './db.js';
import { FileFacts } from './file-facts.js';
import { decodeFolderNames, encodeFolderNames, gramsAdded } from './folder-names.js';
import { GramWriter } from './gram-lists.js';
import { dropBackupVersions } from './retention.js';
import { storableText } from './row.js';

/**
 * Folders found or made with one query each way. Their stage rows are held until the batch is
 * written, so a batch is also cut at BATCH_NAMES names: memory stays bounded whatever the catalog.
 */
const FOLDER_BATCH = 256;
const BATCH_NAMES = 4096;
/**
 * SQLite's page cache for the temporary database (the stage), in KiB. The stage is written in
 * order and read once by the merge, so caching its pages buys nothing, yet the default 16 MiB fills
 * on a big add: a 1,000,000-file add peaked at 200 MiB RSS, 178 MiB with this, at the same CPU.
 */
const STAGE_CACHE_KIB = 1024;
/**
 * SQLite's page cache for the main database during the merge, in KiB. SQLite's sorter keeps as
 * much in memory as the main cache may hold before it spills (vdbesort.c), and better-sqlite3's
 * default is 16 MiB: the merge's sort and the versions pages it writes came on top of what the
 * add held, the peak of a 1,000,000-file add. The merge reads the stage and appends versions in
 * key order, so a small cache costs it little.
 */
const MERGE_CACHE_KIB = 4096;
/** Rows of one multi-row INSERT (2 or 4 values each: far under both back ends' parameter limits). */
const INSERT_ROWS = 500;

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

/** What one add knows while it stages a catalog. */
interface AddState {
  db: Db;
  vmId: bigint;
  /** False while the VM has no folder yet (its first backup): no lookups, nothing to compare. */
  hasFolders: boolean;
  deleted: boolean;
  /** Owners met, numbered from 1 as met (FileFacts.owner). */
  owners: Map<string, number>;
  /** Owner ids in the index by that number (0: none). */
  ownerIds: bigint[];
  /** The (gram, folder) pairs the new names bring, written to the gram lists a flush at a time. */
  grams: GramWriter;
  /** Live regular files and their bytes, for the backup's row. */
  files: number;
  bytes: number;
}

function defaultVm(catalog: { binding: CatalogBinding }): string {
  const serials = catalog.binding.partitions.map((p) => p.serial).filter((s): s is string => s !== undefined);
  return serials.length > 0 ? `disk-${serials.join('-').toLowerCase()}` : `disk-${catalog.binding.capacity}`;
}

function defaultBackupId(catalog: { binding: CatalogBinding }, time: Date): string {
  const hash = createHash('sha256').update(JSON.stringify(catalog.binding)).update(time.toISOString()).digest('hex');
  return `b-${hash.slice(0, 16)}`;
}

/**
 * The catalog, read as a stream, and its file's modification time. Opening checks every section
 * header and CRC and the structure (binding, volumes, END): a truncated, damaged or future-version
 * catalog stops here, before the database is touched. Damage inside a NAMES or FILES chunk that
 * its CRC does not catch is met while staging, and rolls the add back.
 */
async function openCatalogFile(source: string | Uint8Array): Promise<{ catalog: CatalogStream; time?: Date }> {
  if (typeof source !== 'string') return { catalog: await CatalogStream.open(source) };
  let info;
  try {
    info = await stat(source);
  } catch (cause) {
    throw new GrtError('IO_ERROR', `cannot read catalog ${source}`, { path: source, cause });
  }
  return { catalog: await CatalogStream.open(source), time: info.mtime };
}

/** Registers a backup; see AddOptions for the defaults. */
export async function addBackup(db: Db, source: string | Uint8Array, options: AddOptions = {}): Promise<AddResult> {
  const { catalog, time: fileTime } = await openCatalogFile(source);
  try {
    return await addCatalog(db, catalog, typeof source === 'string' ? source : null, { ...options, time: options.time ?? fileTime });
  } finally {
    await catalog.close();
  }
}

async function addCatalog(db: Db, catalog: CatalogStream, path: string | null, options: AddOptions): Promise<AddResult> {
  const time = options.time;
  if (!time || Number.isNaN(time.getTime())) throw new GrtError('USAGE', 'a backup time is needed (--time) for a catalog given as bytes');
  const sha256 = catalog.sha256;
  const backup = options.backup ?? defaultBackupId(catalog, time);
  const vm = options.vm ?? defaultVm(catalog);
  const catalogLocation = options.catalogLocation ?? path;
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
    const hasFolders = (await db.all('SELECT 1 AS one FROM folders WHERE vm_id = ? LIMIT 1', [vmId])).length > 0;
    const state: AddState = { db, vmId, hasFolders, deleted: options.deleted === true, owners: new Map(), ownerIds: [0n], grams: new GramWriter(db), files: 0, bytes: 0 };
    await stageCatalog(state, catalog);
    await withMergeCache(db, () => mergeStage(db, vmId, ordinal, hasFolders));
    const volumes = JSON.stringify(catalog.volumes.map((v) => ({ index: v.index, fs: v.fs, serial: v.serial, ...(v.label !== undefined ? { label: v.label } : {}), files: v.files })));
    await db.run(
      `INSERT INTO backups (backup, vm_id, ordinal, time_us, catalog, image, catalog_sha256, volumes, files, bytes, with_deleted)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [backup, vmId, ordinal, BigInt(time.getTime()) * 1000n, catalogLocation, options.image ?? null, sha256, volumes, state.files, state.bytes, options.deleted ? 1 : 0],
    );
    await db.run('DROP TABLE stage');
    return { backup, vm, added: true, files: state.files };
  });
}

/** Every version of the catalog into the stage, a batch of folders at a time. */
async function stageCatalog(state: AddState, catalog: CatalogStream): Promise<void> {
  if (state.db.dialect === 'sqlite') await state.db.run(`PRAGMA temp.cache_size = -${STAGE_CACHE_KIB}`);
  await state.db.createStage();
  // Every volume's file records first, so the owners of the whole catalog are registered at once.
  const facts = new Map<number, FileFacts>();
  for (const volume of catalog.volumes) facts.set(volume.index, await FileFacts.read(catalog.fileChunks(volume.index), volume.files, state.owners));
  await registerOwners(state);
  // Folders of one path within a batch are merged (one row each); across batches, a folder met
  // again is extended as a folder made by an earlier add is.
  let batch = new Map<string, CatalogFolder>();
  let volume = -1;
  let names = 0;
  for await (const folder of catalog.folders({ deleted: state.deleted })) {
    if (batch.size > 0 && (folder.volume !== volume || batch.size >= FOLDER_BATCH || names >= BATCH_NAMES)) {
      await stageFolders(state, facts.get(volume)!, volume, [...batch.values()]);
      (batch = new Map()), (names = 0);
    }
    volume = folder.volume;
    addToBatch(batch, folder);
    names += folder.names.length;
  }
  if (batch.size > 0) await stageFolders(state, facts.get(volume)!, volume, [...batch.values()]);
  await state.grams.flush();
  await state.db.finishStage();
}

/** `folder` into `batch`, appended to the folder of the same (stored) path if the batch has one. */
function addToBatch(batch: Map<string, CatalogFolder>, folder: StreamedFolder): void {
  const key = storableText(folder.path);
  const same = batch.get(key);
  if (!same) batch.set(key, { path: folder.path, names: folder.names, deleted: folder.deleted, files: folder.files });
  else (same.names.push(...folder.names), same.deleted.push(...folder.deleted), same.files.push(...folder.files));
}

/**
 * One batch: its folder rows found, extended or made, and its versions staged. Folders are looked
 * up when the VM has some (`lookup`); a folder this add made in an earlier batch (its names came
 * apart in the catalog) is met on insert, and its part of the batch is staged again as a lookup.
 */
async function stageFolders(state: AddState, facts: FileFacts, volume: number, folders: CatalogFolder[], lookup = state.hasFolders): Promise<void> {
  const { db, vmId } = state;
  const paths = folders.map((f) => storableText(f.path));
  const known = new Map<string, { id: bigint; names: Uint8Array }>();
  if (lookup) {
    const rows = await db.all(`SELECT id, path, names FROM folders WHERE vm_id = ? AND volume = ? AND path IN (${db.textSet()})`, [vmId, volume, JSON.stringify(paths)]);
    for (const r of rows) known.set(r.path as string, { id: r.id as bigint, names: r.names as Uint8Array });
  }
  const slotsOf: number[][] = [];
  const fresh: { path: string; names: string[] }[] = [];
  // The batch's new (gram, folder) pairs as two parallel arrays: no array object per pair.
  const grams: string[] = [];
  const gramFolders: (bigint | string)[] = [];
  for (const [i, folder] of folders.entries()) {
    const old = known.get(paths[i]!);
    const stored = old ? decodeFolderNames(old.names) : [];
    const slotOf = new Map(stored.map((name, slot) => [name, slot]));
    const added: string[] = [];
    slotsOf.push(folder.names.map((raw) => {
      const name = storableText(raw);
      let slot = slotOf.get(name);
      if (slot === undefined) (slot = stored.length + added.length), slotOf.set(name, slot), added.push(name);
      return slot;
    }));
    if (!old) fresh.push({ path: paths[i]!, names: added });
    else if (added.length > 0) {
      const tail = encodeFolderNames(added, stored.at(-1) ?? '');
      await db.run('UPDATE folders SET names = ? WHERE id = ?', [Buffer.concat([old.names, tail]), old.id]);
    }
    // A new folder's grams are added once its id is known (by its path, below).
    for (const gram of gramsAdded(stored, added)) grams.push(gram), gramFolders.push(old ? old.id : paths[i]!);
  }
  const ids = await insertFolders(state, volume, fresh);
  // A folder whose row another part of it made meanwhile gets its grams when staged again below.
  for (const [n, gram] of grams.entries()) {
    const at = gramFolders[n]!;
    if (typeof at !== 'string' || ids.has(at)) state.grams.add(gram, typeof at === 'string' ? ids.get(at)! : at);
  }
  await state.grams.flushIfFull();
  const rowIds = folders.map((_, i) => known.get(paths[i]!)?.id ?? ids.get(paths[i]!));
  const staged = folders.flatMap((_, i) => (rowIds[i] === undefined ? [] : [i]));
  await stageVersions(state, facts, staged.map((i) => folders[i]!), staged.map((i) => rowIds[i]!), staged.map((i) => slotsOf[i]!));
  const again = folders.filter((_, i) => rowIds[i] === undefined);
  if (again.length > 0) await stageFolders(state, facts, volume, again, true);
}

/** Rows of new folders; their ids by path (a folder whose path has a row already gets none). */
async function insertFolders(state: AddState, volume: number, fresh: { path: string; names: string[] }[]): Promise<Map<string, bigint>> {
  const ids = new Map<string, bigint>();
  for (let at = 0; at < fresh.length; at += INSERT_ROWS) {
    const part = fresh.slice(at, at + INSERT_ROWS);
    const rows = await state.db.all(
      `INSERT INTO folders (vm_id, volume, path, names) VALUES ${part.map(() => '(?, ?, ?, ?)').join(', ')}
       ON CONFLICT (vm_id, path, volume) DO NOTHING RETURNING id, path`,
      part.flatMap((f) => [state.vmId, volume, f.path, encodeFolderNames(f.names)]),
    );
    for (const r of rows) ids.set(r.path as string, r.id as bigint);
  }
  return ids;
}

/** The batch's versions into the stage: folder, slot, deleted, owner id, facts. */
async function stageVersions(state: AddState, facts: FileFacts, folders: CatalogFolder[], folderIds: bigint[], slotsOf: number[][]): Promise<void> {
  const values: Param[] = [];
  for (const [i, folder] of folders.entries()) {
    const slots = slotsOf[i]!;
    for (const [k, file] of folder.files.entries()) {
      const deleted = folder.deleted[k]!;
      const blob = facts.facts(file);
      if (!deleted && FileFacts.isFile(blob)) (state.files++, (state.bytes += FileFacts.size(blob)));
      values.push(folderIds[i]!, slots[k]!, deleted ? 1 : 0, state.ownerIds[facts.owner(file)]!, blob);
    }
  }
  await state.db.appendStage(values);
}

/**
 * The ids of the owners met, registering new ones in one statement in sorted order: PostgreSQL
 * adds running at once then wait for each other's new owners in one order, never in a cycle.
 */
async function registerOwners(state: AddState): Promise<void> {
  const owners = [...state.owners.keys()];
  if (owners.length === 0) return;
  const set = JSON.stringify(owners);
  await state.db.run(`INSERT INTO owners (owner) SELECT o.value FROM (${state.db.textSet()}) o ORDER BY o.value ON CONFLICT (owner) DO NOTHING`, [set]);
  const ids = new Map<string, bigint>();
  for (const r of await state.db.all(`SELECT id, owner FROM owners WHERE owner IN (${state.db.textSet()})`, [set])) ids.set(r.owner as string, r.id as bigint);
  for (const [owner, n] of state.owners) state.ownerIds[n] = ids.get(owner)!;
}

/** The staged versions become backup `ordinal` of VM `vmId` (set-based, the same SQL for both back ends). */
/** Runs `merge` with the main database's page cache at MERGE_CACHE_KIB (SQLite), restored after. */
async function withMergeCache(db: Db, merge: () => Promise<void>): Promise<void> {
  if (db.dialect !== 'sqlite') return merge();
  const [before] = await db.all('PRAGMA main.cache_size');
  await db.run(`PRAGMA main.cache_size = -${MERGE_CACHE_KIB}`);
  try {
    await merge();
  } finally {
    await db.run(`PRAGMA main.cache_size = ${Number(before!.cache_size)}`);
  }
}

async function mergeStage(db: Db, vmId: bigint, ordinal: bigint, hasFolders: boolean): Promise<void> {
  const same = (a: string, b: string) => ['folder_id', 'slot', 'deleted', 'owner_id', 'facts'].map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');
  if (hasFolders) {
    await db.run('CREATE INDEX stage_key ON stage (folder_id, slot)');
    // Open versions (held up to the VM's latest backup) this backup no longer has end at the previous ordinal.
    await db.run(
      `UPDATE versions SET last_ord = ? WHERE folder_id IN (SELECT id FROM folders WHERE vm_id = ?) AND last_ord IS NULL
       AND NOT EXISTS (SELECT 1 FROM stage s WHERE ${same('s', 'versions')})`,
      [ordinal - 1n, vmId],
    );
  }
  // In primary-key order, so a first add appends to the versions tree.
  await db.run(
    `INSERT INTO versions (folder_id, slot, deleted, first_ord, last_ord, owner_id, facts)
     SELECT s.folder_id, s.slot, s.deleted, ?, NULL, s.owner_id, s.facts FROM (SELECT DISTINCT folder_id, slot, deleted, owner_id, facts FROM stage) s
     ${hasFolders ? `WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE ${same('v', 's')} AND v.last_ord IS NULL)` : ''}
     ORDER BY s.folder_id, s.slot, s.deleted, s.owner_id, s.facts`,
    [ordinal],
  );
}

/**
 * Removes a backup (retention): its row, the versions no remaining backup of its VM holds, and
 * the names and search grams only those versions had (retention.ts).
 */
export async function removeBackup(db: Db, backup: string): Promise<void> {
  await db.transaction(async () => {
    const rows = await db.all('SELECT vm_id, ordinal FROM backups WHERE backup = ?', [backup]);
    if (rows.length === 0) throw new GrtError('NOT_FOUND', `no backup ${backup} in the index`);
    const { vm_id: vmId, ordinal } = rows[0]!;
    await db.run('DELETE FROM backups WHERE backup = ?', [backup]);
    await dropBackupVersions(db, vmId as bigint, ordinal as bigint);
  });
}
