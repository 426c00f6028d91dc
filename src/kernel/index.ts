/*
 * The real-kernel backend's foundation: the bpf() addon, its typed wrappers, errno-carrying
 * errors, fd ownership and the UAPI constants. Node-only: nothing outside src/kernel imports it
 * unconditionally.
 */
export * from './addon.js';
export * from './available.js';
export * from './errno.js';
export * from './fd.js';
export * from './syscall.js';
export * from '../uapi.js';
export * from './kernelMap.js';
export * from './backend.js';
