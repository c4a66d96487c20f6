/** Options of the commands that write trust data: the shared server flags plus key handling. */

import type { PublishOptions } from '../publish/repository.js';
import type { ParsedArgs } from './args.js';
import { trustOptionsFrom } from './options.js';

/** PBKDF2 iterations for new key files: CONTENT_TRUST_KDF_ITERATIONS overrides the default. */
export function publishOptionsFrom(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): PublishOptions {
  const opts: PublishOptions = trustOptionsFrom(args, env);
  const it = env.CONTENT_TRUST_KDF_ITERATIONS;
  if (it && /^\d+$/.test(it)) opts.keyIterations = Number(it);
  return opts;
}
