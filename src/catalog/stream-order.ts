/**
 * A file's stream layouts in the catalog's stream order ('' first unless a directory, then each
 * alternate stream; docs/catalog-format.md), as a catalog build records them: taken from a scan
 * when it built them, else asked of the file system.
 */
import { GrtError, messageText } from '../errors.js';
import type { FileEntry, FileSystem, StreamLayout } from '../fs/file-system.js';
import type { FileFields, LayoutError } from './encode.js';

/**
 * The scanned layouts in the catalog's stream order ('' first unless a directory, then each
 * alternate stream), or undefined when one is missing (its build failed: asked of the file system).
 */
export function inStreamOrder(body: FileFields, layouts: StreamLayout[]): StreamLayout[] | undefined {
  const streams = body.streams;
  const first = body.type === 'dir' ? 0 : 1;
  // Most files: one unnamed stream and nothing else, already in order.
  if (layouts.length === streams.length + first && (first === 0 || layouts[0]!.name === '')) {
    let ordered = true;
    for (let k = 0; k < streams.length && ordered; k++) ordered = layouts[k + first]!.name === streams[k]!.name;
    if (ordered) return layouts;
  }
  const out: StreamLayout[] = [];
  for (let k = first === 0 ? 0 : -1; k < streams.length; k++) {
    const name = k < 0 ? '' : streams[k]!.name;
    const layout = layouts.find((l) => l.name === name);
    if (!layout) return undefined;
    out.push(layout);
  }
  return out;
}

/**
 * Every stream's layout in the catalog's order ('' first unless a directory, then each alternate
 * stream), in volume offsets. A layout the scan built is used as is; a stream it has none for
 * (unreadable, refused, undecodable file) is asked of the file system, so the catalog keeps the
 * exact error a live restore would give.
 */
export async function streamLayouts(fs: FileSystem, entry: FileEntry, scanned: StreamLayout[] | undefined): Promise<(StreamLayout | LayoutError)[]> {
  const streamNames = entry.type === 'dir' ? entry.streams.map((s) => s.name) : ['', ...entry.streams.map((s) => s.name)];
  const layouts: (StreamLayout | LayoutError)[] = [];
  for (const name of streamNames) {
    try {
      const found = entry.undecodable === undefined ? scanned?.find((l) => l.name === name) : undefined;
      layouts.push(found ?? (await fs.streamLayout(entry, name)));
    } catch (error) {
      if (!(error instanceof GrtError)) throw error;
      // Kept so a restore of this stream fails with the same reason, without the image's metadata.
      layouts.push({ name, error: { code: error.code, message: messageText(error) } });
    }
  }
  return layouts;
}
