import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { kernelAvailable } from '../../src/kernel/index.js';
import { cli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bpfsim-cli-kernel-'));
const xdp = join(dir, 'xdp.s');
writeFileSync(xdp, `
  r2 = *(u32 *)(r1 +0)
  r3 = *(u32 *)(r1 +4)
  r4 = r2
  r4 += 14
  if r4 > r3 goto out
  r5 = *(u8 *)(r2 +12)
  *(u8 *)(r2 +0) = r5
  r0 = 2
  exit
out:
  r0 = 1
  exit
`);
const bad = join(dir, 'bad.s');
writeFileSync(bad, 'r2 = *(u32 *)(r1 +0)\nr0 = *(u8 *)(r2 +0)\nexit\n');
const packet = '000000000000000000000000aabb' + '00'.repeat(50);

const available = kernelAvailable();
if (!available.ok) console.log(`skipping the CLI's kernel tests: ${available.reason}`);

describe('bpfsim run --type', () => {
  test.each(['interp', 'jit'])('test-runs as XDP on %s: retval, data out, ctx out', async (engine) => {
    const r = await cli(['run', xdp, '--type', 'xdp', '--packet', packet, '--engine', engine, '--json']);
    expect(r.err).toBe('');
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(Object.keys(j).slice(0, 4)).toEqual(['retval', 'data_out', 'ctx_out', 'ns_per_run']);
    expect(j['retval']).toBe(2);
    expect(j['data_out']).toBe('aa' + packet.slice(2));
    expect(j['ctx_out']).toBe('');
  });

  test('a frame shorter than an Ethernet header is refused as the kernel refuses it', async () => {
    const r = await cli(['run', xdp, '--type', 'xdp', '--packet', '0011']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/BPF_PROG_TEST_RUN failed: EINVAL \(22\)/);
  });

  test('raw programs cannot run on the kernel', async () => {
    const r = await cli(['run', xdp, '--engine', 'kernel']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/add --type xdp or --type socket_filter/);
  });

  test('an unknown program type lists the known ones', async () => {
    const r = await cli(['run', xdp, '--type', 'xdpp']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown program type 'xdpp' \(known: socket_filter, socket, kprobe/);
  });
});

describe.skipIf(!available.ok)('bpfsim and the kernel backend', () => {
  test('run --engine kernel gives what the simulator gives', async () => {
    const k = JSON.parse((await cli(['run', xdp, '--type', 'xdp', '--packet', packet, '--engine', 'kernel', '--json'])).out) as Record<string, unknown>;
    const s = JSON.parse((await cli(['run', xdp, '--type', 'xdp', '--packet', packet, '--json'])).out) as Record<string, unknown>;
    expect([k['retval'], k['data_out'], k['ctx_out']]).toEqual([s['retval'], s['data_out'], s['ctx_out']]);
  });

  test('verify --backend kernel: an accepted program', async () => {
    const r = await cli(['verify', xdp, '--backend', 'kernel', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(j['verdict']).toBe('accepted');
    expect(j['processed_insns']).toBeGreaterThan(0);
  });

  test('verify --backend kernel: a rejected program, with the kernel log and exit 1', async () => {
    const r = await cli(['verify', bad, '--backend', 'kernel']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('invalid access to packet');
    expect(r.out).toMatch(/verdict: rejected \(errno 13\)\n$/);
  });
});
