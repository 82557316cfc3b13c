/**
 * Stands in for the npm package `form-data` in the Lambda bundle (see plugins.cjs). axios
 * imports it for multipart uploads, which this function never makes (it posts JSON and
 * URL-encoded forms), and it drags in mime-db (~130 KB minified). Node's own spec-compliant
 * FormData takes its place: axios streams that one itself, so even a multipart post would
 * still work.
 *
 * Looked up only when axios constructs one: reading `globalThis.FormData` makes Node load its
 * bundled fetch implementation (undici), about 25 ms of CPU that every cold start would pay.
 */
export default class LazyFormData {
  constructor(...args) {
    return new globalThis.FormData(...args);
  }

  static [Symbol.hasInstance](value) {
    return value instanceof globalThis.FormData;
  }
}
