/** A link not recreated is named in its warning as stored: a Windows target keeps single backslashes. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { restore, type RestoreEvent } from '../../src/restore/restore.js';
import { quoteText } from '../../src/util/quote.js';
import { FakeFs } from '../helpers/fake-fs.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('link warnings', () => {
  it('quote a junction target without doubling its backslashes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'grt-quote-'));
    const fs = new FakeFs({ '/d/abs': { type: 'junction', target: '\\??\\C:\\Windows' } });
    const events: RestoreEvent[] = [];
    await restore({ fs, paths: ['/d'], to: dir, onEvent: (e) => events.push(e) });
    const warning = events.find((e) => e.type === 'warning') as { message: string };
    expect(warning.message).toContain('junction to "\\??\\C:\\Windows" not created');
    expect(warning.message).not.toContain('\\\\');
  });

  it('quoteText escapes quotes and control characters only', () => {
    expect(quoteText('C:\\a "b"\n\u001b[31m')).toBe('"C:\\a \\"b\\"\\u000a\\u001b[31m"');
  });
});
