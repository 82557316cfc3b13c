/**
 * infra/docker/Dockerfile and .dockerignore, checked by reading them: there is no Docker daemon
 * on this machine (nor in CI), so a real `docker build` is not possible here. What a build
 * would reveal late (a COPY of a missing or ignored path, dev dependencies in the image, a
 * root user, the `prepare` script running `tsc` in the runtime stage) is checked instead.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped, grouped by stage. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`Dockerfile line ${start + 1}: cannot parse ${JSON.stringify(line)}`);
    const instruction = { keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: start + 1 };
    if (instruction.keyword === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!from) throw new Error(`Dockerfile line ${start + 1}: cannot parse FROM ${instruction.args}`);
      stages.push({ image: from[1]!, name: from[2], instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`Dockerfile line ${start + 1}: ${instruction.keyword} before FROM`);
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** Sources and destination of a COPY, with its --from stage if any. */
function parseCopy(args: string): { from?: string; sources: string[]; destination: string } {
  const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
}

/** .dockerignore patterns (simple names, globs with `*`), as a predicate on repo paths. */
function dockerignore(text: string): (path: string) => boolean {
  const patterns = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (patterns.some((p) => p.startsWith('!'))) throw new Error('negated .dockerignore patterns are not handled by this test');
  const regexes = patterns.map((p) => new RegExp(`^${p.replace(/^\//, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`));
  return (path) => regexes.some((r) => r.test(path.replace(/^\.\//, '').replace(/\/$/, '')));
}

let stages: Stage[];
let ignored: (path: string) => boolean;
let packageJson: { scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> };

beforeAll(async () => {
  stages = parseDockerfile(await readFile(join(repo, 'infra/docker/Dockerfile'), 'utf8'));
  ignored = dockerignore(await readFile(join(repo, '.dockerignore'), 'utf8'));
  packageJson = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as typeof packageJson;
});

const runtime = () => stages.at(-1)!;
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

describe('Dockerfile', () => {
  it('builds in one stage and runs from another, both on a Node 22+ slim image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      const match = /^node:(\d+)[\w.-]*-slim$/.exec(stage.image);
      expect(match, stage.image).not.toBeNull();
      expect(Number(match![1])).toBeGreaterThanOrEqual(22);
    }
  });

  it('compiles with npm ci + npm run build in the build stage', () => {
    const build = stages[0]!;
    const runs = all(build, 'RUN').map((i) => i.args);
    const ci = runs.findIndex((r) => /\bnpm ci\b/.test(r));
    const compile = runs.findIndex((r) => /\bnpm run build\b/.test(r));
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(compile).toBeGreaterThan(ci);
    // `npm run build` is tsc with tsconfig.build.json: its sources must be copied in first.
    const copied = all(build, 'COPY').flatMap((i) => parseCopy(i.args).sources);
    for (const needed of ['tsconfig.json', 'tsconfig.build.json', 'lib', 'functions']) expect(copied).toContain(needed);
  });

  it('installs production dependencies only in the runtime stage, without lifecycle scripts', () => {
    expect(packageJson.scripts.prepare).toBeDefined(); // why --ignore-scripts matters: prepare runs tsc
    const npmRuns = all(runtime(), 'RUN').filter((i) => /\bnpm\b/.test(i.args));
    expect(npmRuns.length).toBeGreaterThan(0);
    for (const { args, line } of npmRuns) {
      expect(args, `line ${line}`).not.toMatch(/\bnpm (install|i|add)\b/);
      if (/\bnpm ci\b/.test(args)) {
        expect(args, `line ${line}`).toContain('--omit=dev');
        expect(args, `line ${line}`).toContain('--ignore-scripts');
      }
    }
    // And no build stage npm ci runs `prepare` before the sources exist.
    for (const { args, line } of all(stages[0]!, 'RUN').filter((i) => /\bnpm ci\b/.test(i.args))) {
      expect(args, `line ${line}`).toContain('--ignore-scripts');
    }
  });

  it('copies only paths that exist, are not excluded by .dockerignore, or come from an earlier stage', () => {
    const problems: string[] = [];
    stages.forEach((stage, index) => {
      for (const { args, line } of all(stage, 'COPY')) {
        const copy = parseCopy(args);
        if (copy.from !== undefined) {
          const earlier = stages.slice(0, index).some((s) => s.name === copy.from);
          if (!earlier) problems.push(`line ${line}: --from=${copy.from} is not an earlier stage`);
          continue;
        }
        for (const source of copy.sources) {
          if (!existsSync(join(repo, source))) problems.push(`line ${line}: ${source} does not exist`);
          if (ignored(source)) problems.push(`line ${line}: ${source} is excluded by .dockerignore`);
        }
      }
    });
    expect(problems).toEqual([]);
  });

  it('takes dist/ from the build stage where tsc writes the launcher target', async () => {
    const tsconfig = JSON.parse(await readFile(join(repo, 'tsconfig.json'), 'utf8')) as { compilerOptions: { outDir: string; rootDir: string } };
    const build = stages[0]!;
    const workdir = all(build, 'WORKDIR').at(-1)!.args;
    const fromBuild = all(runtime(), 'COPY').map((i) => parseCopy(i.args)).find((c) => c.from === build.name)!;
    expect(fromBuild.sources).toEqual([`${workdir}/${tsconfig.compilerOptions.outDir}`]);
    // bin/aiops-detector.js loads dist/functions/cli.js: tsc emits it from functions/cli.ts.
    const launcher = await readFile(join(repo, 'bin/aiops-detector.js'), 'utf8');
    expect(launcher).toContain('../dist/functions/cli.js');
    expect(tsconfig.compilerOptions.rootDir).toBe('.');
    expect(existsSync(join(repo, 'functions/cli.ts'))).toBe(true);
  });

  it('runs as a numeric non-root user with the launcher as entrypoint and serve as default', () => {
    const user = all(runtime(), 'USER').at(-1)?.args;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/); // numeric, so Kubernetes' runAsNonRoot can verify it
    expect(JSON.parse(all(runtime(), 'ENTRYPOINT').at(-1)!.args)).toEqual(['node', 'bin/aiops-detector.js']);
    expect(JSON.parse(all(runtime(), 'CMD').at(-1)!.args)).toEqual(['serve']);
    expect(all(runtime(), 'EXPOSE').map((i) => i.args)).toEqual(['8080']);
  });
});

describe('.dockerignore', () => {
  it('keeps local and bulky paths out of the build context', () => {
    for (const path of ['node_modules', 'dist', '.git', 'test', 'bench', '.serverless', '.esbuild', 'coverage', '.env']) {
      expect(ignored(path), path).toBe(true);
    }
    expect(ignored('lib')).toBe(false);
    expect(ignored('package-lock.json')).toBe(false);
  });
});

describe('what the runtime stage installs', () => {
  it('covers every package the compiled code imports (dev dependencies are not in the image)', async () => {
    // Prepare: every module specifier in lib/ and functions/, except type-only imports
    // (erased by tsc) and relative or node: imports.
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(join(repo, dir), { withFileTypes: true })) {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory()) await walk(path);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
      }
    };
    await walk('lib');
    await walk('functions');
    const packages = new Map<string, string>();
    for (const file of files) {
      const source = await readFile(join(repo, file), 'utf8');
      const specifiers = [
        ...[...source.matchAll(/^\s*import\s+(?!type\b)[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!),
        ...[...source.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]!),
        ...[...source.matchAll(/^\s*export\s+(?!type\b)[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!),
        ...[...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!),
      ];
      for (const specifier of specifiers) {
        if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        packages.set(name, file);
      }
    }

    // Assess
    const missing = [...packages].filter(([name]) => packageJson.dependencies[name] === undefined).map(([name, file]) => `${name} (imported by ${file})`);
    expect(missing).toEqual([]);
    expect(packages.size).toBeGreaterThan(3);
  });
});
