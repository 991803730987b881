/**
 * End to end: grt-ls --security lists NTFS owners, groups and DACLs of test-images/security
 * (set through ntfs-3g's system.ntfs_acl; see its make.sh), as names in -l and SIDs in --json.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as ls } from '../../src/cli/grt-ls.js';

const DIR = resolve(__dirname, '../../test-images/security');
const ALICE = 'S-1-5-21-1004336348-1177238915-682003330-1001';

function collect() {
  const out: Uint8Array[] = [];
  return { out, text: () => Buffer.concat(out).toString(), stream: { write: (c: string | Uint8Array) => (out.push(Buffer.from(c)), true) } };
}

describe('grt-ls --security', () => {
  let work: string;
  let image: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'grt-security-'));
    image = join(work, 'security.img');
    await writeFile(image, gunzipSync(readFileSync(join(DIR, 'security.img.gz'))));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  const run = async (...args: string[]): Promise<string> => {
    const stdout = collect();
    const stderr = collect();
    expect(await ls([image, ...args], { stdout: stdout.stream, stderr: stderr.stream }), stderr.text()).toBe(0);
    return stdout.text();
  };

  it('puts owner, group and the DACL into --json rows', async () => {
    const rows = (await run('/', '--json', '--security')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const alice = rows.find((r) => r.path === '/alice.txt')!;
    expect(alice.owner).toBe(ALICE);
    expect(alice.group).toBe('S-1-5-21-1004336348-1177238915-682003330-513');
    expect(alice.dacl).toEqual([
      { type: 'allow', sid: ALICE, mask: 0x1f01ff, flags: 0 },
      { type: 'deny', sid: 'S-1-1-0', mask: 0x10000, flags: 0 },
    ]);
  });

  it('names well-known SIDs in -l, also in a recursive listing', async () => {
    const text = await run('/', '-l', '-R', '--security');
    expect(text).toMatch(/BUILTIN\\Administrators\s+NT AUTHORITY\\SYSTEM\s.*admin\.txt/);
    expect(text).toMatch(/NT SERVICE\\TrustedInstaller\s.*trusted\.dll/);
    expect(text).toMatch(new RegExp(`${ALICE}\\s+BUILTIN\\\\Users\\s.*shared-a\\.txt`));
  });

  it('leaves rows as they were without --security', async () => {
    const row = JSON.parse((await run('/admin.txt', '--json')).trim()) as Record<string, unknown>;
    expect(row.owner).toBeUndefined();
    expect(await run('/admin.txt', '-l')).not.toMatch(/BUILTIN/);
  });
});
