// The operation table of the wire server: one entry per `TrentService.<Operation>`, each a zod
// schema for the request (AWS's member names and limits) and a handler that calls the local KMS
// as the authenticated principal and shapes the response like AWS KMS does. Authorization (key
// policies) is the local KMS's job: the server never decides who may do what.
import { z } from 'zod';
import type {
  DataKeyPairSpec,
  LocalKeyMetadata,
  LocalKeySpec,
  LocalKmsClient,
} from '../local/index.js';
import { parseKeyRef } from '../../model/key-ref.js';
import type { KeyMetadata } from '../types.js';
import { compact, decodeBlob, encodeBlob, epochSeconds, WireError } from './protocol.js';

export interface OperationContext {
  /** The local KMS client bound to the caller's principal and region. */
  client: LocalKmsClient;
  /** Region of the request (from the SigV4 credential scope). */
  region: string;
  principal: string;
}

type Handler = (ctx: OperationContext, input: unknown) => Promise<Record<string, unknown>>;

function op<S extends z.ZodType>(
  schema: S,
  fn: (ctx: OperationContext, input: z.output<S>) => Promise<Record<string, unknown>>,
): Handler {
  return async (ctx, raw) => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw validationError(parsed.error);
    return fn(ctx, parsed.data);
  };
}

/** AWS's wording: "1 validation error detected: Value at 'keyId' failed to satisfy constraint:
 * Member must not be null". */
function validationError(err: z.ZodError): WireError {
  const n = err.issues.length;
  const parts = err.issues.map((i) => {
    const path = i.path.map(String).join('.');
    const member = path ? path.charAt(0).toLowerCase() + path.slice(1) : 'request';
    const constraint =
      i.code === 'invalid_type' && i.input === undefined ? 'Member must not be null' : i.message;
    return `Value at '${member}' failed to satisfy constraint: ${constraint}`;
  });
  return new WireError(
    'ValidationException',
    `${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`,
  );
}

// ---- shared member schemas (AWS API limits) ----
const KeyId = z.string().min(1).max(2048);
const Context = z.record(z.string(), z.string()).optional();
const GrantTokens = z.array(z.string()).max(10).optional();
const Blob = z.string();
const Limit = z.number().int().min(1).max(1000).optional();
const Marker = z.string().min(1).max(1024).optional();
const SymmetricAlgorithm = z
  .literal('SYMMETRIC_DEFAULT', {
    error: 'the local KMS encrypts with symmetric keys only: use SYMMETRIC_DEFAULT',
  })
  .optional();
const DryRun = z.literal(false, { error: 'DryRun is not supported by cmek kms serve' }).optional();

function blob(value: string, member: string, max: number): Uint8Array {
  const bytes = decodeBlob(value, member);
  if (bytes.length < 1 || bytes.length > max) {
    throw new WireError(
      'ValidationException',
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length between 1 and ${max}`,
    );
  }
  return bytes;
}

/** Keys are regional: a key or alias ARN of another region is not found at this endpoint, as at
 * AWS's regional endpoints. Bare ids and alias names are resolved by the local KMS in the
 * request's region (it is given the region with the client). */
function inRegion(ctx: OperationContext, keyId: string): string {
  const r = parseKeyRef(keyId);
  if (r.ok && r.ref.provider === 'aws' && r.ref.region && r.ref.region !== ctx.region) {
    throw new WireError('NotFoundException', `Invalid arn ${ctx.region}`);
  }
  return keyId;
}

/** Paginate like AWS list operations: an opaque marker, `Truncated`, `NextMarker`. */
function page<T>(
  items: readonly T[],
  limit: number | undefined,
  marker: string | undefined,
): { items: T[]; truncated: boolean; nextMarker?: string } {
  let start = 0;
  if (marker !== undefined) {
    const m = /^cmek:(\d+)$/.exec(Buffer.from(marker, 'base64url').toString('utf8'));
    if (!m) throw new WireError('InvalidMarkerException', 'The marker is not valid.');
    start = Number(m[1]);
  }
  const size = limit ?? 100;
  const slice = items.slice(start, start + size);
  const end = start + slice.length;
  return end < items.length
    ? {
        items: slice,
        truncated: true,
        nextMarker: Buffer.from(`cmek:${end}`).toString('base64url'),
      }
    : { items: slice, truncated: false };
}

function keySpecOf(md: KeyMetadata): LocalKeySpec {
  return (md as Partial<LocalKeyMetadata>).keySpec ?? 'SYMMETRIC_DEFAULT';
}

function keyUsageOf(spec: LocalKeySpec): 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' {
  return spec === 'ECC_NIST_P256' ? 'SIGN_VERIFY' : 'ENCRYPT_DECRYPT';
}

/** KeyMetadata as AWS KMS serializes it. Key versions travel as `CurrentKeyMaterialId` (AWS's
 * ids are 64 hex digits; ours are "1", "2", ...). */
export function keyMetadataToWire(md: KeyMetadata): Record<string, unknown> {
  const spec = keySpecOf(md);
  const usage = keyUsageOf(spec);
  const local = md as Partial<LocalKeyMetadata>;
  return compact({
    AWSAccountId: md.account,
    KeyId: md.keyId,
    Arn: md.arn,
    CreationDate: epochSeconds(md.creationDate),
    Enabled: md.enabled,
    Description: md.description,
    KeyUsage: usage,
    KeyState: md.keyState,
    DeletionDate: epochSeconds(md.deletionDate),
    PendingDeletionWindowInDays: md.pendingDeletionWindowInDays,
    Origin: 'AWS_KMS',
    KeyManager: md.keyManager,
    CustomerMasterKeySpec: spec,
    KeySpec: spec,
    EncryptionAlgorithms:
      spec === 'SYMMETRIC_DEFAULT'
        ? ['SYMMETRIC_DEFAULT']
        : spec === 'RSA_2048'
          ? ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']
          : undefined,
    SigningAlgorithms: usage === 'SIGN_VERIFY' ? ['ECDSA_SHA_256'] : undefined,
    MultiRegion: md.multiRegion,
    MultiRegionConfiguration: md.multiRegion
      ? { MultiRegionKeyType: local.multiRegionRole ?? 'PRIMARY' }
      : undefined,
    CurrentKeyMaterialId: md.primaryVersion,
  });
}

const Tags = z
  .array(z.object({ TagKey: z.string().min(1).max(128), TagValue: z.string().max(256) }))
  .max(50)
  .optional();

function tagsOf(tags: z.output<typeof Tags>): Record<string, string> | undefined {
  if (!tags || tags.length === 0) return undefined;
  return Object.fromEntries(tags.map((t) => [t.TagKey, t.TagValue]));
}

const DataKeyPairSpecS = z.enum(['RSA_2048', 'ECC_NIST_P256'], {
  error: 'the local KMS generates RSA_2048 and ECC_NIST_P256 data key pairs',
});

function numberOfBytes(i: { NumberOfBytes?: number; KeySpec?: 'AES_256' | 'AES_128' }): number {
  if (i.NumberOfBytes !== undefined && i.KeySpec !== undefined) {
    throw new WireError(
      'ValidationException',
      'Please specify either number of bytes or key spec.',
    );
  }
  if (i.NumberOfBytes !== undefined) return i.NumberOfBytes;
  if (i.KeySpec !== undefined) return i.KeySpec === 'AES_128' ? 16 : 32;
  throw new WireError('ValidationException', 'Please specify either number of bytes or key spec.');
}

const GenerateDataKeyInput = z.object({
  KeyId,
  EncryptionContext: Context,
  NumberOfBytes: z.number().int().min(1).max(1024).optional(),
  KeySpec: z.enum(['AES_256', 'AES_128']).optional(),
  GrantTokens,
  DryRun,
  Recipient: z.undefined({ error: 'Recipient (Nitro Enclaves) is not supported' }).optional(),
});

const DataKeyPairInput = z.object({
  KeyId,
  KeyPairSpec: DataKeyPairSpecS,
  EncryptionContext: Context,
  GrantTokens,
  DryRun,
  Recipient: z.undefined({ error: 'Recipient (Nitro Enclaves) is not supported' }).optional(),
});

const KeyOnly = z.object({ KeyId });

export const OPERATIONS: Readonly<Record<string, Handler>> = {
  CreateKey: op(
    z.object({
      Policy: z.string().min(1).max(32768).optional(),
      Description: z.string().max(8192).optional(),
      KeyUsage: z.enum(['ENCRYPT_DECRYPT', 'SIGN_VERIFY']).optional(),
      CustomerMasterKeySpec: z.enum(['SYMMETRIC_DEFAULT', 'RSA_2048', 'ECC_NIST_P256']).optional(),
      KeySpec: z
        .enum(['SYMMETRIC_DEFAULT', 'RSA_2048', 'ECC_NIST_P256'], {
          error: 'the local KMS supports SYMMETRIC_DEFAULT, RSA_2048 and ECC_NIST_P256 keys',
        })
        .optional(),
      Origin: z.literal('AWS_KMS', { error: 'only AWS_KMS key material is supported' }).optional(),
      BypassPolicyLockoutSafetyCheck: z.boolean().optional(),
      Tags,
      MultiRegion: z.boolean().optional(),
      CustomKeyStoreId: z.undefined({ error: 'custom key stores are not supported' }).optional(),
      XksKeyId: z.undefined({ error: 'external key stores are not supported' }).optional(),
    }),
    async (ctx, i) => {
      const keySpec = i.KeySpec ?? i.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT';
      const usage = i.KeyUsage ?? 'ENCRYPT_DECRYPT';
      if (usage !== keyUsageOf(keySpec)) {
        throw new WireError(
          'ValidationException',
          `KeyUsage ${usage} is not compatible with KeySpec ${keySpec} in the local KMS`,
        );
      }
      const md = await ctx.client.createKey(
        compactInput({
          region: ctx.region,
          description: i.Description,
          policy: i.Policy,
          bypassPolicyLockoutSafetyCheck: i.BypassPolicyLockoutSafetyCheck,
          multiRegion: i.MultiRegion,
          tags: tagsOf(i.Tags),
          keySpec,
        }),
      );
      return { KeyMetadata: keyMetadataToWire(md) };
    },
  ),

  ReplicateKey: op(
    z.object({
      KeyId,
      ReplicaRegion: z.string().min(1).max(32),
      Policy: z.string().min(1).max(32768).optional(),
      BypassPolicyLockoutSafetyCheck: z.boolean().optional(),
      Description: z.string().max(8192).optional(),
      Tags,
    }),
    async (ctx, i) => {
      const md = await ctx.client.replicateKey(inRegion(ctx, i.KeyId), i.ReplicaRegion, {
        description: i.Description,
        policy: i.Policy,
        bypassPolicyLockoutSafetyCheck: i.BypassPolicyLockoutSafetyCheck,
        tags: tagsOf(i.Tags),
      });
      return compact({
        ReplicaKeyMetadata: keyMetadataToWire(md),
        ReplicaTags: i.Tags,
      });
    },
  ),

  DescribeKey: op(z.object({ KeyId, GrantTokens }), async (ctx, i) => {
    // A purged local key keeps a tombstone (KeyState `Destroyed`) where AWS would answer
    // NotFoundException: shown as is, so both backends report crypto-shredding the same way.
    const md = await ctx.client.describeKey(inRegion(ctx, i.KeyId));
    return { KeyMetadata: keyMetadataToWire(md) };
  }),

  ListKeys: op(z.object({ Limit, Marker }), async (ctx, i) => {
    const keys = (await ctx.client.listKeys()).filter(
      (k) => k.provider === 'aws' && k.region === ctx.region,
    );
    const p = page(keys, i.Limit, i.Marker);
    return compact({
      Keys: p.items.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
      Truncated: p.truncated,
      NextMarker: p.nextMarker,
    });
  }),

  ListResourceTags: op(z.object({ KeyId, Limit, Marker }), async (ctx, i) => {
    // Terraform's AWS provider reads tags after every aws_kms_key read. The local KMS keeps the
    // tags given at creation; they travel in its metadata when it exposes them.
    const md = (await ctx.client.describeKey(inRegion(ctx, i.KeyId))) as KeyMetadata & {
      tags?: Record<string, string>;
    };
    if (md.tags === undefined) {
      throw new WireError(
        'UnsupportedOperationException',
        'ListResourceTags: this local KMS does not expose key tags',
      );
    }
    const p = page(
      Object.entries(md.tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
      i.Limit,
      i.Marker,
    );
    return compact({ Tags: p.items, Truncated: p.truncated, NextMarker: p.nextMarker });
  }),

  UpdateKeyDescription: op(
    z.object({ KeyId, Description: z.string().max(8192) }),
    async (ctx, i) => {
      await ctx.client.updateKeyDescription(inRegion(ctx, i.KeyId), i.Description);
      return {};
    },
  ),

  GetKeyPolicy: op(
    z.object({ KeyId, PolicyName: z.literal('default').optional() }),
    async (ctx, i) => ({
      Policy: await ctx.client.getKeyPolicy(inRegion(ctx, i.KeyId)),
      PolicyName: 'default',
    }),
  ),

  PutKeyPolicy: op(
    z.object({
      KeyId,
      PolicyName: z.literal('default').optional(),
      Policy: z.string().min(1).max(32768),
      BypassPolicyLockoutSafetyCheck: z.boolean().optional(),
    }),
    async (ctx, i) => {
      await ctx.client.putKeyPolicy(
        inRegion(ctx, i.KeyId),
        i.Policy,
        i.BypassPolicyLockoutSafetyCheck,
      );
      return {};
    },
  ),

  ListKeyPolicies: op(z.object({ KeyId, Limit, Marker }), async (ctx, i) => {
    // Checks the key exists and the caller may see it; every key has exactly one policy.
    await ctx.client.getKeyPolicy(inRegion(ctx, i.KeyId));
    return { PolicyNames: ['default'], Truncated: false };
  }),

  Encrypt: op(
    z.object({
      KeyId,
      Plaintext: Blob,
      EncryptionContext: Context,
      GrantTokens,
      EncryptionAlgorithm: SymmetricAlgorithm,
      DryRun,
    }),
    async (ctx, i) => {
      const out = await ctx.client.encrypt(
        compactInput({
          keyId: inRegion(ctx, i.KeyId),
          plaintext: blob(i.Plaintext, 'plaintext', 4096),
          context: i.EncryptionContext,
        }),
      );
      return {
        CiphertextBlob: encodeBlob(out.ciphertextBlob),
        KeyId: out.keyId,
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
  ),

  Decrypt: op(
    z.object({
      CiphertextBlob: Blob,
      EncryptionContext: Context,
      GrantTokens,
      KeyId: KeyId.optional(),
      EncryptionAlgorithm: SymmetricAlgorithm,
      DryRun,
      Recipient: z.undefined({ error: 'Recipient (Nitro Enclaves) is not supported' }).optional(),
    }),
    async (ctx, i) => {
      const out = await ctx.client.decrypt(
        compactInput({
          ciphertextBlob: blob(i.CiphertextBlob, 'ciphertextBlob', 6144),
          context: i.EncryptionContext,
          keyId: i.KeyId === undefined ? undefined : inRegion(ctx, i.KeyId),
        }),
      );
      return compact({
        KeyId: out.keyId,
        Plaintext: encodeBlob(out.plaintext),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        KeyMaterialId: out.keyVersion,
      });
    },
  ),

  ReEncrypt: op(
    z.object({
      CiphertextBlob: Blob,
      SourceEncryptionContext: Context,
      SourceKeyId: KeyId.optional(),
      DestinationKeyId: KeyId,
      DestinationEncryptionContext: Context,
      SourceEncryptionAlgorithm: SymmetricAlgorithm,
      DestinationEncryptionAlgorithm: SymmetricAlgorithm,
      GrantTokens,
      DryRun,
    }),
    async (ctx, i) => {
      const out = await ctx.client.reEncrypt(
        compactInput({
          ciphertextBlob: blob(i.CiphertextBlob, 'ciphertextBlob', 6144),
          sourceContext: i.SourceEncryptionContext,
          sourceKeyId: i.SourceKeyId === undefined ? undefined : inRegion(ctx, i.SourceKeyId),
          destinationKeyId: inRegion(ctx, i.DestinationKeyId),
          destinationContext: i.DestinationEncryptionContext,
        }),
      );
      return compact({
        CiphertextBlob: encodeBlob(out.ciphertextBlob),
        SourceKeyId: out.sourceKeyId,
        KeyId: out.keyId,
        SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        DestinationKeyMaterialId: out.keyVersion,
      });
    },
  ),

  GenerateDataKey: op(GenerateDataKeyInput, async (ctx, i) => {
    const out = await ctx.client.generateDataKey(
      compactInput({
        keyId: inRegion(ctx, i.KeyId),
        context: i.EncryptionContext,
        numberOfBytes: numberOfBytes(i),
      }),
    );
    return compact({
      CiphertextBlob: encodeBlob(out.ciphertextBlob),
      Plaintext: encodeBlob(out.plaintext),
      KeyId: out.keyId,
      KeyMaterialId: out.keyVersion,
    });
  }),

  GenerateDataKeyWithoutPlaintext: op(GenerateDataKeyInput, async (ctx, i) => {
    const out = await ctx.client.generateDataKeyWithoutPlaintext(
      compactInput({
        keyId: inRegion(ctx, i.KeyId),
        context: i.EncryptionContext,
        numberOfBytes: numberOfBytes(i),
      }),
    );
    return compact({
      CiphertextBlob: encodeBlob(out.ciphertextBlob),
      KeyId: out.keyId,
      KeyMaterialId: out.keyVersion,
    });
  }),

  GenerateDataKeyPair: op(DataKeyPairInput, async (ctx, i) => {
    const out = await ctx.client.generateDataKeyPair(
      compactInput({
        keyId: inRegion(ctx, i.KeyId),
        keyPairSpec: i.KeyPairSpec as DataKeyPairSpec,
        context: i.EncryptionContext,
      }),
    );
    return compact({
      PrivateKeyCiphertextBlob: encodeBlob(out.privateKeyCiphertextBlob),
      PrivateKeyPlaintext: encodeBlob(out.privateKeyPlaintext),
      PublicKey: encodeBlob(out.publicKey),
      KeyId: out.keyId,
      KeyPairSpec: out.keyPairSpec,
      KeyMaterialId: out.keyVersion,
    });
  }),

  GenerateDataKeyPairWithoutPlaintext: op(DataKeyPairInput, async (ctx, i) => {
    const out = await ctx.client.generateDataKeyPairWithoutPlaintext(
      compactInput({
        keyId: inRegion(ctx, i.KeyId),
        keyPairSpec: i.KeyPairSpec as DataKeyPairSpec,
        context: i.EncryptionContext,
      }),
    );
    return compact({
      PrivateKeyCiphertextBlob: encodeBlob(out.privateKeyCiphertextBlob),
      PublicKey: encodeBlob(out.publicKey),
      KeyId: out.keyId,
      KeyPairSpec: out.keyPairSpec,
      KeyMaterialId: out.keyVersion,
    });
  }),

  GetPublicKey: op(z.object({ KeyId, GrantTokens }), async (ctx, i) => {
    const out = await ctx.client.getPublicKey(inRegion(ctx, i.KeyId));
    return compact({
      KeyId: out.keyId,
      PublicKey: encodeBlob(out.publicKey),
      CustomerMasterKeySpec: out.keySpec,
      KeySpec: out.keySpec,
      KeyUsage: out.keyUsage,
      EncryptionAlgorithms:
        out.keyUsage === 'ENCRYPT_DECRYPT' ? ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] : undefined,
      SigningAlgorithms: out.keyUsage === 'SIGN_VERIFY' ? ['ECDSA_SHA_256'] : undefined,
    });
  }),

  EnableKey: op(KeyOnly, async (ctx, i) => {
    await ctx.client.enableKey(inRegion(ctx, i.KeyId));
    return {};
  }),

  DisableKey: op(KeyOnly, async (ctx, i) => {
    await ctx.client.disableKey(inRegion(ctx, i.KeyId));
    return {};
  }),

  ScheduleKeyDeletion: op(
    z.object({ KeyId, PendingWindowInDays: z.number().int().min(7).max(30).optional() }),
    async (ctx, i) => {
      const md = await ctx.client.scheduleKeyDeletion(
        inRegion(ctx, i.KeyId),
        i.PendingWindowInDays,
      );
      return compact({
        KeyId: md.arn,
        DeletionDate: epochSeconds(md.deletionDate),
        KeyState: md.keyState,
        PendingWindowInDays: md.pendingDeletionWindowInDays ?? i.PendingWindowInDays ?? 30,
      });
    },
  ),

  CancelKeyDeletion: op(KeyOnly, async (ctx, i) => {
    const md = await ctx.client.cancelKeyDeletion(inRegion(ctx, i.KeyId));
    return { KeyId: md.arn };
  }),

  EnableKeyRotation: op(
    z.object({ KeyId, RotationPeriodInDays: z.number().int().min(90).max(2560).optional() }),
    async (ctx, i) => {
      await ctx.client.enableKeyRotation(inRegion(ctx, i.KeyId), i.RotationPeriodInDays);
      return {};
    },
  ),

  DisableKeyRotation: op(KeyOnly, async (ctx, i) => {
    await ctx.client.disableKeyRotation(inRegion(ctx, i.KeyId));
    return {};
  }),

  GetKeyRotationStatus: op(KeyOnly, async (ctx, i) => {
    const keyId = inRegion(ctx, i.KeyId);
    const s = await ctx.client.getKeyRotationStatus(keyId);
    // AWS echoes the key ARN; we know it without another (separately authorized) call only
    // when the caller named the key by ARN.
    const ref = parseKeyRef(keyId);
    return compact({
      KeyRotationEnabled: s.enabled,
      KeyId: ref.ok && ref.ref.kind === 'key-arn' ? keyId : undefined,
      RotationPeriodInDays: s.rotationPeriodInDays,
      NextRotationDate: epochSeconds(s.nextRotationDate),
    });
  }),

  RotateKeyOnDemand: op(KeyOnly, async (ctx, i) => {
    const md = await ctx.client.rotateKeyOnDemand(inRegion(ctx, i.KeyId));
    return { KeyId: md.keyId };
  }),

  ListKeyRotations: op(
    z.object({
      KeyId,
      Limit,
      Marker,
      IncludeKeyMaterial: z.enum(['ALL_KEY_MATERIAL', 'ROTATIONS_ONLY']).optional(),
    }),
    async (ctx, i) => {
      const rotations = await ctx.client.listKeyRotations(inRegion(ctx, i.KeyId));
      const p = page(rotations, i.Limit, i.Marker);
      return compact({
        Rotations: p.items.map((r) => ({
          KeyId: r.keyId,
          KeyMaterialId: r.version,
          RotationDate: epochSeconds(r.rotationDate),
          RotationType: r.rotationType,
        })),
        Truncated: p.truncated,
        NextMarker: p.nextMarker,
      });
    },
  ),

  CreateAlias: op(
    z.object({ AliasName: z.string().min(1).max(256), TargetKeyId: KeyId }),
    async (ctx, i) => {
      await ctx.client.createAlias(i.AliasName, inRegion(ctx, i.TargetKeyId));
      return {};
    },
  ),

  UpdateAlias: op(
    z.object({ AliasName: z.string().min(1).max(256), TargetKeyId: KeyId }),
    async (ctx, i) => {
      await ctx.client.updateAlias(i.AliasName, inRegion(ctx, i.TargetKeyId));
      return {};
    },
  ),

  DeleteAlias: op(z.object({ AliasName: z.string().min(1).max(256) }), async (ctx, i) => {
    await ctx.client.deleteAlias(i.AliasName);
    return {};
  }),

  ListAliases: op(z.object({ KeyId: KeyId.optional(), Limit, Marker }), async (ctx, i) => {
    const all = await ctx.client.listAliases(
      i.KeyId === undefined ? undefined : inRegion(ctx, i.KeyId),
    );
    const here = all.filter((a) => a.aliasArn.split(':')[3] === ctx.region);
    const p = page(here, i.Limit, i.Marker);
    return compact({
      Aliases: p.items.map((a) =>
        compact({ AliasName: a.aliasName, AliasArn: a.aliasArn, TargetKeyId: a.targetKeyId }),
      ),
      Truncated: p.truncated,
      NextMarker: p.nextMarker,
    });
  }),
};

/** Drop undefined members of a KMS input so optional fields are absent, not `undefined`. */
function compactInput<T extends object>(o: T): T {
  return compact(o as Record<string, unknown>) as T;
}

export const OPERATION_NAMES = Object.keys(OPERATIONS).sort();
