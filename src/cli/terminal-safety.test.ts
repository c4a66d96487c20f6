// One escaping function, used everywhere human text is printed (issue 8 item 11): outside output.ts, the
// CLI writes to stdout/stderr only constant text (HELP, USAGE, literals) or through printText /
// printJson / reportError; a deliberate exception says why with a `terminal-safe:` comment.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI_DIR = import.meta.dirname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && e.name !== 'output.ts' ? [p] : [];
  });
}

const CONSTANT = /process\.(?:stdout|stderr)\.write\(\s*(?:[A-Z][A-Z0-9_]*|'[^'$]*'|"[^"$]*")\s*\)/;

describe('CLI output goes through the escaping function', () => {
  it('no raw process.stdout/stderr.write or console output outside output.ts', () => {
    const offenders: string[] = [];
    for (const file of sources(CLI_DIR)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (!/process\.(?:stdout|stderr)\.write\(|console\.(?:log|error|warn|info)\(/.test(line)) return;
        if (CONSTANT.test(line)) return;
        if (line.includes('terminal-safe:') || (lines[i - 1] ?? '').includes('terminal-safe:')) return;
        offenders.push(`${file.slice(CLI_DIR.length + 1)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
