/** Messages between the fuzz harness and its workers. */

export interface CaseSpec {
  target: string;
  seed: number;
  /** false: run the undamaged input (the target must then succeed or fail with a GrtError). */
  mutate?: boolean;
  /** Only make the (damaged) input and send it back, for saving a regression fixture. */
  materialize?: boolean;
  /** Time limit for this case, overriding the harness's (and the target's) limit. */
  timeoutMs?: number;
  /** Run a committed fixture directory instead of a generated input. */
  fixture?: { dir: string; main: string };
}

export type Outcome =
  | { kind: 'ok'; detail: string }
  | { kind: 'grt'; code?: string; detail: string }
  | { kind: 'crash'; detail: string; stack?: string | undefined };

export type WorkerReply =
  | { id: number; type: 'started'; log: string[] }
  | { id: number; type: 'files'; files: [string, Uint8Array][]; main: string; log: string[] }
  | { id: number; type: 'done'; outcome: Outcome; arrayBufferPeak: number; ms: number };

/**
 * Targets whose cases legitimately take longer than the default limit: a restore writes a few
 * hundred files, which on a loaded machine can take several seconds without being a hang.
 */
export const TARGET_TIMEOUT_MS: Record<string, number> = { restore: 30_000, 'restore-hostile': 30_000 };
