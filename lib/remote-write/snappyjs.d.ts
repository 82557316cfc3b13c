// snappyjs ships no types. Only the two block-format functions used by the remote writer.
declare module 'snappyjs' {
  /** Snappy block compression (not the framed format), as Prometheus remote write expects. */
  export function compress(uncompressed: Uint8Array): Uint8Array;
  /** Inverse of {@link compress}; throws on corrupt input. */
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
}
