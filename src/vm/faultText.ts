import { MAX_CALL_FRAMES } from '../isa/index.js';

/**
 * The sentences of `VmFault.detail`, shared by every engine so that a fault reads the same
 * whichever engine ran the program (the differential tests compare messages); checked mode's
 * memory faults are `accessFault`'s.
 */
export const faultText = {
  /** The instruction budget ran out in the program. */
  budget: (budget: number): string => `the instruction budget of ${budget} ran out (an endless loop? raise the budget to run longer)`,
  /** The instruction budget ran out inside a callback (reported at the helper call that made it). */
  callbackBudget: (budget: number): string => `the instruction budget of ${budget} ran out in a callback`,
  /** A bpf-to-bpf call from frame `depth` (0-based) would exceed MAX_CALL_FRAMES. */
  callDepth: (depth: number): string => `the call would be frame ${depth + 2}; BPF allows ${MAX_CALL_FRAMES} frames`,
  /** A callback called from frame `depth` would exceed MAX_CALL_FRAMES. */
  callbackDepth: (depth: number): string => `the callback would be frame ${depth + 2}; BPF allows ${MAX_CALL_FRAMES} frames`,
  /** A helper asked to call back something that is no BPF function of the program. */
  notAFunction: (fn: number): string => `${fn} is not a BPF function of this program`,
  /** A call to a helper id the machine does not define. */
  unknownHelper: (id: number): string => `helper ${id} is not defined on this machine`,
  /** A kfunc call. */
  kfunc: (id: number): string => `kfunc ${id} cannot be called: no kfunc with that BTF id is defined on this machine`,
  /** LD_ABS/LD_IND out of the packet inside a BPF function. */
  ldAbsInCall: 'a failed LD_ABS/LD_IND inside a BPF function cannot unwind the caller',
  /** An opcode no instruction has. */
  invalidOpcode: (op: number): string => `opcode 0x${op.toString(16).padStart(2, '0')} is not a valid instruction`,
  /** Unchecked mode: an access outside the memory (`why`: the host's own message). */
  outsideMemory: (why: string): string => `memory access outside the machine's memory (${why}); run in checked mode to see the address`,
  /** The text of a slot past the end of the program. */
  noInsn: (pc: number): string => `<no instruction at ${pc}>`,
} as const;
