// What `import ... from 'cmek'` gives the doc examples: the core and the in-memory KMS (both
// re-exported by src/index.ts), and the KMS types. See docs-examples.test.ts.
export * from '../../src/core/index.js';
export { MemoryKms } from '../../src/kms/memory.js';
export * from '../../src/kms/types.js';
