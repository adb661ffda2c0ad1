// The protobuf side of the plugin: the message types of proto/tfplugin6.proto,
// proto/go-plugin.proto and proto/health.proto, and gRPC service definitions built from them.
//
// Start-up matters (terraform launches the plugin 3–5 times per command), so the bundled
// executable does not parse .proto text: the build (scripts/build-provider.mjs) compiles the
// three files into a protobufjs JSON descriptor and embeds it, and this module rebuilds the
// types with protobufjs/light (≈3 ms) and serializes with them directly, instead of
// @grpc/proto-loader (≈50–250 ms on this machine to parse and build reflection descriptors). Run
// from source (tests), the .proto files are parsed at first use, by the same protobufjs.
// docs/terraform-protocol.md has the measurements.

import type { ServiceDefinition } from '@grpc/grpc-js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs/light.js';

/** The JSON descriptor the bundle embeds (esbuild `define`); undefined when run from source. */
declare const __CMEK_PROTO_DESCRIPTOR__: protobuf.INamespace | undefined;

export const PROTO_FILES = ['tfplugin6.proto', 'go-plugin.proto', 'health.proto'] as const;

/** The proto/ folder of the package, when run from source (src/terraform/wire → ../../../proto). */
export function protoDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'proto');
}

/** Parse the .proto files into a descriptor (what the build embeds). */
export function compileDescriptor(dir = protoDir()): protobuf.INamespace {
  const full = createRequire(import.meta.url)('protobufjs') as typeof protobuf;
  const root = new full.Root();
  root.loadSync(
    PROTO_FILES.map((f) => join(dir, f)),
    { keepCase: true },
  );
  return root.toJSON();
}

let cached: protobuf.Root | undefined;

export function protoRoot(): protobuf.Root {
  if (cached) return cached;
  const json =
    typeof __CMEK_PROTO_DESCRIPTOR__ !== 'undefined'
      ? __CMEK_PROTO_DESCRIPTOR__
      : compileDescriptor();
  cached = protobuf.Root.fromJSON(json);
  cached.resolveAll();
  return cached;
}

/** How decoded messages look: snake_case names as in the .proto, int64 as numbers, enums as
 * their names, defaults filled in, and the name of the set member of each oneof. */
const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  bytes: Buffer as unknown as protobuf.IConversionOptions['bytes'],
  defaults: true,
  oneofs: true,
};

/** A gRPC service definition for a protobuf service, messages as plain objects. */
export function serviceDefinition(fullName: string): ServiceDefinition {
  const service = protoRoot().lookupService(fullName);
  const def: Record<string, unknown> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const req = method.resolvedRequestType!;
    const res = method.resolvedResponseType!;
    def[method.name] = {
      path: `/${fullName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (o: object) => Buffer.from(req.encode(req.fromObject(o)).finish()),
      requestDeserialize: (b: Buffer) => req.toObject(req.decode(b), TO_OBJECT),
      responseSerialize: (o: object) => Buffer.from(res.encode(res.fromObject(o)).finish()),
      responseDeserialize: (b: Buffer) => res.toObject(res.decode(b), TO_OBJECT),
      originalName: method.name,
    };
  }
  return def as ServiceDefinition;
}
