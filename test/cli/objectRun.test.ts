import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { kernelAvailable } from '../../src/kernel/index.js';
import { cli } from '../support/cli.js';
import { FIXTURE_DIR } from '../elf/support/mutate.js';

const firewall = join(FIXTURE_DIR, 'xdp_firewall.o');
/** Ethernet + IPv4 from 1.2.3.4 to 5.6.7.8, padded. */
const packet = 'ffffffffffff000000000001' + '0800' + '4500001400000000401100000102030405060708' + '00'.repeat(26);
const block = ['--map-update', 'blocklist:2000000001020304:01000000'];

const available = kernelAvailable();
if (!available.ok) console.log(`run FILE.o is compared with the simulator only: ${available.reason}`);
const engines = available.ok ? ['interp', 'jit', 'kernel'] : ['interp', 'jit'];

type Out = { retval: number; data_out: string; ctx_out: string; maps_after?: Record<string, [string, string][]> };

async function runJson(argv: string[]): Promise<Out> {
  const r = await cli(['run', firewall, '--prog', 'xdp_firewall', '--packet', packet, '--json', ...argv]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as Out;
}

describe('bpfsim run FILE.o --prog NAME', () => {
  test.each(engines)('map updates before the run and maps after it, on %s', async (engine) => {
    const j = await runJson([...block, '--maps-after', '--engine', engine]);
    expect(j.retval).toBe(1);
    expect(j.data_out).toBe(packet);
    expect(j.maps_after).toEqual({
      '.rodata': [['00000000', '02000000']],
      blocklist: [['2000000001020304', '01000000']],
      verdicts: [['01000000', '0100000000000000']],
    });
  });

  test.each(engines)('a per-CPU map update puts the value on every CPU; the run counts on CPU 0, on %s', async (engine) => {
    const j = await runJson(['--map-update', 'verdicts:02000000:0700000000000000', '--maps-after', '--repeat', '3', '--engine', engine]);
    expect(j.retval).toBe(2);
    expect(j.maps_after!['verdicts']).toEqual([['02000000', '0a00000000000000']]);
  });

  test('without --maps-after there is no maps_after; the text form lists non-zero entries', async () => {
    expect(Object.keys(await runJson([]))).toEqual(['retval', 'data_out', 'ctx_out', 'ns_per_run', 'insns']);
    const r = await cli(['run', firewall, '--prog', 'xdp_firewall', '--packet', packet, ...block, '--maps-after']);
    expect(r.out).toMatch(/^retval = 1\n/);
    expect(r.out).toContain('maps after the run (non-zero entries):\n  .rodata:\n    00000000 => 02000000\n  blocklist:\n    2000000001020304 => 01000000\n');
  });

  test('--type overrides the section, as the object loader allows', async () => {
    const r = await cli(['run', firewall, '--prog', 'xdp_firewall', '--type', 'socket_filter', '--packet', packet]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the verifier rejects xdp_firewall/);
  });

  test.each([
    [['--packet', packet], /name the program to run with --prog NAME/],
    [['--prog', 'nope'], /no program 'nope' in the object \(it has: xdp_firewall\)/],
    [['--prog', 'xdp_firewall', '--map-update', 'nomap:00:00'], /no map 'nomap' in the object \(it has: .*blocklist/],
    [['--prog', 'xdp_firewall', '--map-update', 'blocklist:00:01000000'], /the key is 1 bytes, the map's keys are 8/],
    [['--prog', 'xdp_firewall', '--map-update', 'verdicts:00000000:01'], /the value is 1 bytes, the map's values are 8/],
    [['--prog', 'xdp_firewall', '--map-update', 'blocklist'], /expected NAME:KEYHEX:VALUEHEX/],
    [['--prog', 'xdp_firewall', '--map-update', 'blocklist:zz:00'], /is not a sequence of hex bytes/],
  ])('usage errors: %j', async (argv, message) => {
    const r = await cli(['run', firewall, ...argv]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  test('--prog, --map-update and --maps-after are refused for programs that are not objects', async () => {
    const r = await cli(['run', join(FIXTURE_DIR, '..', '..', '..', 'package.json'), '--maps-after']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--maps-after is for BPF ELF objects/);
  });
});
