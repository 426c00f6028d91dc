/*
 * Every fixture program the kernel accepts, loaded on the simulated backend once per engine and run
 * on the same packets: the JIT's return values, packets out, faults (kfuncs) and maps are the
 * interpreter's. This is
 * where clang's own tail calls (tail_calls.o), callbacks (subprogs.o: bpf_loop,
 * bpf_for_each_map_elem) and array lookups run compiled.
 */
import { describe, expect, test } from 'vitest';
import { loadCollection, loadCollectionSpec } from '../../src/elf/index.js';
import type { Collection } from '../../src/elf/index.js';
import { createMachine } from '../../src/machines.js';
import * as U from '../../src/uapi.js';
import type { JitExecutable } from '../../src/jit/index.js';
import { SimBackend, VmFault } from '../../src/vm/index.js';
import type { SimProgram } from '../../src/vm/index.js';
import { dumpMap } from '../elf/support/dump.js';
import { VERDICTS } from '../elf/support/fixtures.js';
import { fixture, u32 } from '../elf/support/objects.js';
import { PACKETS, firstByte } from '../elf/support/packets.js';

const RUNNABLE = new Set([U.BPF_PROG_TYPE_XDP, U.BPF_PROG_TYPE_SCHED_CLS, U.BPF_PROG_TYPE_SCHED_ACT, U.BPF_PROG_TYPE_SOCKET_FILTER]);
const INPUTS = [...Object.values(PACKETS), firstByte(0), firstByte(1), firstByte(2), firstByte(3)];

/** Per-fixture setup, done on every backend before the runs. */
const SETUP: Readonly<Record<string, (c: Collection) => void>> = {
  'subprogs.o': (c) => {
    for (let i = 0; i < 4; i++) c.maps['values']!.update(u32(i), new Uint8Array(new BigUint64Array([BigInt(10 * i)]).buffer));
  },
};

interface Run { readonly runs: ({ retval: number; data: string } | { fault: string })[]; readonly maps: Record<string, string[] | undefined> }

/** What the JIT compiled over the fixtures. */
const compiled = { callbacks: 0, tailCalls: 0, inlineLookups: 0 };

/** Loads one program of a fixture on a fresh simulated backend with `engine` and runs it on every input. */
function runOn(engine: string, checked: boolean, file: string, prog: string): Run {
  // The kernel accepts every program here: the engines are compared, not bpfsim's verifier.
  const backend = new SimBackend({ machine: createMachine({ cpus: 2 }), engine, checked, verify: false });
  try {
    const c = loadCollection(loadCollectionSpec(fixture(file), { objectName: file.replace(/\..*$/, '') }), { backend, programs: [prog] });
    SETUP[file]?.(c);
    const p = c.programs[prog]!;
    const runs = RUNNABLE.has(p.type) ? INPUTS.map((data) => {
      try {
        const r = p.testRun({ data });
        return { retval: r.retval, data: Buffer.from(r.data).toString('hex') };
      } catch (e) {
        if (e instanceof VmFault) return { fault: e.message };
        throw e;
      }
    }) : [];
    const maps = Object.fromEntries(Object.entries(c.maps).map(([name, m]) => [name, dumpMap(m, backend.ncpus)]));
    if (engine === 'jit') {
      const { stats } = (p.program as SimProgram).program.executable(engine, checked) as JitExecutable;
      for (const k of Object.keys(compiled) as (keyof typeof compiled)[]) compiled[k] += stats[k];
    }
    return { runs, maps };
  } finally {
    backend.close();
  }
}

const cases = Object.entries(VERDICTS).flatMap(([file, progs]) => Object.entries(progs).filter(([, v]) => v.ok).map(([prog]) => ({ file, prog })));

describe('fixtures on the JIT and the interpreter', () => {
  test.each(cases)('$file $prog', ({ file, prog }) => {
    const want = runOn('interp', false, file, prog);
    for (const checked of [false, true]) expect(runOn('jit', checked, file, prog)).toEqual(want);
  });

  test('among them, callbacks, tail calls and inline array lookups', () => {
    expect(Object.values(compiled).every((n) => n > 0), JSON.stringify(compiled)).toBe(true);
  });
});
