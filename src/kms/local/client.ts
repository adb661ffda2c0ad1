// Placeholder while the implementation is written: the API in index.ts is final.
import { KmsError } from '../types.js';
import type { ClientOptions, LocalKms, LocalKmsClient, LocalKmsOptions } from './index.js';

export class LocalKmsImpl implements LocalKms {
  readonly dir: string;
  constructor(opts: LocalKmsOptions) {
    this.dir = opts.dir;
  }
  client(_principal: string, _opts?: ClientOptions): LocalKmsClient {
    throw new KmsError('KMSInternalException', 'local KMS: implementation in progress');
  }
  admin(): LocalKmsClient {
    return this.client('arn:aws:iam::000000000000:root');
  }
}
