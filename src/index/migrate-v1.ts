/**
 * Index schema version 1 to 2, in place, inside the opening transaction (schema.ts): v1 stored a
 * path as a row of `paths` (global folder id + name) and a version per (VM, path, volume); v2 packs
 * each VM's and volume's folder into one row of names and keys a version by (folder, slot). The
 * facts blobs, owners, VMs and backups are the same in both and carry over as they are.
 */
import type { Db, Param } from './db.js';
import { encodeFolderNames, gramsOf } from './folder-names.js';
import { schemaV2 } from './schema.js';

/** Version rows written by one INSERT (7 values each, under both back ends' parameter limits). */
const COPY_ROWS = 500;

/** The v2 tables that v1 lacks: folders, name_grams and the new versions (as versions_v2 until v1's is dropped). */
function newTables(db: Db): string[] {
  return schemaV2(db.dialect)
    .filter((sql) => /^CREATE TABLE (folders|name_grams|versions) /.test(sql))
    .map((sql) => sql.replace(/^CREATE TABLE versions /, 'CREATE TABLE versions_v2 '));
}

export async function migrateV1(db: Db): Promise<void> {
  for (const sql of newTables(db)) await db.run(sql);
  // Each folder's paths are read by folder: an index on v1's folder column makes that a range.
  await db.run('CREATE INDEX paths_dir ON paths (dir_id)');
  const folders = await db.all(`SELECT DISTINCT v.vm_id, v.volume, p.dir_id, d.path FROM versions v JOIN paths p ON p.id = v.path_id
    JOIN dirs d ON d.id = p.dir_id ORDER BY v.vm_id, d.path, v.volume`);
  for (const f of folders) {
    const rows = await db.all(
      `SELECT p.name, v.path_id, v.deleted, v.first_ord, v.last_ord, v.owner_id, v.facts FROM paths p CROSS JOIN versions v
       WHERE p.dir_id = ? AND v.vm_id = ? AND v.path_id = p.id AND v.volume = ? ORDER BY p.id`,
      [f.dir_id as bigint, f.vm_id as bigint, f.volume as bigint],
    );
    // Slots in v1 path id order: the order the folder's names were first added.
    const slots = new Map<bigint, number>();
    const names: string[] = [];
    for (const r of rows) if (!slots.has(r.path_id as bigint)) (slots.set(r.path_id as bigint, names.length), names.push(r.name as string));
    const [folder] = await db.all('INSERT INTO folders (vm_id, volume, path, names) VALUES (?, ?, ?, ?) RETURNING id', [f.vm_id, f.volume, f.path, encodeFolderNames(names)]);
    const id = folder!.id as bigint;
    const grams = [...new Set(names.flatMap(gramsOf))];
    for (let at = 0; at < grams.length; at += COPY_ROWS) {
      const part = grams.slice(at, at + COPY_ROWS);
      await db.run(`INSERT INTO name_grams (gram, folder_id) VALUES ${part.map(() => '(?, ?)').join(', ')}`, part.flatMap((g) => [g, id]));
    }
    for (let at = 0; at < rows.length; at += COPY_ROWS) {
      const part = rows.slice(at, at + COPY_ROWS);
      const values: Param[] = part.flatMap((r) => [id, slots.get(r.path_id as bigint)!, r.deleted, r.first_ord, r.last_ord, r.owner_id, r.facts]);
      await db.run(`INSERT INTO versions_v2 (folder_id, slot, deleted, first_ord, last_ord, owner_id, facts) VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`, values);
    }
  }
  for (const table of ['versions', 'paths', 'dirs']) await db.run(`DROP TABLE ${table}`);
  await db.run('ALTER TABLE versions_v2 RENAME TO versions');
}
