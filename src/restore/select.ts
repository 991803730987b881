/**
 * What a restore was asked for: paths, `PATH:stream`, or globs, resolved against a FileSystem to
 * the entries to write and where each goes under the restore root.
 *
 * Placement rule (documented in the README): each selection is restored relative to the
 * directory above its first component that names something variable. For a plain path that is its
 * parent, so `/Users/bob` → `TO/bob/...` and `/` → `TO/...`; for a glob it is the literal prefix,
 * so `/Users/STAR/Documents/STAR.docx` → `TO/bob/Documents/a.docx`, and `/STARSTAR/STAR.pdf` keeps
 * whole paths (STAR standing for `*`, which cannot follow a slash inside this comment).
 */
import { compileGlob, type CompiledGlob } from '../util/glob.js';
import { GrtError } from '../errors.js';
import type { FileEntry, FileSystem } from '../fs/file-system.js';

/** Most entries one glob may expand to before the restore refuses (memory for the plan stays bounded). */
export const MAX_SELECTED_ENTRIES = 10_000_000;

export interface Selection {
  /** Path as given, normalized to '/'-separated from the root. */
  path: string;
  /** Named stream asked for with `PATH:stream`. */
  stream?: string;
  /** Path components (in the image) above the part that appears under the restore root. */
  baseDepth: number;
  /** Matcher for a glob; undefined for a plain path. */
  glob?: CompiledGlob;
}

function isGlobSegment(segment: string): boolean {
  return /[*?]/.test(segment);
}

export function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '' && s !== '.');
}

/** '/a/b' from components. */
export function joinPath(segments: string[]): string {
  return '/' + segments.join('/');
}

/** Parse one command-line/API selection. `name:stream` (and `name:stream:$DATA`) addresses a named stream. */
export function parseSelection(text: string): Selection {
  // A Windows-style `C:\Users\bob` names the volume's own root: drop the drive letter.
  let path = text.replace(/\\/g, '/').replace(/^[A-Za-z]:(?=\/|$)/, '');
  if (!path.startsWith('/')) path = `/${path}`;
  const segments = splitPath(path);
  if (segments.some((s) => s === '..')) throw new GrtError('USAGE', `".." is not allowed in a selection: ${text}`);
  let stream: string | undefined;
  const last = segments[segments.length - 1];
  if (last !== undefined && last.includes(':')) {
    const parts = last.split(':');
    if (parts.length === 3 && parts[2]!.toUpperCase() === '$DATA') parts.pop();
    if (parts.length !== 2) throw new GrtError('USAGE', `cannot read stream name in ${text}`);
    segments[segments.length - 1] = parts[0]!;
    stream = parts[1]!;
  }
  const firstGlob = segments.findIndex(isGlobSegment);
  if (firstGlob !== -1 && stream !== undefined) throw new GrtError('USAGE', `a stream cannot be chosen with a glob: ${text}`);
  const selection: Selection = {
    path: joinPath(segments),
    baseDepth: firstGlob === -1 ? Math.max(0, segments.length - 1) : firstGlob,
  };
  if (stream !== undefined) selection.stream = stream;
  if (firstGlob !== -1) selection.glob = compileGlob(joinPath(segments));
  return selection;
}

/** Whether a directory in `dirs` (lower-case paths) holds `path` (lower case) somewhere below it. */
function insideOneOf(dirs: Set<string>, path: string): boolean {
  for (let slash = path.indexOf('/', 1); slash > 0; slash = path.indexOf('/', slash + 1)) {
    if (dirs.has(path.slice(0, slash))) return true;
  }
  return false;
}

export interface Selected {
  entry: FileEntry;
  stream?: string;
  /** Components (as in the image) of the output path relative to the restore root. */
  relative: string[];
}

/**
 * The entries each selection names (not yet their descendants), de-duplicated, in selection order.
 * A glob walks from its literal prefix. A path that does not exist, or a glob that matches nothing,
 * goes to `onMissing` (NOT_FOUND) and the others go on; when nothing at all resolves, the first
 * such error is thrown.
 */
export async function resolveSelections(
  fs: FileSystem,
  selections: Selection[],
  onMissing: (selection: Selection, error: GrtError) => void = () => undefined,
): Promise<Selected[]> {
  const out: Selected[] = [];
  const seen = new Set<string>();
  const add = (entry: FileEntry, selection: Selection, stream?: string) => {
    const key = `${entry.path.toLowerCase()}:${stream ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    const item: Selected = { entry, relative: splitPath(entry.path).slice(selection.baseDepth) };
    if (stream !== undefined) item.stream = stream;
    out.push(item);
  };
  const missing: GrtError[] = [];
  for (const selection of selections) {
    try {
      if (!selection.glob) {
        add(await fs.stat(selection.path), selection, selection.stream);
        continue;
      }
      const base = joinPath(splitPath(selection.path).slice(0, selection.baseDepth));
      let count = 0;
      let matched = 0;
      // Directories this glob matched (lower case). A match below one of them is restored with it
      // (the filter at the end): it is not kept, so `/Users/*/Documents/**` holds its top-most
      // matches rather than ~1.3 KiB for every entry below them. The walk lists parents first.
      const matchedDirs = new Set<string>();
      for await (const entry of fs.walk(base)) {
        if (++count > MAX_SELECTED_ENTRIES) throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_SELECTED_ENTRIES} entries under ${base}`);
        if (!selection.glob.test(entry.path)) continue;
        matched++;
        const lower = entry.path.toLowerCase();
        if (matchedDirs.size > 0 && insideOneOf(matchedDirs, lower)) continue;
        add(entry, selection);
        if (entry.type === 'dir') matchedDirs.add(lower);
      }
      if (matched === 0) throw new GrtError('NOT_FOUND', 'no entry matches the pattern', { path: selection.path });
    } catch (error) {
      if (!(error instanceof GrtError) || (error.code !== 'NOT_FOUND' && error.code !== 'NOT_A_DIRECTORY')) throw error;
      missing.push(error);
      onMissing(selection, error);
    }
  }
  if (out.length === 0 && missing.length > 0) throw missing[0]!;
  // An entry inside a selected directory is restored with it: drop it as a selection of its own.
  const dirs = new Set(out.filter((s) => s.entry.type === 'dir' && s.stream === undefined).map((s) => s.entry.path.toLowerCase()));
  return out.filter((s) => {
    const segments = splitPath(s.entry.path.toLowerCase());
    for (let depth = segments.length - 1; depth >= 0; depth--) if (dirs.has(joinPath(segments.slice(0, depth)))) return false;
    return true;
  });
}
