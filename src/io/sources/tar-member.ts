/**
 * A SourceOpener for the members of one tar archive (an .ova), each a window of the archive read in
 * place through the archive's own opener (local, HTTP, S3). Locations are `ARCHIVE/MEMBER`. Nothing
 * outside the archive is reachable from inside it: an absolute or escaping name an image holds is
 * looked up by its base name beside the file naming it (source-opener.ts), never on the host.
 */
import { GrtError } from '../../errors.js';
import type { InputFile } from '../file-source.js';
import { ConcatSource } from '../concat-source.js';
import { SliceSource } from '../slice-source.js';
import type { OpenedSource, ParsedName, Placement, SourceOpener } from '../source-opener.js';
import { readTarIndex, type TarMember } from './tar.js';

/** A member opened: a window of the archive that gives the archive back when closed. */
class MemberSource extends SliceSource implements OpenedSource {
  readonly identity = undefined;
  private closed = false;

  constructor(archive: OpenedSource, member: TarMember, readonly location: string, private readonly release: () => Promise<void>) {
    super(archive, member.dataOffset, member.size, location);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }
}

/** Chunks opened as one file: windows of the archive joined, giving the archive back when closed. */
class JoinedSource extends ConcatSource implements OpenedSource {
  readonly identity = undefined;
  private closed = false;

  constructor(archive: OpenedSource, chunks: readonly TarMember[], readonly location: string, private readonly release: () => Promise<void>) {
    super(chunks.map((chunk) => new SliceSource(archive, chunk.dataOffset, chunk.size, location)), location);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }
}

/** Digits of a chunk's number in its member name (DSP0243 §7.1: `NAME.000000000`). */
const CHUNK_DIGITS = 9;

export class TarMemberOpener implements SourceOpener {
  /** Members by name; a name stored twice maps to undefined (which of them is meant is not known). */
  private readonly byName = new Map<string, TarMember | undefined>();
  /** Files stored in chunks, by the name they are opened as: their chunk members in order. */
  private readonly joined = new Map<string, TarMember[]>();
  private archive: Promise<OpenedSource> | undefined;
  /** Holders of the archive: open members plus the caller's hold from `open`. */
  private users = 0;

  private constructor(
    private readonly outer: SourceOpener,
    /** The archive's location, as its opener spells it. */
    readonly archiveLocation: string,
    readonly members: readonly TarMember[],
    readonly archiveSize: number,
    /** The archive's device and inode when local: what a restore must not overwrite. */
    readonly archiveIdentity: InputFile | undefined,
  ) {
    for (const member of members) this.byName.set(member.name, this.byName.has(member.name) ? undefined : member);
  }

  /**
   * Open the archive at `location` through `outer` and read its member list. The archive stays open
   * (held) until `release()`; every member opened holds it too, so it closes with the last of them.
   */
  static async open(outer: SourceOpener, location: string): Promise<TarMemberOpener> {
    const archive = await outer.open(location);
    try {
      const opener = new TarMemberOpener(outer, location, await readTarIndex(archive), archive.size, archive.identity);
      opener.archive = Promise.resolve(archive);
      opener.users = 1;
      return opener;
    } catch (error) {
      await archive.close();
      throw error;
    }
  }

  /** The location of a member. */
  locationOf(name: string): string {
    return `${this.archiveLocation}/${name}`;
  }

  /** The member at `location`, or undefined when no regular member of this name is stored once. */
  memberAt(location: string): TarMember | undefined {
    const name = this.nameOf(location);
    return name === undefined ? undefined : this.byName.get(name);
  }

  /** The member named `name`: NOT_FOUND, or refused when it is not a regular file stored once. */
  member(name: string): TarMember {
    const member = this.byName.get(name);
    const where = { path: this.archiveLocation, structure: 'tar member' };
    if (member === undefined) {
      if (this.byName.has(name)) throw new GrtError('UNSUPPORTED', `${JSON.stringify(name)} is stored twice in the archive: which one is meant is unknown`, where);
      throw new GrtError('NOT_FOUND', `${JSON.stringify(name)} is not a member of the archive`, where);
    }
    if (member.type === 'link') throw new GrtError('UNSAFE_PATH', `${JSON.stringify(name)} is a link in the archive: links are not followed`, where);
    if (member.type !== 'file') throw new GrtError('UNSUPPORTED', `${JSON.stringify(name)} is not a regular file in the archive`, where);
    if (member.truncated) {
      throw new GrtError('TRUNCATED', `${JSON.stringify(name)}: the archive ends before its ${member.size} bytes do`, { ...where, offset: member.dataOffset, expected: member.dataOffset + member.size, actual: this.archiveSize });
    }
    return member;
  }

  /**
   * Join the chunks `name.000000000`, `name.000000001`, … (DSP0243 §7.1, a File with
   * `ovf:chunkSize`) so that `name` opens as one file; returns the chunk members. Every chunk but
   * the last holds exactly `chunkSize` bytes and the numbers run from 0 without a gap: anything
   * else is a damaged or doctored package (BAD_DESCRIPTOR), not bytes to guess at.
   */
  joinChunks(name: string, chunkSize: number): TarMember[] {
    const where = { path: this.archiveLocation, structure: 'chunked file' };
    if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) throw new GrtError('BAD_DESCRIPTOR', `${JSON.stringify(name)}: chunk size ${chunkSize} is not a positive byte count`, where);
    const whole = this.byName.get(name);
    if (this.byName.has(name)) throw new GrtError('BAD_DESCRIPTOR', `${JSON.stringify(name)} is stored both whole and in chunks`, { ...where, offset: whole?.headerOffset, space: 'file' });
    const prefix = `${name}.`;
    const numbered = [...this.byName.keys()].filter((n) => n.startsWith(prefix) && /^[0-9]+$/.test(n.slice(prefix.length)));
    if (numbered.length === 0) throw new GrtError('NOT_FOUND', `${JSON.stringify(name)}: no chunk ${prefix}${'0'.repeat(CHUNK_DIGITS)} in the archive`, where);
    const chunks = numbered.map((_, index) => {
      const chunkName = `${prefix}${String(index).padStart(CHUNK_DIGITS, '0')}`;
      if (!this.byName.has(chunkName)) throw new GrtError('BAD_DESCRIPTOR', `${JSON.stringify(name)}: chunk ${chunkName} is missing (the chunks are not numbered 0 to ${numbered.length - 1})`, where);
      return this.member(chunkName);
    });
    chunks.forEach((chunk, index) => {
      const last = index === chunks.length - 1;
      if (last ? chunk.size === 0 || chunk.size > chunkSize : chunk.size !== chunkSize) {
        throw new GrtError('BAD_DESCRIPTOR', `${JSON.stringify(chunk.name)} holds ${chunk.size} bytes; chunks of ${JSON.stringify(name)} are ${chunkSize} bytes${last ? ' at most' : ''}`, { ...where, offset: chunk.headerOffset, space: 'file', expected: chunkSize, actual: chunk.size });
      }
    });
    this.joined.set(name, chunks);
    return chunks;
  }

  /** Bytes of the file `name` opens as: a member's size, or its chunks' sum. */
  sizeOf(name: string): number {
    const chunks = this.joined.get(name);
    return chunks ? chunks.reduce((sum, chunk) => sum + chunk.size, 0) : this.member(name).size;
  }

  private nameOf(location: string): string | undefined {
    const prefix = `${this.archiveLocation}/`;
    return location.startsWith(prefix) ? location.slice(prefix.length) : undefined;
  }

  async open(location: string): Promise<OpenedSource> {
    const name = this.nameOf(location);
    if (name === undefined) throw new GrtError('UNSAFE_PATH', `${location} is outside the archive ${this.archiveLocation}`, { path: location });
    const chunks = this.joined.get(name);
    if (chunks) {
      const archive = await this.acquire();
      return new JoinedSource(archive, chunks, location, () => this.release());
    }
    const member = this.member(name);
    const archive = await this.acquire();
    return new MemberSource(archive, member, location, () => this.release());
  }

  private async acquire(): Promise<OpenedSource> {
    this.users++;
    this.archive ??= this.outer.open(this.archiveLocation);
    try {
      const archive = await this.archive;
      if (archive.size !== this.archiveSize) throw new GrtError('IO_ERROR', 'the archive changed size since it was opened', { path: this.archiveLocation, expected: this.archiveSize, actual: archive.size });
      return archive;
    } catch (error) {
      await this.release();
      throw error;
    }
  }

  /** Give back one hold of the archive (the one `open` gave, or a member's): the last closes it. */
  async release(): Promise<void> {
    if (this.users === 0) return;
    if (--this.users > 0) return;
    const archive = this.archive;
    this.archive = undefined;
    await (await archive?.catch(() => undefined))?.close();
  }

  inFolder(base: string, components: readonly string[]): string {
    const name = this.nameOf(base) ?? '';
    return this.locationOf(name.slice(0, name.lastIndexOf('/') + 1) + components.join('/'));
  }

  /** Nothing outside the archive is reachable from a member. */
  original(_base: string, _name: ParsedName): string | undefined {
    return undefined;
  }

  async place(base: string, location: string): Promise<Placement> {
    const from = this.nameOf(base);
    const to = this.nameOf(location);
    if (from === undefined || to === undefined || !to.startsWith(from.slice(0, from.lastIndexOf('/') + 1))) return 'outside';
    return this.byName.has(to) || this.joined.has(to) ? 'inside' : 'missing';
  }
}
