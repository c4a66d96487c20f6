/** `trust demo`: not implemented yet (the signing workflows land separately). */

export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('error USAGE: trust demo is not implemented yet\n');
  return 2;
}
