export * from './prepare.js';
export * from './render.js';
export * from './helpers.js';
