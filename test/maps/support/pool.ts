import { BPF_ALU64, BPF_EXIT, BPF_JMP, BPF_K, BPF_MOV, encodeInsns, insn } from '../../../src/isa/index.js';
import { KernelMap, progGetInfo, progLoad, type Fd } from '../../../src/kernel/index.js';
import type { MapSpec } from '../../../src/maps/index.js';
import type { TestEnv } from './env.js';
import type { Pool } from './sides.js';

/** An object a differential test refers to by index: a map, a program, stdin, or nothing (a closed fd). */
export type PoolObject =
  | { readonly kind: 'map'; readonly spec: MapSpec }
  | { readonly kind: 'prog'; readonly type: number; readonly attach?: number; readonly frags?: boolean }
  | { readonly kind: 'stdin' }
  | { readonly kind: 'closed' };

/** The same objects on both sides, and how to release the kernel's. */
export interface Pools {
  readonly sim: Pool;
  readonly kernel: Pool;
  close(): void;
}

const BPF_F_XDP_HAS_FRAGS = 1 << 5;

/** Creates `objects` in the simulator (through `env`) and in the kernel, naming each `name#index`. */
export function buildPools(env: TestEnv, objects: readonly PoolObject[], name = 'obj'): Pools {
  const sim: Pool = { fds: [], names: new Map() };
  const kernel: Pool = { fds: [], names: new Map() };
  const owned: { close(): void }[] = [];
  objects.forEach((obj, i) => {
    const label = `${name}#${i}`;
    switch (obj.kind) {
      case 'map': {
        const { map, fd } = env.createMap(obj.spec);
        sim.fds.push(fd);
        sim.names.set(BigInt(map.id), label);
        const k = KernelMap.create(obj.spec);
        owned.push(k);
        kernel.fds.push(k.fd.raw);
        kernel.names.set(BigInt(k.id), label);
        break;
      }
      case 'prog': {
        const id = 1000 + i;
        sim.fds.push(env.program({ id, type: obj.type, expectedAttachType: obj.attach ?? 0, xdpHasFrags: obj.frags ?? false }));
        sim.names.set(BigInt(id), label);
        const { fd } = progLoad({
          prog_type: obj.type, expected_attach_type: obj.attach ?? 0, prog_flags: obj.frags ? BPF_F_XDP_HAS_FRAGS : 0,
          insns: encodeInsns([insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1), insn(BPF_JMP | BPF_EXIT)]),
        });
        owned.push(fd);
        kernel.fds.push(fd.raw);
        kernel.names.set(BigInt(progGetInfo(fd as Fd).id), label);
        break;
      }
      case 'stdin':
        sim.fds.push(0);
        kernel.fds.push(0);
        break;
      case 'closed':
        sim.fds.push(999_999);
        kernel.fds.push(999_999);
        break;
    }
  });
  return { sim, kernel, close: () => owned.forEach((o) => o.close()) };
}
