/**
 * What a remove (retention) drops beside the backup's row: the versions no remaining backup of
 * its VM holds, then the names no version names any more, and those names' grams. A removed
 * name's slot keeps an empty name ('', which no catalog stores) while a later slot is still in
 * use, so the slots version rows hold never move; empty slots at a folder's end are cut off, and
 * a folder left with no name goes. Each gram list then loses the folders whose names no longer
 * have the gram, so name search never reads a folder for a name that has gone, and neither the
 * folders' names nor the gram lists grow with names that come and go over the backups.
 */
import type { Db } from './db.js';
import { decodeFolderNames, encodeFolderNames, gramsAdded } from './folder-names.js';
import { dropGrams } from './gram-lists.js';

/** SQL: version `v` is held by the removed backup (ordinal `?`) and by no remaining backup of its VM (`?`). */
const doomed = (v: string) => `${v}.first_ord <= ? AND (${v}.last_ord IS NULL OR ${v}.last_ord >= ?)
  AND NOT EXISTS (SELECT 1 FROM backups b WHERE b.vm_id = ? AND b.ordinal >= ${v}.first_ord AND (${v}.last_ord IS NULL OR b.ordinal <= ${v}.last_ord))`;

/** Removes what the removed backup of ordinal `ordinal` of VM `vmId` alone held (its backups row already deleted). */
export async function dropBackupVersions(db: Db, vmId: bigint, ordinal: bigint): Promise<void> {
  const args = [ordinal, ordinal, vmId];
  // The folders where a name loses its last version: each of its versions goes with this backup.
  const emptied = await db.all(
    `SELECT DISTINCT d.folder_id FROM versions d WHERE d.folder_id IN (SELECT id FROM folders WHERE vm_id = ?) AND ${doomed('d')}
     AND NOT EXISTS (SELECT 1 FROM versions o WHERE o.folder_id = d.folder_id AND o.slot = d.slot AND NOT (${doomed('o')}))
     ORDER BY d.folder_id`,
    [vmId, ...args, ...args],
  );
  await db.run(`DELETE FROM versions WHERE folder_id IN (SELECT id FROM folders WHERE vm_id = ?) AND ${doomed('versions')}`, [vmId, ...args]);
  const drops = new Map<string, Set<number>>();
  for (const row of emptied) await pruneFolder(db, row.folder_id as bigint, drops);
  await dropGrams(db, drops);
}

/** Empties the slots of folder `id` no version names, and notes the grams it no longer has in `drops`. */
async function pruneFolder(db: Db, id: bigint, drops: Map<string, Set<number>>): Promise<void> {
  const [row] = await db.all('SELECT names FROM folders WHERE id = ?', [id]);
  if (!row) return;
  const names = decodeFolderNames(row.names as Uint8Array);
  const used = new Set((await db.all('SELECT DISTINCT slot FROM versions WHERE folder_id = ?', [id])).map((r) => Number(r.slot)));
  const kept = names.map((name, slot) => (used.has(slot) ? name : ''));
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  if (kept.length === 0) await db.run('DELETE FROM folders WHERE id = ?', [id]);
  else await db.run('UPDATE folders SET names = ? WHERE id = ?', [encodeFolderNames(kept), id]);
  for (const gram of gramsAdded(kept, names)) {
    const folders = drops.get(gram) ?? new Set<number>();
    drops.set(gram, folders.add(Number(id)));
  }
}
