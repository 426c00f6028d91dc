/**
 * `bpfsim verify` with bpfsim's own verifier (the default backend), on assembly and on objects
 * with BTF line info, and `bpfsim run --type` refusing what the verifier rejects.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { cli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfsim-verify-'));
const bad = join(dir, 'bad.s');
writeFileSync(bad, 'r2 = *(u32 *)(r1 +0)\nr0 = *(u8 *)(r2 +0)\nexit\n');
const good = join(dir, 'good.s');
writeFileSync(good, 'r0 = 2\nexit\n');
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/bpf/${name}`, import.meta.url));

test('verify: a rejected program prints the kernel-format log and exits 1', async () => {
  const r = await cli(['verify', bad]);
  expect(r.code).toBe(1);
  expect(r.out).toContain('1: (71) r0 = *(u8 *)(r2 +0)\ninvalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)\nR2 offset is outside of the packet\n');
  expect(r.out).toMatch(/processed 2 insns \(limit 1000000\).*\nverdict: rejected \(errno 13\)\n$/);
});

test('verify --json: the verdict, the processed count and the errors', async () => {
  const ok = JSON.parse((await cli(['verify', good, '--json'])).out) as Record<string, unknown>;
  expect([ok['backend'], ok['verdict'], ok['processed_insns']]).toEqual(['sim', 'accepted', 2]);
  const no = JSON.parse((await cli(['verify', bad, '--json'])).out) as { errors: { insn: number; message: string }[] };
  expect(no.errors[0]!.insn).toBe(1);
});

test('verify FILE.o --prog: source lines from BTF line info', async () => {
  const r = await cli(['verify', fixture('refused.o'), '--prog', 'xdp_unchecked_read']);
  expect(r.code).toBe(1);
  expect(r.out).toContain('; return data[0] == 0xff ? XDP_DROP : XDP_PASS; @ refused.c:');
  expect(r.out).toMatch(/at insn 1, refused\.c:\d+: return data\[0\] == 0xff/);
});

test('verify --log-level 2 prints the liveness table and every path', async () => {
  const r = await cli(['verify', fixture('xdp_parser.o'), '--log-level', '2']);
  expect(r.code).toBe(0);
  expect(r.out).toContain('Live regs before insn:');
  expect(r.out).toMatch(/\nfrom \d+ to \d+: /);
});

test('run --type refuses a rejected program unless --no-verify, which runs it checked', async () => {
  const refused = await cli(['run', bad, '--type', 'xdp', '--packet', '00'.repeat(14)]);
  expect(refused.code).toBe(1);
  expect(refused.err).toContain('the verifier rejects the program');
  const checked = await cli(['run', bad, '--type', 'xdp', '--packet', '00'.repeat(14), '--no-verify', '--json']);
  expect(checked.code).toBe(0);
});
