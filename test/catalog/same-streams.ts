import { expect } from 'vitest';
import { GrtError } from '../../src/errors.js';
import type { FileSystem } from '../../src/fs/file-system.js';

/**
 * Every stream of every entry `catalogFs` walks reads as `live` reads it, and fails with the same
 * GrtError code where the live volume refuses it. Returns how many streams were compared by bytes.
 */
export async function expectSameStreams(catalogFs: FileSystem, live: FileSystem): Promise<number> {
  let streams = 0;
  for await (const entry of catalogFs.walk('/')) {
    const names = entry.type === 'dir' ? entry.streams.map((s) => s.name) : ['', ...entry.streams.map((s) => s.name)];
    for (const name of names) {
      const want = await live.openStream(entry.path, name).then(async (s) => s.read(0, s.size), (e: unknown) => e);
      const got = await catalogFs.openStream(entry, name).then(async (s) => s.read(0, s.size), (e: unknown) => e);
      if (want instanceof Error) {
        expect(got, entry.path).toBeInstanceOf(GrtError);
        expect((got as GrtError).code).toBe((want as GrtError).code);
      } else {
        expect(Buffer.from(got as Uint8Array).equals(Buffer.from(want as Uint8Array)), `${entry.path}:${name}`).toBe(true);
        streams++;
      }
    }
  }
  return streams;
}
