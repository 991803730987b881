import { expect } from 'vitest';
import { GrtError } from '../../src/errors.js';

/** The GrtError code `fn` throws, or 'none'; anything else it throws fails the test. */
export function grtCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GrtError);
    return (error as GrtError).code;
  }
  return 'none';
}

/** The GrtError code `promise` rejects with, or 'none'; any other rejection fails the test. */
export async function grtCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GrtError);
    return (error as GrtError).code;
  }
  return 'none';
}
