// `--load` and `vnic test-driver <module>`: import a user's driver or model from any folder. The module
// imports the lab by package name (`vnic-lab/drivers`, …); those names resolve to the very modules this
// CLI runs, wherever the file lives, so what it registers lands in the registry the CLI reads. TypeScript
// and JavaScript ESM load; CommonJS, a missing file, a syntax error or a throw at load time are one
// UsageError line naming the file (and line where there is one): exit 2.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError } from './errors.ts';

/** The lab's own root (this file is cli/load.ts, or dist/cli/load.js built) and the extension its modules carry. */
const ROOT = new URL('../', import.meta.url);
const EXT = extname(fileURLToPath(import.meta.url));

/** Subpaths `vnic-lab/<name>` offers (the exports of the package.json above this file), each a layer with an index module. */
function exportedSubpaths(): string[] {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; exports?: Record<string, unknown> };
      if (pkg.name === 'vnic-lab')
        return Object.keys(pkg.exports ?? {})
          .filter((k) => /^\.\/[a-z-]+$/.test(k))
          .map((k) => k.slice(2));
    }
    if (dirname(dir) === dir) return [];
  }
}

// A module-resolution hook (runs on Node's loader thread, so it is plain JavaScript): `vnic-lab/<sub>` →
// ROOT/<sub>/index<EXT>, the same file this process imports, so a driver outside the repo shares its registry.
const HOOK = `
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
let subpaths;
export function initialize(data) { subpaths = data.subpaths; }
function packageType(file) {
  for (let d = dirname(file); ; d = dirname(d)) {
    const p = join(d, 'package.json');
    if (existsSync(p)) { try { return JSON.parse(readFileSync(p, 'utf8')).type ?? 'commonjs'; } catch { return 'commonjs'; } }
    if (dirname(d) === d) return 'none';
  }
}
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('vnic-lab/')) {
    const url = subpaths[specifier.slice('vnic-lab/'.length)];
    if (url !== undefined) return next(url, context);
    const e = new Error("Cannot find module '" + specifier + "'");
    e.code = 'ERR_MODULE_NOT_FOUND';
    throw e;
  }
  const r = await next(specifier, context);
  // a user's module in a folder with no package.json: ESM (the lab is ESM only; CommonJS was refused before import)
  if (r.url.startsWith('file:') && !r.url.includes('/node_modules/') && /\\.(ts|mts|js|mjs)$/.test(r.url) && packageType(fileURLToPath(r.url)) === 'none') return { ...r, format: 'module' };
  return r;
}`;

let hooked = false;

/** Makes `vnic-lab/<sub>` resolve to this lab's modules from any folder (once per process). */
export function resolveLabByName(): void {
  if (hooked) return;
  hooked = true;
  const map: Record<string, string> = {};
  for (const sub of exportedSubpaths()) map[sub] = new URL(`${sub}/index${EXT}`, ROOT).href;
  register(`data:text/javascript,${encodeURIComponent(HOOK)}`, { data: { subpaths: map } });
}

/** Why `file` is CommonJS (the lab is ESM only), or null when it is not. */
export function commonJsReason(file: string, text: string): string | null {
  const ext = extname(file);
  if (ext === '.cjs' || ext === '.cts') return `a ${ext} file is CommonJS`;
  if (ext === '.mjs' || ext === '.mts' || ext === '.ts' || ext === '.tsx') return null;
  const esm = /^\s*(import\s|import\{|export\s)/m.test(text);
  const cjs = /^.*\b(require\s*\(|module\.exports\b|exports\.[A-Za-z_$])/m.exec(text);
  if (cjs !== null && !esm) return `it uses ${cjs[1]!.replace(/\s*\($/, '(')} at line ${lineOf(text, cjs.index)}`;
  if (!esm) return null;
  const type = packageType(dirname(file));
  if (ext === '.js' && type !== 'module' && type !== 'none')
    return `a .js file in a package without "type": "module" is CommonJS to Node`;
  return null;
}

/** The nearest package.json's "type" ("commonjs" when it has none), or "none" when no folder above has one. */
function packageType(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    const p = join(d, 'package.json');
    if (existsSync(p)) {
      try {
        return (JSON.parse(readFileSync(p, 'utf8')) as { type?: string }).type ?? 'commonjs';
      } catch {
        return 'commonjs';
      }
    }
    if (dirname(d) === d) return 'none';
  }
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Modules this process imported already: importing one again is cached and registers nothing new. */
const imported = new Set<string>();

/**
 * Imports a user's module by path, or throws a UsageError naming the file and line. `flag` names where the
 * path came from; `mustRegister` refuses a module that registered no driver and no NIC model.
 */
export async function loadUserModule(path: string, flag: string, opts: { mustRegister?: boolean } = {}): Promise<void> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UsageError(`${flag} ${path}: no such file`);
  if (statSync(file).isDirectory()) throw new UsageError(`${flag} ${path}: is a directory, not a module`);
  const text = readFileSync(file, 'utf8');
  const cjs = commonJsReason(file, text);
  if (cjs !== null) {
    throw new UsageError(
      `${flag} ${path}: CommonJS is not supported (${cjs}); write an ES module: import { registerDriver } from 'vnic-lab/drivers', in a .ts or .mjs file (or .js with "type": "module")`,
    );
  }
  if (/\.[cm]?tsx?$/.test(file) && EXT !== '.ts') {
    // the compiled bin runs on plain node: register tsx's loader for TypeScript modules
    try {
      const api = (await import('tsx/esm/api')) as { register: () => unknown };
      api.register();
    } catch {
      throw new UsageError(
        `${flag} ${path}: loading a TypeScript module needs tsx (npm install --save-dev tsx), or give compiled JavaScript`,
      );
    }
  }
  resolveLabByName();
  const registered = async (): Promise<number> => {
    const [{ listDrivers }, { listModels }] = await Promise.all([
      import('../drivers/index.ts'),
      import('../hw-models/registry.ts'),
    ]);
    return listDrivers().length + listModels().length;
  };
  const before = opts.mustRegister === true ? await registered() : 0;
  try {
    await import(pathToFileURL(file).href);
  } catch (e) {
    throw new UsageError(`${flag} ${path}: ${loadFailure(e, file, text)}`);
  }
  if (opts.mustRegister === true && !imported.has(file) && (await registered()) === before) {
    throw new UsageError(
      `${flag} ${path}: registered no driver or NIC model (an ES module that calls registerDriver or registerModel when imported)`,
    );
  }
  imported.add(file);
}

/** One line for what went wrong importing `file`: the message, at file:line where it can be found. */
function loadFailure(e: unknown, file: string, text: string): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const msg = err.message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (/\b(require|module|exports) is not defined\b/.test(err.message))
    return `CommonJS is not supported (${msg[0]}); write an ES module with import/export`;
  // esbuild (tsx) names the place itself: "<file>:<line>:<col>: ERROR: <what>"
  const syntax = msg.find((l) => l.includes(`${file}:`) && /ERROR:/.test(l));
  if (syntax !== undefined) {
    const m = /:(\d+):(\d+): ERROR: (.*)$/.exec(syntax);
    if (m !== null) return `syntax error at ${file}:${m[1]}:${m[2]}: ${m[3]}`;
  }
  if (err instanceof SyntaxError) {
    const at = /\(?(file:\/\/[^):]+|\/[^):]+):(\d+)/.exec(err.stack ?? '');
    return `syntax error${at !== null ? ` at ${fileUrlToPath(at[1]!)}:${at[2]}` : ` in ${file}`}: ${msg[0] ?? ''}`;
  }
  const missing = /Cannot find (?:package|module) '([^']+)'/.exec(err.message);
  if (missing !== null) {
    const idx =
      text.indexOf(`'${missing[1]}'`) >= 0 ? text.indexOf(`'${missing[1]}'`) : text.indexOf(`"${missing[1]}"`);
    const hint = missing[1]!.startsWith('vnic-lab')
      ? ` (the lab offers ${exportedSubpaths()
          .map((s) => `vnic-lab/${s}`)
          .join(', ')})`
      : '';
    return `cannot import '${missing[1]}'${idx >= 0 ? ` at ${file}:${lineOf(text, idx)}` : ''}${hint}`;
  }
  // a throw while the module ran: the first stack frame in the file itself
  const href = pathToFileURL(file).href;
  const frame = (err.stack ?? '').split('\n').find((l) => l.includes(href) || l.includes(file));
  const line = frame !== undefined ? /:(\d+):\d+\)?\s*$/.exec(frame) : null;
  return `${err.name === 'Error' ? '' : `${err.name}: `}${msg[0] ?? 'failed to load'}${line !== null ? ` (at ${file}:${line[1]})` : ''}`;
}

function fileUrlToPath(s: string): string {
  return s.startsWith('file://') ? fileURLToPath(s) : s;
}
