export * from './opcodes.js';
export * from './insn.js';
export * from './encoding.js';
export * from './validate.js';
