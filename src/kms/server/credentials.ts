// Who may call `cmek kms serve`: access key ids mapped to a secret and the IAM principal the
// request is made as. The principal is what the local KMS evaluates key policies for.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export interface PrincipalCredential {
  secret: string;
  /** IAM principal ARN, e.g. `arn:aws:iam::576599896960:role/prod-kms-request-role`. */
  principal: string;
}

export type CredentialMap = ReadonlyMap<string, PrincipalCredential>;

import { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET } from '../../model/kms.js';
export { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET };
export const DEFAULT_PRINCIPAL = 'arn:aws:iam::000000000000:root';

/** Without `--credentials`: access key `test` / secret `test` acts as the local account's root,
 * like LocalStack's convention, so the AWS CLI and SDKs work with no setup. */
export function defaultCredentials(): CredentialMap {
  return new Map([
    [DEFAULT_ACCESS_KEY_ID, { secret: DEFAULT_SECRET, principal: DEFAULT_PRINCIPAL }],
  ]);
}

// IAM principals only (users, roles, root, assumed-role sessions): a key policy can name them.
const PRINCIPAL_RE =
  /^arn:aws[a-z-]*:(iam::\d{12}:(root|user\/.+|role\/.+)|sts::\d{12}:assumed-role\/.+)$/;

const fileSchema = z.record(
  z.string().regex(/^[A-Za-z0-9_+=,.@-]{1,128}$/, 'access key ids are 1-128 word characters'),
  z.object({
    secret: z.string().min(1, 'secret must not be empty'),
    principal: z
      .string()
      .regex(
        PRINCIPAL_RE,
        'principal must be an IAM ARN such as arn:aws:iam::111122223333:role/NAME',
      ),
  }),
);

/** Parse the credentials file: `{ "AKID": { "secret": "...", "principal": "arn:aws:iam::..." } }`.
 * Throws an Error naming the file and the offending entry. */
export function parseCredentials(text: string, source = 'credentials'): CredentialMap {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON: ${(e as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`${source}: ${issues}`);
  }
  const entries = Object.entries(parsed.data);
  if (entries.length === 0) throw new Error(`${source}: no access keys defined`);
  return new Map(entries);
}

export function loadCredentials(path: string): CredentialMap {
  return parseCredentials(readFileSync(path, 'utf8'), path);
}
