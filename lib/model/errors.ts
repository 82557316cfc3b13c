import { AiopsError } from '../errors.js';

/** A blob store that cannot be read or written (I/O, permissions, the S3 service, an abort). */
export class BlobStoreError extends AiopsError {
  override name = 'BlobStoreError';
}

/** A key or list prefix that is not a '/'-separated relative path of [A-Za-z0-9._-] segments. */
export class BlobKeyError extends BlobStoreError {
  override name = 'BlobKeyError';
  /** The rejected key or prefix, as given. */
  readonly key: string;

  constructor(message: string, key: string) {
    super(message);
    this.key = key;
  }
}
