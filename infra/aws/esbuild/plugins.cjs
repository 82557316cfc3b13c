/**
 * esbuild plugins for the Lambda bundle (serverless.yml custom.esbuild.plugins; serverless-
 * esbuild loads this file with require). Each replaces a module the function never uses but
 * that costs bundle size or cold-start time; the stubs say why, next to them:
 *
 * - `form-data` (axios' multipart helper, with mime-db behind it: ~135 KB) -> form-data.mjs
 * - axios' fetch adapter (probes fetch at import, loading undici: ~45 ms) -> axios-fetch-adapter.mjs
 *
 * Measured with `npm run bench:coldstart`; the invoke-local test runs the bundle end to end.
 */
/* global require, module, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- serverless-esbuild loads plugins with require() */
'use strict';

const path = require('node:path');

const formDataStub = path.join(__dirname, 'form-data.mjs');
const fetchAdapterStub = path.join(__dirname, 'axios-fetch-adapter.mjs');
const axiosAdapters = `${path.sep}axios${path.sep}lib${path.sep}adapters${path.sep}`;

const aiopsStubs = {
  name: 'aiops-lambda-stubs',
  setup(build) {
    build.onResolve({ filter: /^form-data$/ }, () => ({ path: formDataStub }));
    build.onResolve({ filter: /^\.\/fetch\.js$/ }, (args) =>
      args.importer.includes(axiosAdapters) ? { path: fetchAdapterStub } : undefined,
    );
  },
};

module.exports = [aiopsStubs];
