import { describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/index.js';
import { createMachine } from '../../src/machines.js';
import { BPF_MAP_TYPE_ARRAY, BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import { SimBackend } from '../../src/vm/index.js';

describe('SimBackend', () => {
  test('a program closed on its own is no longer held by the backend (a long campaign on the JIT ran out of wasm code space)', () => {
    const b = new SimBackend({ machine: createMachine({ cpus: 1 }), engine: 'jit', verify: false });
    const owned = (): number => (Reflect.get(b, 'owned') as unknown[]).length;
    b.createMap({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    for (let i = 0; i < 3; i++) {
      const { program } = b.loadProgram({ type: BPF_PROG_TYPE_XDP, insns: assemble('r0 = 2\nexit').insns, name: 'p' });
      expect(program.testRun({ data: new Uint8Array(64) }).retval).toBe(2);
      program.close();
    }
    expect(owned()).toBe(1);
    const { program } = b.loadProgram({ type: BPF_PROG_TYPE_XDP, insns: assemble('r0 = 1\nexit').insns, name: 'q' });
    expect(owned()).toBe(2);
    b.close();
    expect(() => program.testRun({ data: new Uint8Array(64) })).toThrow(/closed/);
  });
});
