// Validating evaluated attributes against a resource type's zod schema: the one implementation
// lives in src/model/attribute-schema.ts (the Pulumi providers use it too); the engine and the
// terraform plugin import it from here.
export { schemaKeys, validateAttributes, type SchemaOwner } from '../model/attribute-schema.js';
