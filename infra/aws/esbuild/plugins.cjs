/**
 * esbuild plugins for the Lambda bundle (serverless.yml custom.esbuild.plugins; serverless-
 * esbuild loads this file with require). Each replaces a module the function never uses but
 * that costs bundle size or cold-start time; the stubs say why, next to them:
 *
 * - `form-data` (axios' multipart helper, with mime-db behind it: ~135 KB) -> form-data.mjs
 * - axios' fetch adapter (probes fetch at import, loading undici: ~45 ms) -> axios-fetch-adapter.mjs
 *
 * and one line of axios' own utils.js is rewritten as it is loaded (see `axiosUtilsPatch`).
 * Node loads its bundled fetch implementation (undici) the first time anything reads
 * `globalThis.FormData`, `Headers`, `Request`, `Response` or `fetch`: about 25 ms of CPU, at
 * every cold start, for a function that never uses them (it talks HTTP through axios' `http`
 * adapter and the AWS SDK's node:https handler). serverless-package.test.ts checks that
 * importing the bundle loads no undici.
 *
 * Measured with `npm run bench:coldstart`; the invoke-local test runs the bundle end to end.
 */
/* global require, module, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- serverless-esbuild loads plugins with require() */
'use strict';

const { readFile } = require('node:fs/promises');
const path = require('node:path');

const formDataStub = path.join(__dirname, 'form-data.mjs');
const fetchAdapterStub = path.join(__dirname, 'axios-fetch-adapter.mjs');
const axiosAdapters = `${path.sep}axios${path.sep}lib${path.sep}adapters${path.sep}`;

/**
 * axios/lib/utils.js keeps `globalThis.FormData` for its `isFormData` check, reading it when the
 * module is imported. Without it, `isFormData` still recognises Node's FormData objects by
 * their tag ('[object FormData]'), as it does the form-data package's; this function never
 * sends one. A build fails when the line is no longer there (an axios upgrade): look again.
 */
const axiosUtilsPatch = {
  file: /[\\/]axios[\\/]lib[\\/]utils\.js$/,
  from: "const FormDataCtor = typeof G.FormData !== 'undefined' ? G.FormData : undefined;",
  to: 'const FormDataCtor = undefined; // aiops-lambda-stubs: no FormData read at import',
};

const aiopsStubs = {
  name: 'aiops-lambda-stubs',
  setup(build) {
    build.onResolve({ filter: /^form-data$/ }, () => ({ path: formDataStub }));
    build.onResolve({ filter: /^\.\/fetch\.js$/ }, (args) =>
      args.importer.includes(axiosAdapters) ? { path: fetchAdapterStub } : undefined,
    );
    build.onLoad({ filter: axiosUtilsPatch.file }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(axiosUtilsPatch.from)) {
        throw new Error(`${args.path} no longer has the line infra/aws/esbuild/plugins.cjs rewrites (${axiosUtilsPatch.from}); see axiosUtilsPatch there`);
      }
      return { contents: source.replace(axiosUtilsPatch.from, axiosUtilsPatch.to), loader: 'js' };
    });
  },
};

module.exports = [aiopsStubs];
