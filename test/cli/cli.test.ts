import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfsim-cli-'));
const src = join(dir, 'prog.s');
writeFileSync(src, 'r0 = *(u32 *)(r1 +4)\nr0 += r2\nexit\n');

describe('bpfsim CLI', () => {
  test('asm prints hex slots, -o writes bytecode that disasm reads back', async () => {
    const r = await cli(['asm', src]);
    expect(r).toEqual({ code: 0, err: '', out: '61 10 04 00 00 00 00 00\n0f 20 00 00 00 00 00 00\n95 00 00 00 00 00 00 00\n' });
    const bin = join(dir, 'prog.bin');
    expect((await cli(['asm', src, '-o', bin])).code).toBe(0);
    const d = await cli(['disasm', bin]);
    expect(d.out).toBe('0: (61) r0 = *(u32 *)(r1 +4)\n1: (0f) r0 += r2\n2: (95) exit\n');
  });

  test('asm --dialect ubpf reads the conformance syntax', async () => {
    const f = join(dir, 'u.s');
    writeFileSync(f, 'mov32 %r0, 7\nexit\n');
    expect((await cli(['asm', f, '--dialect', 'ubpf'])).out).toBe('b4 00 00 00 07 00 00 00\n95 00 00 00 00 00 00 00\n');
  });

  test.each(['interp', 'jit'])('run --engine %s prints r0, instructions and time; --json has the documented fields', async (engine) => {
    const r = await cli(['run', src, '--mem', '00 00 00 00 05 00 00 00', '--json', '--engine', engine]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['r0', 'insns', 'ns_per_run']);
    expect(j['r0']).toBe('0xd');
    expect(j['insns']).toBe(3);
    const t = await cli(['run', src, '--mem', '0000000005000000', '--engine', engine]);
    expect(t.out).toMatch(/^r0 = 0xd \(13\)\ninsns = 3\nns\/run = [\d.]+\n$/);
  });

  test.each(['interp', 'jit'])('run --engine %s of an out-of-bounds load is a fault with the instruction, exit 1', async (engine) => {
    const r = await cli(['run', src, '--mem', '00', '--engine', engine]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^bpfsim run: fault at insn 0 \(r0 = \*\(u32 \*\)\(r1 \+4\)\): load of 4 bytes at 0x[0-9a-f]+ is outside every mapped region/);
  });

  test('plugin speaks the bpf_conformance protocol', async () => {
    const prog = '61 10 04 00 00 00 00 00 95 00 00 00 00 00 00 00';
    expect(await cli(['plugin', '00  00  00  00  2a  00  00  00  '], prog)).toEqual({ code: 0, out: '0x2a\n', err: '' });
    expect((await cli(['plugin', '', '--engine interp'], '95 00 00 00 00 00 00 00')).out).toBe('0x0\n');
    expect(await cli(['plugin', '00  00  00  00  2a  00  00  00  ', '--engine jit'], prog)).toEqual({ code: 0, out: '0x2a\n', err: '' });
    const bad = await cli(['plugin', ''], '07 00 01 00 01 00 00 00 95 00 00 00 00 00 00 00');
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('bpfsim plugin: insn 0: opcode 0x07 has reserved off field set to 1\n');
  });

  test.each([
    [['frobnicate'], /^bpfsim: unknown command 'frobnicate'/],
    [['run', src, '--bogus'], /^bpfsim run: Unknown option '--bogus'/],
    [['run', join(dir, 'missing.s')], /^bpfsim run: cannot read .*missing\.s: ENOENT/],
    [['run', src, '--mem', 'xyz'], /^bpfsim run: --mem: 'xyz' is not a sequence of hex bytes/],
    [['run', src, '--repeat', '0'], /^bpfsim run: --repeat must be a positive integer/],
    [['asm', src, '--dialect', 'gas'], /^bpfsim asm: --dialect must be llvm or ubpf/],
  ])('usage error %j: one line, exit 2', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  test('a syntax error names line and column', async () => {
    const f = join(dir, 'bad.s');
    writeFileSync(f, 'r0 = 1\nr0 += r11\nexit\n');
    const r = await cli(['asm', f]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^bpfsim asm: 2:\d+: /);
  });

  test('every command has --help', async () => {
    for (const c of ['asm', 'disasm', 'run', 'plugin', 'bench', 'demo']) {
      const r = await cli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^usage: bpfsim ${c}`));
    }
  });

  test('bench --json covers every benchmark program', async () => {
    const r = await cli(['bench', '--json', '--min-time', '1']);
    const j = JSON.parse(r.out) as { rows: { name: string; insns: number; engines: Record<string, { nsPerRun: number }> }[] };
    expect(j.rows.map((x) => x.name)).toEqual(['empty', 'alu_loop', 'checksum', 'parse_udp', 'muldiv', 'stack', 'map_lookup']);
    expect(j.rows[1]!.insns).toBeGreaterThan(900_000);
    expect(j.rows.every((x) => x.engines['interp']!.nsPerRun > 0)).toBe(true);
  });

  test('demo walks through the parser and ends with r0 = 53', async () => {
    const r = await cli(['demo']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('r0 = 53 (the UDP destination port), after 30 instructions.');
    expect(r.out).toContain('continue → exited, r0 = 53');
  });
});
