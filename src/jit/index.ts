export { jit } from './engine.js';
export { JitExecutable } from './executable.js';
export type { JitHost } from './executable.js';
export { compileProgram } from './compile.js';
export type { CompileOptions, CompiledProgram, JitStats } from './compile.js';
