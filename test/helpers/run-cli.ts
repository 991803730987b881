/** Runs a grt command's `main` with in-memory stdout and stderr, as the CLI tests read them. */
import type { CliIo } from '../../src/cli/output.js';

type Command = (argv: string[], io: CliIo) => Promise<number>;

function collect() {
  const out: (string | Uint8Array)[] = [];
  return { out, stream: { write: (c: string | Uint8Array) => (out.push(typeof c === 'string' ? c : Uint8Array.from(c)), true) } };
}

/** Exit code, the text written to each stream, and stdout's bytes (binary output such as --stdout). */
export async function runCli(command: Command, argv: string[]) {
  const stdout = collect();
  const stderr = collect();
  const code = await command(argv, { stdout: stdout.stream, stderr: stderr.stream } as CliIo);
  const text = (o: typeof stdout) => o.out.map((c) => (typeof c === 'string' ? c : '')).join('');
  return { code, stdout: text(stdout), stderr: text(stderr), bytes: Buffer.concat(stdout.out.map((c) => Buffer.from(c))) };
}
