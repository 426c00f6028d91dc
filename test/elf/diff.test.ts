/*
 * Differential tests: every fixture program loaded on the simulated backend and on the kernel,
 * with the same inputs; the verdicts (accepted, or refused with the same errno), the instructions
 * each verifier processed (within 2x; equal for the global-function fixtures), test-run results
 * (return value and packet out) and map contents must agree. Parts the simulator does not implement yet (a map type, a program type's
 * test run) skip with the reason.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { BpfError } from '../../src/errors.js';
import * as U from '../../src/uapi.js';
import { LoadError, loadCollection, loadCollectionSpec, type Collection } from '../../src/elf/index.js';
import type { Backend } from '../../src/vm/backend.js';
import { dumpMap } from './support/dump.js';
import { VERDICTS } from './support/fixtures.js';
import { kernelBackend, kernelSkipReason } from './support/kernel.js';
import { fixture, u32 } from './support/objects.js';
import { PACKETS, firstByte } from './support/packets.js';
import { simBackend } from './support/sim.js';

const sim = await simBackend();
const simReason = 'reason' in sim ? sim.reason : undefined;
const simB = 'backend' in sim ? sim.backend : undefined;
const kernelReason = kernelSkipReason();
const kernel = kernelReason ? undefined : kernelBackend();
const skip = kernelReason ?? simReason;
if (skip) console.log(`skipping ELF differential tests: ${skip}`);
afterAll(() => {
  kernel?.close();
  simB?.close();
});

/** Fixtures whose processed counts must equal the kernel's (global functions verified once, as Linux does). */
const EXACT_COUNTS = new Set(['subprogs.o', 'global_funcs.o']);
const RUNNABLE = new Set([U.BPF_PROG_TYPE_XDP, U.BPF_PROG_TYPE_SCHED_CLS, U.BPF_PROG_TYPE_SCHED_ACT, U.BPF_PROG_TYPE_SOCKET_FILTER]);
const INPUTS = [...Object.values(PACKETS), firstByte(0), firstByte(1), firstByte(2), firstByte(3)];

/** Per-fixture setup, done identically on both backends before the runs. */
const SETUP: Readonly<Record<string, (c: Collection) => void>> = {
  'xdp_firewall.o': (c) => {
    c.maps['blocklist']!.update(Uint8Array.of(8, 0, 0, 0, 10, 0, 0, 0), u32(U.XDP_DROP));
    c.maps['blocklist']!.update(Uint8Array.of(24, 0, 0, 0, 192, 168, 0, 0), u32(U.XDP_TX));
  },
  'xdp_lb.o': (c) => {
    const vip = (port: number, proto: number): Uint8Array => Uint8Array.of(10, 9, 9, 9, port >> 8, port & 0xff, proto, 0);
    c.maps['services']!.update(vip(80, 6), Uint8Array.of(0, 0, 0, 0, 3, 0, 0, 0));
    c.maps['services']!.update(vip(53, 17), Uint8Array.of(4, 0, 0, 0, 2, 0, 0, 0));
    for (let i = 0; i < 6; i++) c.maps['backends']!.update(u32(i), Uint8Array.of(10, 0, 0, 10 + i, 2, 0, 0, 0, 0, i, i === 1 ? 0 : 1, 0));
  },
  'subprogs.o': (c) => {
    for (let i = 0; i < 4; i++) c.maps['values']!.update(u32(i), new Uint8Array(new BigUint64Array([BigInt(10 * i)]).buffer));
  },
};

type Outcome = { ok: true; c: Collection } | { ok: false; errno: string; error: unknown };

function load(backend: Backend, file: string, prog: string): Outcome {
  const spec = loadCollectionSpec(fixture(file), { objectName: file.replace(/\..*$/, '') });
  try {
    return { ok: true, c: loadCollection(spec, { backend, programs: [prog] }) };
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    return { ok: false, errno: (cause as { errnoName?: string } | undefined)?.errnoName ?? '', error: e };
  }
}

/** A skip reason when a simulator failure is something it does not implement yet. */
function notImplemented(e: unknown): string | undefined {
  if (!(e instanceof BpfError)) return `the simulator failed: ${e instanceof Error ? e.message : String(e)}`;
  const text = `${e.code} ${e.message}`;
  return /ENOTSUPP|EOPNOTSUPP|not (yet )?(implemented|supported)|unsupported|no test run/i.test(text) ? `simulator: ${e.message}` : undefined;
}

const cases = Object.entries(VERDICTS).flatMap(([file, progs]) =>
  Object.entries(progs).filter(([, v]) => v.ok || !v.environment).map(([prog, verdict]) => ({ file, prog, verdict })));

describe.skipIf(!!skip)('verdicts, runs and maps agree', () => {
  test.for(cases)('$file $prog', ({ file, prog }, ctx) => {
    const k = load(kernel!, file, prog);
    const s = load(simB!, file, prog);
    try {
      if (!s.ok) {
        const why = notImplemented(s.error);
        if (why && k.ok) ctx.skip(why);
      }
      if (!k.ok || !s.ok) {
        if (k.ok && !s.ok) throw new Error(`the kernel accepts ${prog}; the simulator refuses it: ${(s.error as Error).message}`);
        if (!k.ok && s.ok) throw new Error(`the kernel refuses ${prog} (${k.errno}); the simulator accepts it`);
        if (!k.ok && !s.ok) {
          expect(s.errno).toBe(k.errno);
          expect(s.error).toBeInstanceOf(LoadError);
        }
        return;
      }
      SETUP[file]?.(k.c);
      SETUP[file]?.(s.c);
      const kp = k.c.programs[prog]!;
      const sp = s.c.programs[prog]!;
      const [kn, sn] = [kp.verifiedInsns ?? 0, sp.verifiedInsns ?? 0];
      if (EXACT_COUNTS.has(file)) expect(sn, 'processed instructions').toBe(kn);
      expect(sn, `processed instructions: the kernel's ${kn}, the simulator's ${sn}`).toBeLessThanOrEqual(2 * kn);
      expect(2 * sn, `processed instructions: the kernel's ${kn}, the simulator's ${sn}`).toBeGreaterThanOrEqual(kn);
      if (RUNNABLE.has(kp.type)) {
        for (const data of INPUTS) {
          const want = kp.testRun({ data });
          let got;
          try {
            got = sp.testRun({ data });
          } catch (e) {
            const why = notImplemented(e);
            if (why) ctx.skip(why);
            throw e;
          }
          expect(got.retval, `retval for a ${data.length}-byte packet`).toBe(want.retval);
          expect(got.data, `data out for a ${data.length}-byte packet`).toEqual(want.data);
        }
      }
      for (const name of Object.keys(k.c.maps)) {
        const want = dumpMap(k.c.maps[name]!, kernel!.ncpus);
        if (want === undefined) continue;
        expect(dumpMap(s.c.maps[name]!, simB!.ncpus), `map ${name}`).toEqual(want);
      }
    } finally {
      if (k.ok) k.c.close();
      if (s.ok) s.c.close();
    }
  });
});
