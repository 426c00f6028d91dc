/**
 * The soundness property, which needs no kernel: every generated program bpfsim's verifier accepts
 * runs under the checked interpreter, on random packets and random map contents, without a memory
 * fault. A fault names the program's seed, so it can be regenerated.
 */
import { btfKernelTypes, simKernelBtf } from '../../../src/elf/index.js';
import { BPF_PROG_TYPE_XDP } from '../../../src/uapi.js';
import { SimBackend, VmFault } from '../../../src/vm/index.js';
import { prng } from './genProgram.js';
import { GEN_MAPS, genVerifierProgram } from './genVerifier.js';
import { simVerdict } from './verdicts.js';

/** What a soundness campaign found. */
export interface Soundness {
  /** Programs generated. */
  programs: number;
  /** Programs the verifier accepted. */
  accepted: number;
  /** Test runs of accepted programs. */
  runs: number;
  /** Accepted programs that faulted: seed and fault. */
  readonly faults: { seed: number; fault: string }[];
}

function bytes(rnd: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rnd() & 0xff);
}

/** Runs every accepted program of `count` seeds from `seed` on `inputs` random inputs each. */
export function soundnessCampaign(seed: number, count: number, inputs = 3): Soundness {
  const backend = new SimBackend({ checked: true, verify: false });
  const types = btfKernelTypes(simKernelBtf());
  const maps = GEN_MAPS.map((m) => backend.createMap(m));
  const out: Soundness = { programs: 0, accepted: 0, runs: 0, faults: [] };
  const rnd = prng(seed ^ 0x5eed);
  try {
    for (let s = seed; s < seed + count; s++) {
      out.programs++;
      const { insns } = genVerifierProgram(s);
      if (!simVerdict(insns, types).ok) continue;
      out.accepted++;
      const { program } = backend.loadProgram({ type: BPF_PROG_TYPE_XDP, insns, maps, name: `sound${s}` });
      try {
        for (let i = 0; i < inputs; i++) {
          for (let k = 0; k < 4; k++) maps[0]!.update(Uint8Array.of(k, 0, 0, 0), bytes(rnd, 16));
          if (rnd() & 1) maps[1]!.update(Uint8Array.of(rnd() & 7, 0, 0, 0), bytes(rnd, 8));
          out.runs++;
          program.testRun({ data: bytes(rnd, 14 + (rnd() % 120)) });
        }
      } catch (e) {
        if (!(e instanceof VmFault)) throw e;
        out.faults.push({ seed: s, fault: e.message.split('\n')[0]! });
      } finally {
        program.close();
      }
    }
  } finally {
    backend.close();
  }
  return out;
}
