/**
 * The layout's rules, checked on the source: no module imports itself back through others, the
 * pure core (detect, forest) stays free of everything above it, and files stay small enough to
 * read. Type-only imports count: a cycle of types is still two modules that cannot be read apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

/** Static `import ... from` and `export ... from` targets of a file, as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const targets: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    targets.push(relative(root, resolve(root, dirname(file), match[1]!.replace(/\.js$/, '.ts'))));
  }
  return targets;
}

/** Every cycle found by a depth-first walk, each as the list of files around it. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

const files = [...sourceFiles('lib'), ...sourceFiles('functions')];
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe('source layout', () => {
  it('finds the imports it checks (the parser sees the pipeline)', () => {
    expect(graph.get('lib/run.ts')).toEqual(expect.arrayContaining(['lib/detect/evaluate.ts']));
  });

  it('has no import cycle in lib/ and functions/', () => {
    expect(cycles(graph).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('keeps detect and forest pure: they import only series, forest, detect and the error base', () => {
    const allowed = /^lib\/(series|forest|detect)\/|^lib\/errors\.ts$/;
    const outside = [...graph]
      .filter(([file]) => /^lib\/(detect|forest)\//.test(file))
      .flatMap(([file, targets]) => targets.filter((t) => !allowed.test(t)).map((t) => `${file} -> ${t}`));
    expect(outside).toEqual([]);
  });

  it('keeps files under lib/ to about 300 lines, except the forest hot loops', () => {
    const hotLoops = new Set(['lib/forest/trees.ts']);
    const long = files
      .filter((file) => file.startsWith('lib/') && !hotLoops.has(file))
      .map((file) => ({ file, lines: readFileSync(join(root, file), 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > 310)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
