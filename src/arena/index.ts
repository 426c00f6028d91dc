export * from './region.js';
export * from './arena.js';
