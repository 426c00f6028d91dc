import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, test } from 'vitest';
import { disasmCommand } from '../../src/cli/commands/disasm.js';
import { inspectCommand } from '../../src/cli/commands/inspect.js';
import type { Command } from '../../src/cli/usage.js';
import { FIXTURE_DIR, fixtures } from './support/mutate.js';

async function run(cmd: Command, argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await cmd.run(argv, { out: (t) => { out += t; }, err: () => {}, stdin: () => '' });
  return { code, out };
}

const files = fixtures().map((f) => f.name);

describe('bpfsim inspect', () => {
  test.each(files)('%s', async (name) => {
    const { code, out } = await run(inspectCommand, [join(FIXTURE_DIR, name)]);
    expect(code).toBe(0);
    expect(out).toMatch(/Programs \(\d+\):/);
    expect(out).toMatch(/Maps \(\d+\):/);
    expect(out).not.toMatch(/cannot be loaded/);
    const json = JSON.parse((await run(inspectCommand, [join(FIXTURE_DIR, name), '--json'])).out);
    expect(json.programs.length).toBeGreaterThan(0);
  });

  test('shows programs, maps, variables, externs, relocations, CO-RE and BTF', async () => {
    const out = (await run(inspectCommand, [join(FIXTURE_DIR, 'core.o')])).out;
    expect(out).toMatch(/xdp_core\s+SEC\("xdp"\)\s+xdp\/xdp\s+190 insns/);
    expect(out).toMatch(/\.bss\s+array\s+key 4\s+value 88/);
    expect(out).toMatch(/xdp insn \d+\s+byte_off\s+<byte_off> \[\d+\] STRUCT 'iphdr'\.saddr \(0:9 @ offset 12\)/);
    expect(out).toMatch(/\[1\] PTR '\(anon\)' type_id=/);
    const kf = (await run(inspectCommand, [join(FIXTURE_DIR, 'kfuncs.o')])).out;
    expect(kf).toMatch(/bpf_iter_num_new\s+kfunc\s+typed/);
    expect(kf).toMatch(/bpfsim_kfunc_not_in_kernel\s+kfunc \(weak\)/);
    const kc = (await run(inspectCommand, [join(FIXTURE_DIR, 'kconfig.o')])).out;
    expect(kc).toMatch(/CONFIG_HZ\s+kconfig\s+int, 4 bytes at \.kconfig\+0/);
    const tc = (await run(inspectCommand, [join(FIXTURE_DIR, 'tail_calls.o')])).out;
    expect(tc).toMatch(/\.maps\+0x18\s+R_BPF_64_ABS64\s+tail_pass/);
    expect(tc).toMatch(/jump_table\s+prog_array .* 3 initial/);
    const c = (await run(inspectCommand, [join(FIXTURE_DIR, 'xdp_parser.o'), '--btf-c'])).out;
    expect(c).toMatch(/\[\d+\] struct stats \{\n {2}\t__u64 packets;/);
  });

  test('refuses what is not an ELF object', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfsim-'));
    writeFileSync(join(dir, 'x.s'), 'r0 = 0\nexit\n');
    await expect(run(inspectCommand, [join(dir, 'x.s')])).rejects.toThrow(/is not an ELF object/);
  });
});

describe('bpfsim disasm FILE.o', () => {
  test.each(files)('%s', async (name) => {
    const { code, out } = await run(disasmCommand, [join(FIXTURE_DIR, name)]);
    expect(code).toBe(0);
    expect(out).toMatch(/^\w+ \(SEC\("[^"]+"\), \w+, \d+ insns\):$/m);
    if (!name.includes('nobtf')) expect(out).toMatch(/^; \w+\.c:\d+: /m);
  });

  test('source lines, function labels, map and kfunc names', async () => {
    const out = (await run(disasmCommand, [join(FIXTURE_DIR, 'xdp_parser.o')])).out;
    expect(out).toContain('; xdp_parser.c:77: if ((void *)(eth + 1) > data_end)');
    expect(out).toMatch(/^count:$/m);
    expect(out).toMatch(/r1 = map\[proto_stats\]$/m);
    const kf = (await run(disasmCommand, [join(FIXTURE_DIR, 'kfuncs.o'), '--prog', 'tc_kfuncs'])).out;
    expect(kf).toMatch(/call bpf_rcu_read_lock#\d+/);
  });

  test('--style llvm, and --prog', async () => {
    const out = (await run(disasmCommand, [join(FIXTURE_DIR, 'tail_calls.o'), '--prog', 'tail_drop', '--style', 'llvm'])).out;
    expect(out.split('\n')[0]).toBe('tail_drop (SEC("xdp"), xdp, 2 insns):');
    expect(out).toMatch(/^\s+0:\tb4 00 00 00 01 00 00 00\tw0 = 1$/m);
    await expect(run(disasmCommand, [join(FIXTURE_DIR, 'tail_calls.o'), '--prog', 'nope'])).rejects.toThrow(/no such program .*tail_pass/);
  });
});
