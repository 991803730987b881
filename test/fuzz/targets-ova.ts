/**
 * Fuzz target for OVA packages: the committed test-images/ova/*.ova (ustar, pax and GNU long
 * names, chunked, gzip'd), damaged as bytes or rebuilt with hostile members — tar headers that lie
 * (sizes, names with `..` or absolute, long-name records, links), descriptors that are huge,
 * nested, entity-laden or point at other members or outside, gzip'd members with bad headers,
 * cut DEFLATE data or a wrong CRC/ISIZE — then opened and listed as `grt-ls` does, sometimes
 * checked as `grt-ls --verify` does.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GrtError } from '../../src/errors.js';
import { openImage } from '../../src/image.js';
import { localFileOpener } from '../../src/io/local-opener.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { readTarIndex } from '../../src/io/sources/tar.js';
import { openOva } from '../../src/vm/ova.js';
import { verifyOva } from '../../src/vm/ova-manifest.js';
import { buildTar, type TarEntry } from '../vm/tar-builder.js';
import { mutateText, type Files, type Rng } from './mutate.js';
import type { FuzzTarget } from './target-kit.js';
import { exerciseFs } from './targets-fs.js';
import { mutateWithFixup } from './targets-volume.js';

const PACKAGES = ['vm.ova', 'vm-pax.ova', 'vm-gnu.ova', 'vm-chunked.ova', 'vm-gzip.ova'];
const MAIN = 'package.ova';
/** Volumes listed per case: both disks of the test packages, without letting one case run long. */
const VOLUMES_LISTED = 2;
const enc = new TextEncoder();
const dec = new TextDecoder();

interface Member {
  name: string;
  data: Uint8Array;
}

/** One pax record `LEN key=value\n` whose length counts itself (POSIX pax extended header). */
function paxRecord(keyValue: string): string {
  let length = keyValue.length + 2;
  while (`${length} ${keyValue}`.length !== length) length = `${length} ${keyValue}`.length;
  return `${length} ${keyValue}`;
}

/** A member name as a long-name record holds it: pax `path` (typeflag x) or GNU ././@LongLink (L). */
function longName(name: string, data: Uint8Array, rng: Rng, log: string[]): TarEntry[] {
  if (rng.chance(0.5)) {
    // Sometimes a record that overrides the header's size, or a second path (the last one counts).
    const extra = rng.chance(0.3) ? rng.pick(['size=99999999999\n', 'size=0\n', `size=${data.length + 512}\n`, 'path=../x\n', 'size=-1\n']) : '';
    if (extra) log.push(`${name.slice(0, 40)}: pax record ${JSON.stringify(extra)}`);
    const records = `${paxRecord(`path=${name}\n`)}${extra ? paxRecord(extra) : ''}`;
    return [{ name: 'PaxHeaders/x', type: 'x', data: enc.encode(records) }, { name: name.slice(0, 99), data }];
  }
  return [{ name: '././@LongLink', type: 'L', data: enc.encode(`${name}\0`) }, { name: name.slice(0, 99), data }];
}

const HOSTILE_NAMES = ['../escape.vmdk', '/etc/passwd', 'a/../../b.vmdk', './', 'dir/', '..', 'x'.repeat(5000), 'vm.ovf', 'second.ovf', ''];
const HOSTILE_HREFS = ['../x.vmdk', '/etc/passwd', 'file:///etc/passwd', 'http://example.invalid/d.vmdk', '%2e%2e/x', 'a\\..\\..\\b', '', '.', 'vm.mf'];

/** A descriptor made hostile in one way; the log names how. */
function hostileOvf(text: string, names: readonly string[], rng: Rng): { text: string; what: string } {
  switch (rng.below(8)) {
    case 0:
      return { text: `<!DOCTYPE e [<!ENTITY a "${'x'.repeat(1000)}"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>${text.replace(/<\?xml[^>]*>/, '')}`, what: 'entity declarations' };
    case 1: {
      const depth = rng.pick([63, 64, 65, 100_000]);
      return { text: text.replace('<References>', `<References>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`), what: `${depth} nested elements` };
    }
    case 2: {
      const pad = rng.pick([4 * 1024 * 1024, 200_000]);
      return { text: text.replace('<References>', `<References><!--${' '.repeat(pad)}-->`), what: `${pad}-byte comment` };
    }
    case 3: {
      const href = rng.pick([...HOSTILE_HREFS, ...names]);
      return { text: text.replace(/ovf:href="[^"]*"/, `ovf:href="${href}"`), what: `first href -> ${JSON.stringify(href)}` };
    }
    case 4: {
      const chunk = rng.pick(['0', '1', '512', '9007199254740991', '4294967296']);
      return { text: text.replace(/<File /, `<File ovf:chunkSize="${chunk}" `), what: `first File chunkSize ${chunk}` };
    }
    case 5:
      return { text: text.replace(/<File /g, '<File ovf:compression="gzip" '), what: 'every File marked gzip' };
    case 6:
      return { text: text.replace(/ovf:fileRef="[^"]*"/g, 'ovf:fileRef="file1"'), what: 'every disk on file1' };
    default:
      return { text: text.replace(/ovf:size="\d+"/, `ovf:size="${rng.pick(['0', '1', '99999999999999'])}"`), what: 'first File size lies' };
  }
}

/** A gzip member damaged where a reader must check it: header flags, the DEFLATE end, CRC, ISIZE, what follows. */
function damageGzip(data: Uint8Array, rng: Rng): { data: Uint8Array; what: string } {
  const out = data.slice();
  const view = new DataView(out.buffer);
  switch (rng.below(7)) {
    case 0:
      out[3] = rng.pick([0x04, 0x08, 0x10, 0x02, 0xe0, 0x1e]);
      return { data: out, what: `FLG = 0x${out[3]!.toString(16)}` };
    case 1: {
      const cut = rng.int(10, out.length - 1);
      return { data: out.slice(0, cut), what: `cut to ${cut} bytes` };
    }
    case 2:
      view.setUint32(out.length - 8, rng.u32(), true);
      return { data: out, what: 'CRC32 changed' };
    case 3:
      view.setUint32(out.length - 4, rng.pick([0, 1, 0xffffffff, view.getUint32(out.length - 4, true) + 1]), true);
      return { data: out, what: 'ISIZE changed' };
    case 4:
      return { data: new Uint8Array([...out, ...gzipSync(new Uint8Array(rng.int(0, 4096)))]), what: 'a second member appended' };
    case 5: {
      const at = rng.int(10, out.length - 9);
      out[at]! ^= 1 << rng.below(8);
      return { data: out, what: `bit flipped in the DEFLATE data at ${at}` };
    }
    default:
      return { data: new Uint8Array([...out, ...rng.bytes(rng.int(1, 600))]), what: 'junk after the trailer' };
  }
}

/** Damage one member or the member list, then rebuild the archive. */
function rebuild(members: Member[], rng: Rng): { bytes: Uint8Array; log: string[] } {
  const log: string[] = [];
  const list = members.map((m) => ({ ...m }));
  const names = list.map((m) => m.name);
  const entries: TarEntry[][] = [];
  for (let round = rng.int(1, 3); round > 0; round--) {
    const target = list[rng.below(list.length)]!;
    const kind = rng.below(4);
    if (kind === 0 && target.name.endsWith('.ovf')) {
      const damaged = rng.chance(0.5) ? hostileOvf(dec.decode(target.data), names, rng) : (({ text, log: l }) => ({ text, what: l.join('; ') }))(mutateText(dec.decode(target.data), rng));
      target.data = enc.encode(damaged.text);
      log.push(`${target.name}: ${damaged.what}`);
    } else if (kind === 1 && target.data[0] === 0x1f && target.data[1] === 0x8b) {
      const damaged = damageGzip(target.data, rng);
      target.data = damaged.data;
      log.push(`${target.name} (gzip): ${damaged.what}`);
    } else if (kind === 2) {
      const name = rng.pick(HOSTILE_NAMES);
      log.push(`${target.name} renamed ${JSON.stringify(name.slice(0, 40))}`);
      target.name = name;
    } else if (kind === 3) {
      const copy = rng.pick(list);
      list.splice(rng.below(list.length + 1), 0, { ...copy });
      log.push(`${copy.name} stored twice`);
    }
  }
  for (const m of list) {
    const roll = rng.below(10);
    if (roll === 0 || m.name.length > 99) entries.push(longName(m.name, m.data, rng, log));
    else if (roll === 1) {
      const field = rng.pick(['77777777777\0', '\x80\0\0\0\0\0\0\x01\0\0\0\0', 'zzzzzzzzzzz\0', '00000000000\0', '00000001000\0']);
      entries.push([{ name: m.name, data: m.data, sizeField: field }]);
      log.push(`${m.name}: size field ${JSON.stringify(field)}`);
    } else if (roll === 2) {
      const type = rng.pick(['1', '2', '5', 'g', 'S']);
      entries.push([{ name: m.name, data: m.data, type, linkName: rng.pick(['/etc/passwd', '../x', names[0]!]) }]);
      log.push(`${m.name}: typeflag ${type}`);
    } else entries.push([{ name: m.name, data: m.data }]);
  }
  const bytes = buildTar(entries.flat());
  return { bytes: rng.chance(0.1) ? bytes.subarray(0, rng.below(bytes.length)) : bytes, log };
}

const mutateBytes = mutateWithFixup(fixTarChecksums)!;

export const ovaTarget: FuzzTarget = {
  name: 'ova',
  async generate(rng, ctx) {
    const name = rng.pick(PACKAGES);
    const bytes = new Uint8Array(await readFile(join(ctx.root, 'test-images/ova', name)));
    const index = await readTarIndex(new MemorySource(bytes));
    // Aim at every header block (a long name's records lie between a member's data and the next header), the descriptor and each gzip member's ends.
    const regions = index.flatMap((m, i) => {
      const headersFrom = i === 0 ? 0 : index[i - 1]!.dataOffset + Math.ceil(index[i - 1]!.size / 512) * 512;
      const near = [{ file: MAIN, start: headersFrom, length: m.dataOffset - headersFrom }];
      if (m.name.endsWith('.ovf')) near.push({ file: MAIN, start: m.dataOffset, length: m.size });
      if (bytes[m.dataOffset] === 0x1f && bytes[m.dataOffset + 1] === 0x8b) near.push({ file: MAIN, start: m.dataOffset, length: 64 }, { file: MAIN, start: m.dataOffset + m.size - 16, length: 16 });
      return near;
    });
    const files: Files = new Map([[MAIN, bytes]]);
    return { files, main: MAIN, hints: { files: [MAIN], regions } };
  },
  mutate(input, rng) {
    // Byte damage, mostly with the tar header checksums made right again so it reaches the fields.
    if (rng.chance(0.4)) return mutateBytes(input, rng);
    // mutate is synchronous (readTarIndex is not): the committed packages are re-read by syncMembers.
    const members = syncMembers(input.files.get(MAIN)!);
    const { bytes, log } = rebuild(members, rng);
    return { files: new Map([[MAIN, bytes]]), log };
  },
  async run(input, ctx, rng) {
    const path = join(ctx.dir, 'in', input.main);
    if (rng.chance(0.3)) return verifyRun(path);
    const image = await openImage(path, rng.chance(0.5) ? {} : { cache: { blockSize: 4096, maxBlocks: 2 } });
    try {
      const summaries: string[] = [];
      for (const volume of image.layout.volumes.filter((v) => v.fs !== 'unknown').slice(0, VOLUMES_LISTED)) {
        try {
          summaries.push(await exerciseFs(await image.openFileSystem(volume.id), rng));
        } catch (error) {
          if (!(error instanceof GrtError)) throw error;
          summaries.push(`volume ${volume.id}: ${error.code}`);
        }
      }
      return `${image.disks.length} disks; ${summaries.join('; ')}`;
    } finally {
      await image.close();
    }
  },
};

/** `grt-ls --verify`: the manifest checked member by member. */
async function verifyRun(path: string): Promise<string> {
  const pkg = await openOva(localFileOpener, path);
  try {
    const results = await verifyOva(pkg);
    return `verify: ${results.map((r) => r.status).join(' ')}`;
  } finally {
    await pkg.opener.release();
  }
}

/** Each 512-byte block with the ustar magic gets the checksum of its bytes as they now are (POSIX ustar: the sum with the field as spaces). */
function fixTarChecksums(bytes: Uint8Array): void {
  for (let at = 0; at + 512 <= bytes.length; at += 512) {
    const block = bytes.subarray(at, at + 512);
    if (dec.decode(block.subarray(257, 262)) !== 'ustar') continue;
    block.fill(0x20, 148, 156);
    const sum = block.reduce((total, b) => total + b, 0);
    block.set(enc.encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
  }
}

/** The regular-file members of a valid ustar/pax/GNU archive (the committed packages), read synchronously. */
function syncMembers(bytes: Uint8Array): Member[] {
  const members: Member[] = [];
  let pendingName: string | undefined;
  for (let at = 0; at + 512 <= bytes.length; ) {
    const header = bytes.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) => dec.decode(header.subarray(start, start + length)).replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim(), 8);
    const type = field(156, 1) || '0';
    const data = bytes.slice(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') pendingName = /\d+ path=([^\n]*)\n/.exec(dec.decode(data))?.[1];
    else if (type === 'L') pendingName = dec.decode(data).replace(/\0.*$/s, '');
    else {
      const prefix = field(345, 155);
      const name = pendingName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
      pendingName = undefined;
      if (type === '0') members.push({ name, data });
    }
  }
  return members;
}
