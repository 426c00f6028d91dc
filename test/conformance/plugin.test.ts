import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { assemble, encodeInsns } from '../../src/isa/index.js';
import { cli } from '../support/cli.js';
import { conformanceDir, loadConformance } from '../support/conformance.js';
import type { ConformanceCase } from '../support/conformance.js';

const { dir, reason } = conformanceDir();
if (!dir) console.log(`skipping bpf_conformance through the plugin: ${reason}`);

/** Hex the way the suite's runner sends it: each byte followed by two spaces. */
function runnerHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0') + '  ').join('');
}

function program(c: ConformanceCase): Uint8Array {
  return c.raw ?? encodeInsns(assemble(c.asm ?? '', { dialect: 'ubpf' }).insns);
}

describe.skipIf(!dir)('bpf_conformance through `bpfsim plugin`', () => {
  const cases = dir ? loadConformance(dir, 'tests') : [];

  test.each(['', '--engine jit'])('all 313 tests pass through the plugin protocol (runner argument format, options %j)', async (options) => {
    const failures: string[] = [];
    for (const c of cases) {
      const r = await cli(['plugin', runnerHex(c.mem), options], runnerHex(program(c)) + '\n');
      const got = r.code === 0 ? BigInt(r.out.trim()) : undefined;
      if (got !== c.result) failures.push(`${c.name}: exit ${r.code}, out ${r.out.trim()} ${r.err.trim()}`);
    }
    expect(failures).toEqual([]);
    expect(cases).toHaveLength(313);
  });

  test.each(['interp', 'jit'])('the plugin runs as a separate process, as the runner starts it (%s)', (engine) => {
    const c = cases.find((x) => x.name === 'subnet')!;
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'plugin', runnerHex(c.mem), `--engine ${engine}`], {
      input: runnerHex(program(c)) + '\n', timeout: 60_000,
    });
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe('0x1\n');
  });
});
