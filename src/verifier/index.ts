/*
 * The verifier: Linux's rules for privileged loads, its verdicts and its log. Underneath, the
 * abstract domain for scalars (tnums, bounds, ALU and branch transfer functions, log printing),
 * register and stack state, and the per-type context access and helper prototype sources.
 */
export * from './tnum.js';
export * from './scalar.js';
export * from './alu.js';
export * from './branch.js';
export * from './print.js';
export * from './bench.js';
export {
  RegState, RegType, MAYBE_NULL, RDONLY, RINGBUF, TRUSTED, RCU, UNTRUSTED, USER, PERCPU, regTypeName, formatReg, type MapInfo, type BtfTypeNamer,
} from './regState.js';
export { BtfPtrFlag, type AttachProto, type CtxArgType, type KernelTypes, type StructAccess } from './kernelTypes.js';
export { FuncState, VerifierState, Slot, formatState } from './state.js';
export { VerifierError } from './log.js';
export { ctxAccessTable, type CtxAccessTable, type CtxFieldType } from './ctxAccess.js';
export { defaultHelperProtos, helperTableProtos, type HelperProtoSource } from './helperProtos.js';
export {
  verifyProgram, COMPLEXITY_LIMIT_INSNS, type VerifyOptions, type VerifyProgramOptions, type VerifyResult, type VerifyError,
  type VerifyStats,
} from './verify.js';
export { VerifierRejectedError, mapInfoOf, verifyLoad } from './load.js';
