/**
 * bpfsim: an in-process eBPF virtual machine, verifier and network simulator.
 * This entry point is browser-safe; the real-kernel backend is `bpfsim/kernel` (Node on Linux).
 */
export * from './errors.js';
export * from './isa/index.js';
export * from './arena/index.js';
export * from './helpers/index.js';
export * from './vm/index.js';
export * from './errno.js';
export * from './uapi.js';
export * from './jit/index.js';
export * from './machines.js';
