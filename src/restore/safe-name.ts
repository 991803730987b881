/**
 * Names from a (possibly hostile or damaged) image made safe to create on the restore target.
 *
 * Pure functions, no I/O: the restore decides the rules once (platform, case sensitivity probed on
 * the target) and passes them in, so every rule is testable on any platform.
 *
 * Rules, in order:
 *  1. Characters no POSIX name may hold (`/`, NUL) become `_`; with `windows` also `\ < > : " | ? *`
 *     and the controls U+0001–U+001F (Win32 "Naming Files, Paths, and Namespaces").
 *  2. `""`, `.` and `..` become `_`, `_.` and `_..` (never a reference to a directory).
 *  3. With `windows`: trailing dots and spaces become `_` (Win32 strips them silently, which would
 *     merge names), and the reserved device names CON PRN AUX NUL COM1–9 LPT1–9 (also with an
 *     extension, `CON.txt`) get a `_` prefix.
 *  4. Names longer than MAX_NAME_BYTES UTF-8 bytes are cut at a character boundary, keeping a short
 *     extension, with `~` and a hash of the whole original name so two long names stay distinct.
 *  5. Per directory, `NameAllocator` makes names unique (case-folded when the target is
 *     case-insensitive) by adding ` (2)`, ` (3)`, … before the extension.
 */
import { createHash } from 'node:crypto';
import { GrtError } from '../errors.js';

/** Longest file name (in UTF-8 bytes) ext4, XFS, APFS, NTFS-3G and most others accept. */
export const MAX_NAME_BYTES = 255;
/** An extension longer than this is treated as part of the stem when cutting a long name. */
const MAX_KEPT_EXTENSION_BYTES = 32;
/** Hex digits of the hash added to a cut name: 2^32 names before a likely clash, then uniqueness suffixes still apply. */
const HASH_HEX_DIGITS = 8;
/** Most ` (n)` suffixes tried in one directory before giving up (a directory this hostile is an attack). */
const MAX_UNIQUE_ATTEMPTS = 100_000;

export interface NameRules {
  /** Apply the Win32 rules (reserved names, `<>:"|?*\`, trailing dots/spaces). */
  windows: boolean;
  /** The target treats `A` and `a` as the same name. */
  caseInsensitive: boolean;
}

export function defaultNameRules(caseInsensitive: boolean): NameRules {
  return { windows: process.platform === 'win32', caseInsensitive };
}

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])(\..*)?$/i;

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, HASH_HEX_DIGITS);
}

/** The longest prefix of `text` (whole code points) that fits in `maxBytes` UTF-8 bytes. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  let bytes = 0;
  let out = '';
  for (const ch of text) {
    const size = utf8Length(ch);
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += ch;
  }
  return out;
}

/** Split `name.ext` (a leading dot is not an extension: `.profile` has none). */
function splitExtension(name: string): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return { stem: name, ext: '' };
  return { stem: name.slice(0, dot), ext: name.slice(dot) };
}

/** Cut `name` to `maxBytes`, keeping its extension and adding `~hash` of `original`. */
function fitLength(name: string, original: string, maxBytes: number): string {
  if (utf8Length(name) <= maxBytes) return name;
  let { stem, ext } = splitExtension(name);
  if (utf8Length(ext) > MAX_KEPT_EXTENSION_BYTES) {
    stem = name;
    ext = '';
  }
  const tag = `~${shortHash(original)}`;
  return truncateUtf8(stem, maxBytes - utf8Length(tag) - utf8Length(ext)) + tag + ext;
}

/** One name component made safe by rules 1–4 (not yet unique in its directory). */
export function safeName(name: string, rules: NameRules, maxBytes = MAX_NAME_BYTES): string {
  let out = name.replace(/[/\0]/g, '_');
  if (rules.windows) {
    // eslint-disable-next-line no-control-regex
    out = out.replace(/[\\<>:"|?*\x01-\x1f]/g, '_').replace(/[. ]+$/, (tail) => '_'.repeat(tail.length));
    if (WINDOWS_RESERVED.test(out)) out = `_${out}`;
  }
  if (out === '' || out === '.' || out === '..') out = `_${out}`;
  // Surrogate halves alone cannot be encoded as UTF-8 (they would become U+FFFD on disk and merge).
  out = out.replace(/\p{Surrogate}/gu, '_');
  return fitLength(out, name, maxBytes);
}

/** `name` with ` (n)` before its extension, still within the length limit. */
function withSuffix(name: string, n: number, maxBytes: number): string {
  const { stem, ext } = splitExtension(name);
  const suffix = ` (${n})`;
  const room = maxBytes - utf8Length(suffix) - utf8Length(ext);
  return room > 0 ? truncateUtf8(stem, room) + suffix + ext : truncateUtf8(name, maxBytes - utf8Length(suffix)) + suffix;
}

/**
 * Hands out unique safe names within one output directory. Deterministic: the same names asked
 * for in the same order give the same answers.
 */
export class NameAllocator {
  private readonly used = new Set<string>();

  constructor(
    private readonly rules: NameRules,
    private readonly maxBytes = MAX_NAME_BYTES,
  ) {}

  private key(name: string): string {
    return this.rules.caseInsensitive ? name.normalize('NFC').toLowerCase() : name;
  }

  /** Reserve a name that must not be handed out (e.g. one already taken on the target). */
  reserve(name: string): void {
    this.used.add(this.key(name));
  }

  allocate(name: string): string {
    const base = safeName(name, this.rules, this.maxBytes);
    let candidate = base;
    for (let n = 2; this.used.has(this.key(candidate)); n++) {
      if (n > MAX_UNIQUE_ATTEMPTS) {
        throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_UNIQUE_ATTEMPTS} names collide with "${base}"`);
      }
      candidate = withSuffix(base, n, this.maxBytes);
    }
    this.used.add(this.key(candidate));
    return candidate;
  }

  /** Forget every name (the directory they were for is finished). */
  clear(): void {
    this.used.clear();
  }
}

/** Name of the temporary file a restore writes before renaming: `.<name>.grt-<random>.part`, within the length limit. */
export function tempName(finalName: string, random: string, maxBytes = MAX_NAME_BYTES): string {
  const tail = `.grt-${random}.part`;
  return `.${truncateUtf8(finalName, maxBytes - 1 - utf8Length(tail))}${tail}`;
}
