/**
 * Index schema version 2 to 3, in place, inside the opening transaction (schema.ts): v2 kept one
 * name_grams row per folder and prefix or extension gram; v3 keeps every gram's folders as a
 * list (gram-lists.ts), trigrams included. The lists are built from the folders' stored names,
 * a folder at a time in id order, so each list's chunks come out ascending; nothing else changes.
 */
import type { Db } from './db.js';
import { decodeFolderNames, gramsAdded } from './folder-names.js';
import { GramWriter } from './gram-lists.js';
import { schemaV3 } from './schema.js';

/** Folders read by one statement (their name blobs held at once). */
const FOLDER_PAGE = 1000;

export async function migrateV2(db: Db): Promise<void> {
  for (const sql of schemaV3(db.dialect).filter((sql) => sql.startsWith('CREATE TABLE gram_folders '))) await db.run(sql);
  const writer = new GramWriter(db);
  // A page of folders at a time by id (the writer writes between pages, so no cursor stays open).
  for (let after: bigint = -1n; ; ) {
    const rows = await db.all(`SELECT id, names FROM folders WHERE id > ? ORDER BY id LIMIT ${FOLDER_PAGE}`, [after]);
    for (const row of rows) {
      for (const gram of gramsAdded([], decodeFolderNames(row.names as Uint8Array))) writer.add(gram, row.id as bigint);
    }
    await writer.flushIfFull();
    if (rows.length < FOLDER_PAGE) break;
    after = rows[rows.length - 1]!.id as bigint;
  }
  await writer.flush();
  await db.run('DROP TABLE name_grams');
}
