// The library entry point (`import { ... } from 'cmek'`): the engine API and the core.
export * from './diagnostics.js';
export * from './kms/types.js';
export * from './core/index.js';
export { MemoryKms } from './kms/memory.js';
export * from './engine/index.js';
