/**
 * Lets `serverless invoke local` run the `.mjs` bundle that serverless-esbuild builds.
 *
 * Lambda loads an ES module only from a `.mjs` file, so the bundle is `functions/lambda.mjs`
 * and the handler stays `functions/lambda.handler`. osls 4.3.1's invoke local looks for that
 * handler as `functions/lambda` (require) and `functions/lambda.cjs` only, never `.mjs`. Right
 * before invoking, this writes a CommonJS shim `functions/lambda.cjs` next to the bundle in
 * serverless-esbuild's build folder that imports the `.mjs`, and removes it right after.
 * Packaging never runs these hooks, so the shim cannot end up in a deployment zip (and the
 * package test checks that no `.cjs` does).
 *
 * Must be listed after serverless-esbuild: its own `before:invoke:local:invoke` hook builds
 * the bundle and points the service directory at its build folder first.
 */
/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports -- osls loads plugins with require() */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const shimMarker = '// aiops-detector: invoke-local shim (serverless-plugins/mjs-invoke-local.cjs)';

class MjsInvokeLocal {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options;
    this.written = [];
    this.hooks = {
      'before:invoke:local:invoke': () => this.writeShims(),
      'after:invoke:local:invoke': () => this.removeShims(),
    };
  }

  /** The build folder serverless-esbuild switched the service to (or the service itself). */
  serviceDir() {
    return this.serverless.config.servicePath || this.serverless.serviceDir;
  }

  writeShims() {
    const service = this.serverless.service;
    const names = this.options.function ? [this.options.function] : service.getAllFunctions();
    for (const name of names) {
      const fn = service.getFunction(name);
      const runtime = fn.runtime || service.provider.runtime || '';
      if (!fn.handler || !String(runtime).startsWith('nodejs')) continue;
      const handlerPath = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
      const base = path.join(this.serviceDir(), handlerPath);
      if (!fs.existsSync(`${base}.mjs`) || fs.existsSync(`${base}.js`)) continue;
      const shim = `${base}.cjs`;
      if (fs.existsSync(shim) && !fs.readFileSync(shim, 'utf8').startsWith(shimMarker)) {
        throw new Error(`mjs-invoke-local: ${shim} exists and is not this plugin's shim; not overwriting it`);
      }
      const target = JSON.stringify(`./${path.basename(base)}.mjs`);
      const handlerName = JSON.stringify(fn.handler.slice(fn.handler.lastIndexOf('.') + 1));
      fs.writeFileSync(
        shim,
        `${shimMarker}\n'use strict';\n` +
          `exports[${handlerName}] = (...args) => import(${target}).then((m) => m[${handlerName}](...args));\n`,
      );
      this.written.push(shim);
    }
  }

  removeShims() {
    for (const shim of this.written.splice(0)) fs.rmSync(shim, { force: true });
  }
}

module.exports = MjsInvokeLocal;
