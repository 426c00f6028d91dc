/**
 * Global functions in the verifier, on bpfsim and on the kernel: a call is checked against the
 * function's BTF prototype and returns an unknown scalar without the verifier going in; each
 * called global function is verified once after the main program, from its prototype; the reason
 * for a refusal and the instructions processed are the kernel's.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/index.js';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import { type Backend, SimBackend } from '../../src/vm/index.js';
import { type FuncDecl, globalFuncBtf } from './support/globalBtf.js';
import { lockedArray } from './support/lockedArray.js';
import { kernelReason } from './support/verdicts.js';

const G_CTX: FuncDecl = { global: true, params: ['ctx'] };
const G_INT: FuncDecl = { global: true, params: ['int'] };
const G_PAIR: FuncDecl = { global: true, params: ['pair'] };
const S_INT: FuncDecl = { global: false, params: ['int'] };

interface Case {
  readonly name: string;
  readonly body: readonly string[];
  readonly decls: readonly FuncDecl[];
  /** The reason for the refusal ('' when accepted). */
  readonly want: string;
  /** Instructions processed (the kernel's count). */
  readonly processed: number;
  /** Load without BTF func_info (default false). */
  readonly noBtf?: boolean;
  /** Put a map of values with a `bpf_spin_lock` at offset 8 in the fd_array (default false). */
  readonly locked?: boolean;
}

const CASES: readonly Case[] = [
  {
    name: 'a global function called twice is verified once, after the main program',
    body: ['r6 = r1', 'call f1', 'r7 = r0', 'r1 = r6', 'call f1', 'r0 += r7', 'exit',
      'f1:', 'r2 = *(u32 *)(r1 +0)', 'r0 = *(u32 *)(r1 +4)', 'r0 -= r2', 'exit'],
    decls: [G_CTX], want: '', processed: 11,
  },
  {
    name: 'without BTF func_info every function is static, verified at each call',
    body: ['r6 = r1', 'call f1', 'r7 = r0', 'r1 = r6', 'call f1', 'r0 += r7', 'exit',
      'f1:', 'r2 = *(u32 *)(r1 +0)', 'r0 = *(u32 *)(r1 +4)', 'r0 -= r2', 'exit'],
    decls: [G_CTX], want: '', processed: 15, noBtf: true,
  },
  {
    name: 'r0 after the call is an unknown scalar',
    body: ['call f1', 'r0 = *(u8 *)(r0 +0)', 'exit', 'f1:', 'r0 = 1', 'exit'],
    decls: [G_CTX], want: 'R0 invalid mem access \'scalar\'', processed: 2,
  },
  {
    name: 'r1-r5 are clobbered by the call',
    body: ['r1 = 1', 'call f1', 'r0 = r1', 'exit', 'f1:', 'r0 = r1', 'exit'],
    decls: [G_INT], want: 'R1 !read_ok', processed: 3,
  },
  {
    name: 'a global function must return a scalar',
    body: ['call f1', 'r0 = 0', 'exit', 'f1:', 'r0 = r1', 'exit'],
    decls: [G_CTX], want: 'At subprogram exit the register R0 is not a scalar value (ctx)', processed: 5,
  },
  {
    name: 'a global function must set r0',
    body: ['call f1', 'r0 = 0', 'exit', 'f1:', 'exit'],
    decls: [G_CTX], want: 'R0 !read_ok', processed: 4,
  },
  {
    name: 'its memory argument may be NULL inside',
    body: ['r1 = 0', 'call f1', 'exit', 'f1:', 'r0 = *(u32 *)(r1 +0)', 'exit'],
    decls: [G_PAIR], want: 'R1 invalid mem access \'mem_or_null\'', processed: 4,
  },
  {
    name: 'its memory argument has the pointed-to type\'s size',
    body: ['r1 = 0', 'call f1', 'exit', 'f1:', 'if r1 == 0 goto out', 'r0 = *(u32 *)(r1 +4)', 'r0 = *(u32 *)(r1 +8)', 'out:', 'r0 = 0', 'exit'],
    decls: [G_PAIR], want: 'invalid access to memory, mem_size=8 off=8 size=4\nR1 min value is outside of the allowed memory range', processed: 6,
  },
  {
    name: 'the caller passes at least that much memory',
    body: ['r1 = r10', 'r1 += -4', 'call f1', 'exit', 'f1:', 'r0 = 0', 'exit'],
    decls: [G_PAIR], want: 'invalid read from stack R1 off=-4 size=8\nCaller passes invalid args into func#1 (\'f1\')', processed: 3,
  },
  {
    name: 'memory passed to a global function may be written: a pointer spilled there becomes a scalar',
    body: ['*(u64 *)(r10 -8) = r1', 'r1 = r10', 'r1 += -8', 'call f1', 'r1 = *(u64 *)(r10 -8)', 'r0 = *(u32 *)(r1 +0)', 'exit', 'f1:', 'r0 = 0', 'exit'],
    decls: [G_PAIR], want: 'R1 invalid mem access \'scalar\'', processed: 6,
  },
  {
    name: 'a scalar argument must be a scalar',
    body: ['r1 = r10', 'call f1', 'exit', 'f1:', 'r0 = r1', 'exit'],
    decls: [G_INT], want: 'R1 is not a scalar\nCaller passes invalid args into func#1 (\'f1\')', processed: 2,
  },
  {
    name: 'a context argument must be the context',
    body: ['r1 = 0', 'call f1', 'exit', 'f1:', 'r0 = 0', 'exit'],
    decls: [G_CTX], want: 'arg#0 expects pointer to ctx\nCaller passes invalid args into func#1 (\'f1\')', processed: 2,
  },
  {
    name: 'a global function returning a pointer is refused at the call',
    body: ['call f1', 'r0 = 0', 'exit', 'f1:', 'r0 = 0', 'exit'],
    decls: [{ global: true, params: ['ctx'], ret: 'ptr' }],
    want: 'Global function f1() doesn\'t return scalar. Only those are supported.\nCaller passes invalid args into func#1 (\'f1\')', processed: 1,
  },
  {
    name: 'a global function on a path never taken is not verified',
    body: ['r0 = 0', 'if r0 == 0 goto out', 'call f1', 'out:', 'exit', 'f1:', 'r0 = *(u64 *)(r1 +0)', 'exit'],
    decls: [G_INT], want: '', processed: 3,
  },
  {
    name: 'global functions called by global functions are verified in subprogram order, until none is new',
    body: ['r1 = 1', 'call f2', 'exit', 'f1:', 'r0 = r1', 'exit', 'f2:', 'call f1', 'exit'],
    decls: [G_INT, G_INT], want: '', processed: 7,
  },
  {
    name: 'a static function may call a global one, and the global one a static one',
    body: ['r1 = 1', 'call f1', 'exit', 'f1:', 'call f2', 'exit', 'f2:', 'call f3', 'exit', 'f3:', 'r0 = r1', 'exit'],
    decls: [S_INT, G_INT, S_INT], want: '', processed: 9,
  },
  {
    name: 'precision flows back past a global call to the registers it keeps',
    body: ['r6 = 8', 'r1 = 1', 'call f1', 'r2 = r10', 'r2 += -16', '*(u64 *)(r10 -8) = r0', '*(u64 *)(r10 -16) = r0', 'r2 += r6',
      'r0 = *(u64 *)(r2 +0)', 'exit', 'f1:', 'r0 = r1', 'exit'],
    decls: [G_INT], want: '', processed: 12,
  },
  {
    name: 'the stacks of a global function and its callers add up',
    body: ['r1 = 0', '*(u64 *)(r10 -400) = r1', 'call f1', 'exit', 'f1:', 'r1 = 0', '*(u64 *)(r10 -200) = r1', 'r0 = 0', 'exit'],
    decls: [G_INT], want: 'Func#1 (\'f1\') is safe for any args that match its prototype\ncombined stack size of 2 calls is 608. Too large', processed: 8,
  },
  {
    name: 'a global function may not call itself',
    body: ['r1 = 3', 'call f1', 'exit', 'f1:', 'r1 -= 1', 'if r1 == 0 goto out', 'call f1', 'out:', 'r0 = 0', 'exit'],
    decls: [G_INT], want: 'Func#1 (\'f1\') is safe for any args that match its prototype\nthe call stack of 8 frames is too deep !', processed: 10,
  },
  {
    name: 'a chain of calls through a global function has at most 8 frames',
    body: ['call f1', 'exit', 'f1:', 'call f2', 'exit', 'f2:', 'call f3', 'exit', 'f3:', 'call f4', 'exit', 'f4:', 'call f5', 'exit',
      'f5:', 'call f6', 'exit', 'f6:', 'call f7', 'exit', 'f7:', 'r1 = 1', 'call f8', 'exit', 'f8:', 'r0 = 0', 'exit'],
    decls: [S_INT, S_INT, S_INT, S_INT, S_INT, S_INT, S_INT, G_INT], want: 'Func#8 (\'f8\') is safe for any args that match its prototype\nthe call stack of 8 frames is too deep !', processed: 19,
  },
  {
    name: 'branches in the main program and in a global function are explored as the kernel explores them',
    body: ['r6 = r1', 'call bpf_get_prandom_u32', 'r7 = r0', 'if r7 > 5 goto a', 'r7 = 1', 'a:', 'if r7 > 9 goto b', 'r7 = 2', 'b:', 'r1 = r7', 'call f1', 'r0 = 0', 'exit',
      'f1:', 'r6 = r1', 'if r6 > 3 goto c', 'r6 = 4', 'c:', 'if r6 > 7 goto d', 'r6 = 8', 'd:', 'r0 = r6', 'exit'],
    decls: [G_INT], want: '', processed: 27,
  },
  {
    name: 'a tail call in a global function forgets the caller\'s packet pointers',
    body: ['r2 = *(u32 *)(r1 +0)', 'r3 = *(u32 *)(r1 +4)', 'r4 = r2', 'r4 += 1', 'if r4 > r3 goto out', 'r6 = r2', 'call f1', 'r0 = *(u8 *)(r6 +0)', 'out:', 'r0 = 0', 'exit',
      'f1:', 'r2 = 0', 'r3 = 0', 'call bpf_tail_call', 'r0 = 0', 'exit'],
    decls: [G_CTX], want: 'R6 invalid mem access \'scalar\'', processed: 8,
  },
  {
    name: 'no global function call while holding a lock, unlike a static one',
    body: ['r1 = 0', '*(u32 *)(r10 -4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map[idx:0]', 'call bpf_map_lookup_elem', 'if r0 == 0 goto out',
      'r6 = r0', 'r1 = r6', 'r1 += 8', 'call bpf_spin_lock', 'r1 = 1', 'call f1', 'r1 = 1', 'call f2', 'r1 = r6', 'r1 += 8', 'call bpf_spin_unlock',
      'out:', 'r0 = 0', 'exit', 'f1:', 'r0 = r1', 'exit', 'f2:', 'r0 = r1', 'exit'],
    decls: [S_INT, G_INT], locked: true,
    want: 'global function calls are not allowed while holding a lock,\nuse static function instead', processed: 17,
  },
];

interface Outcome {
  readonly reason: string;
  readonly processed: number;
}

function outcome(backend: Backend, c: Case): Outcome {
  const insns = assemble(c.body.join('\n')).insns;
  try {
    const btf = c.noBtf ? {} : { btf: globalFuncBtf(insns, c.decls) };
    const maps = c.locked ? { maps: [backend.createMap(lockedArray())] } : {};
    const r = backend.loadProgram({ type: BPF_PROG_TYPE_XDP, insns, logLevel: 1, name: 'globals', ...btf, ...maps });
    r.program.close();
    return { reason: '', processed: r.verifiedInsns ?? -1 };
  } catch (e) {
    const log = (e as { log?: string }).log ?? String(e);
    const processed = Number(/processed (\d+) insns/.exec(log)?.[1] ?? -1);
    return { reason: kernelReason(log), processed };
  }
}

const available = kernelAvailable();
if (!available.ok) console.log(`skipping the kernel's side of the global function tests: ${available.reason}`);
const sim = new SimBackend();
const kernel = available.ok ? new KernelBackend() : undefined;
afterAll(() => {
  sim.close();
  kernel?.close();
});

/** Refused programs whose level-1 log also has what the kernel only logs about BTF prototypes. */
const LOGGED = [
  {
    name: 'a static function given a pointer for an integer: logged, and its BTF no longer checked',
    body: ['r6 = r1', 'call f1', 'r1 = r6', 'call f1', 'r0 = *(u8 *)(r6 +100)', 'exit', 'f1:', 'r0 = 1', 'exit'],
    decls: [S_INT], main: undefined, log: /^1: \(85\) call pc\+4\nR1 is not a scalar\ncaller:\n(?![\s\S]*not a scalar)/m,
  },
  {
    name: 'a main program whose `void *` argument has no size: logged before the walk',
    body: ['r0 = *(u8 *)(r1 +100)', 'exit'],
    decls: [], main: { global: true, params: ['void*'] } as FuncDecl, log: /^arg#0 reference type\('UNKNOWN '\) size cannot be determined: -22\n0: R1=ctx\(\) R10=fp0\n/,
  },
];

function refusalLog(backend: Backend, c: (typeof LOGGED)[number]): string {
  const insns = assemble(c.body.join('\n')).insns;
  try {
    backend.loadProgram({ type: BPF_PROG_TYPE_XDP, insns, logLevel: 1, name: 'globals', btf: globalFuncBtf(insns, c.decls, c.main) }).program.close();
    return 'accepted';
  } catch (e) {
    return (e as { log?: string }).log ?? String(e);
  }
}

describe('what the kernel only logs', () => {
  test.each(LOGGED)('bpfsim: $name', (c) => {
    expect(refusalLog(sim, c)).toMatch(c.log);
  });

  test.skipIf(!kernel).each(LOGGED)('kernel: $name', (c) => {
    expect(refusalLog(kernel!, c)).toMatch(c.log);
  });
});

describe('global functions', () => {
  test.each(CASES)('bpfsim: $name', (c) => {
    expect(outcome(sim, c)).toEqual({ reason: c.want, processed: c.processed });
  });

  test.skipIf(!kernel).each(CASES)('kernel: $name', (c) => {
    expect(outcome(kernel!, c)).toEqual({ reason: c.want, processed: c.processed });
  });
});
