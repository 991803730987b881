/**
 * The one door through which every file an image names is found and opened: the image itself, a
 * descriptor's extents, a child's parent (and a .vmx's disks). An opener knows one kind of location
 * (local paths here; URLs for an HTTP opener); the rule that decides which names may be followed is
 * `resolveName`, shared by every opener, so it lives in this one place.
 *
 * The rule: a relative name that stays inside the folder of the file naming it is opened there. An
 * absolute name (ESXi writes `/vmfs/volumes/…`, Windows hosts `C:\…` and `\\server\…`) or one that
 * climbs out (`../`) is looked up by its base name in that folder, where backups keep a VM's files;
 * its original location is opened only when the caller allows it (`allowUnsafeExtentPaths`, CLI
 * `--allow-unsafe-extent-paths`). A hostile image must not make grt read /etc/shadow or another
 * VM's disk.
 */
import { GrtError } from '../errors.js';
import type { ByteSource } from './byte-source.js';
import type { InputFile } from './file-source.js';

export type { InputFile } from './file-source.js';

/** A file an opener opened: its bytes, where it is, and (for local files) which file it is. */
export interface OpenedSource extends ByteSource {
  /** The location it was opened at, as the opener spells it (a path, a URL). */
  readonly location: string;
  /** Device and inode of a local file; undefined where the source has none (a URL). */
  readonly identity: InputFile | undefined;
  close(): Promise<void>;
}

/** How a name found inside an image may be followed. */
export interface FollowRule {
  /** What holds the name, for messages: 'extent file', 'parentFileNameHint'. */
  what: string;
  /** Open an absolute or escaping name at its original location too (--allow-unsafe-extent-paths). */
  allowUnsafe: boolean;
}

/** Where a location is, seen from the folder of the file naming it. */
export type Placement = 'inside' | 'outside' | 'missing';

/**
 * One kind of location. Only `open` and the three helpers of `resolveName` are the opener's own;
 * the rule itself is not, so no opener can loosen it.
 */
export interface SourceOpener {
  /** Open `location` read-only. Refuses anything but a regular file (or the remote equivalent). */
  open(location: string): Promise<OpenedSource>;
  /** The location of `components` (no `.`/`..`) in the folder of the file at `base`. */
  inFolder(base: string, components: readonly string[]): string;
  /** The location an absolute or escaping name means, or undefined when it cannot be reached from here. */
  original(base: string, name: ParsedName): string | undefined;
  /** Whether `location` exists and stays inside the folder of `base` after any links. */
  place(base: string, location: string): Promise<Placement>;
}

/** A name from an image, split up: which of the rule's two cases it falls in. */
export interface ParsedName {
  name: string;
  /** Components with `\` read as a separator (descriptors written on Windows use it), `.` and empty dropped. */
  components: string[];
  /** `C:\…`, `C:/…`, `\\server\share\…`: written on a Windows host. */
  windows: boolean;
  /** Absolute (either kind) or climbing out with `..`. */
  leavesFolder: boolean;
  /** The last component: where an absolute or escaping name is looked for in the folder. */
  baseName: string | undefined;
}

export function parseName(name: string): ParsedName {
  const windows = /^[A-Za-z]:/.test(name) || name.startsWith('\\\\');
  const components = name.split(/[\\/]/).filter((c) => c !== '' && c !== '.');
  const absolute = windows || name.startsWith('/') || name.startsWith('\\');
  const last = components[components.length - 1];
  const baseName = last === undefined || last === '..' ? undefined : windows && components.length === 1 ? last.replace(/^[A-Za-z]:/, '') || undefined : last;
  return { name, components, windows, leavesFolder: absolute || components.includes('..'), baseName };
}

function unsafe(rule: FollowRule, name: string, base: string, why: string): GrtError {
  return new GrtError('UNSAFE_PATH', `${rule.what} ${JSON.stringify(name)} ${why} (--allow-unsafe-extent-paths permits it)`, { path: base });
}

/**
 * The location of `name`, written in the file at `base`, under the rule above. A missing file is
 * returned as it is (the open reports NOT_FOUND); a name the rule does not allow is UNSAFE_PATH.
 */
export async function resolveName(opener: SourceOpener, base: string, name: string, rule: FollowRule): Promise<string> {
  const parsed = parseName(name);
  if (parsed.components.length === 0 || name.includes('\0')) {
    throw new GrtError('BAD_DESCRIPTOR', `${rule.what} ${JSON.stringify(name)} is not a usable file name`, { path: base });
  }
  if (!parsed.leavesFolder) {
    const location = opener.inFolder(base, parsed.components);
    if (!rule.allowUnsafe && (await opener.place(base, location)) === 'outside') throw unsafe(rule, name, base, 'is a link leading out of its folder');
    return location;
  }
  const original = rule.allowUnsafe ? opener.original(base, parsed) : undefined;
  if (original !== undefined && (await opener.place(base, original)) !== 'missing') return original;
  const beside = parsed.baseName === undefined ? undefined : opener.inFolder(base, [parsed.baseName]);
  if (beside !== undefined) {
    const placement = await opener.place(base, beside);
    if (placement === 'inside' || (placement === 'outside' && rule.allowUnsafe)) return beside;
    if (placement === 'outside') throw unsafe(rule, name, base, `is found beside its file as ${JSON.stringify(parsed.baseName)}, a link leading out of its folder`);
  }
  // Nothing there: where the caller allowed looking, the open reports NOT_FOUND.
  const allowed = rule.allowUnsafe ? (original ?? beside) : undefined;
  if (allowed !== undefined) return allowed;
  const looked = parsed.baseName === undefined ? '' : ` and no ${JSON.stringify(parsed.baseName)} is beside it`;
  throw unsafe(rule, name, base, `is outside its file's folder${looked}`);
}

/** A key equal for two openings of the same file: a snapshot chain must not return to one. */
export function sourceKey(identity: InputFile | undefined, location: string): string {
  return identity ? `${identity.dev}:${identity.ino}` : location;
}
