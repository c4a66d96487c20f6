import { TrustError } from '../../src/errors.js';

/** The TrustError a promise rejects with; any other outcome fails the test. */
export async function rejection(p: Promise<unknown>): Promise<TrustError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TrustError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}
