export * from './programs.js';
export * from './run.js';
