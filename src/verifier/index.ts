/*
 * The verifier's abstract domain for scalars: tnums, the bounds a register carries, the ALU
 * transfer functions, conditional-jump refinement and the log's printing of scalar states.
 */
export * from './tnum.js';
export * from './scalar.js';
export * from './alu.js';
export * from './branch.js';
export * from './print.js';
export * from './bench.js';
