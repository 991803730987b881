/**
 * A catalog file's frame (docs/catalog-format.md §3, §7): its head (preamble and BINDING section)
 * and its END section, which lists every volume's counts and where each FILES chunk is; and
 * writing a catalog into place. The volume sections between them come from build.ts.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { GrtError } from '../errors.js';
import { concatBytes } from '../util/concat-bytes.js';
import { encodeBinding, type CatalogBinding } from './binding.js';
import { encodePreamble, encodeSection, SectionType } from './format.js';
import { ByteWriter } from './varint.js';
import type { FilesChunkRef } from './volume-chunks.js';

/** Where a catalog's bytes go, section by section. */
export type CatalogSink = (bytes: Uint8Array) => void | Promise<void>;

/** What the END section lists (§7): each volume's counts, and where each FILES chunk is. */
export interface VolumeTotals {
  totals: { index: number; names: number; files: number }[];
  chunks: FilesChunkRef[];
}

/** A catalog's first bytes: the preamble, then the BINDING section. */
export function catalogHead(binding: CatalogBinding): Uint8Array {
  const preamble = encodePreamble();
  const writer = new ByteWriter();
  encodeBinding(writer, binding);
  return concatBytes([preamble, encodeSection(SectionType.binding, writer.bytes())]);
}

/** The END section; `shift` is added to each FILES chunk offset (the head's length, for VolumeSections). */
export function endSection({ totals, chunks }: VolumeTotals, shift = 0): Uint8Array {
  const end = new ByteWriter();
  end.u(totals.length);
  for (const t of totals) {
    end.u(t.index);
    end.u(t.names);
    end.u(t.files);
  }
  end.u(chunks.length);
  for (const c of chunks) {
    end.u(c.sectionOffset + shift);
    end.u(c.volume);
    end.u(c.first);
    end.u(c.count);
  }
  return encodeSection(SectionType.end, end.bytes());
}

/** Write what `produce` hands its sink to `path`, through `path.partial` renamed into place when complete. */
export async function writeCatalogFile(path: string, produce: (sink: CatalogSink) => Promise<void>): Promise<void> {
  const partial = `${path}.partial`;
  let handle: FileHandle | undefined;
  try {
    // Opened inside the try: a missing or read-only folder is an IO_ERROR like any other.
    const out = (handle = await open(partial, 'w'));
    await produce(async (bytes) => {
      await out.write(bytes);
    });
    await out.close();
    await rename(partial, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(partial, { force: true }).catch(() => undefined);
    if (error instanceof GrtError) throw error;
    throw new GrtError('IO_ERROR', `cannot write catalog: ${(error as Error).message}`, { path, cause: error });
  }
}
