// The `sddf` command runs compiled JavaScript, built lazily and cached (docs/adr/001).
//
// The sources are TypeScript. Compiling them on every run (tsx) cost ~1.4 s of CPU per command;
// instead the first run bundles cli/main.ts with esbuild (already installed as tsx's compiler, so
// plain `npm ci` is enough: no install script, no build step to forget) into one module per
// command (code splitting: `sddf audit` loads the auditor, never the model checker or Z3), and
// later runs import that bundle directly.
//
// The cache (node_modules/.cache/sddf-model, or $SDDF_CACHE_DIR) is keyed by the content of every
// source file the bundle contains: a run stats those files (size and mtime, a few milliseconds)
// and re-hashes only those whose stamp changed; any content change rebuilds (~0.2 s). Builds are
// written to a fresh folder and renamed into place, so concurrent runs never see half a build.
// If compiling is impossible (no esbuild, read-only cache), the command runs through tsx as
// before: slower, same behaviour.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Bump when the bundling itself changes (options, plugins): every cache entry is then stale. */
const BUILD_VERSION = 4;
/** Builds kept besides the current one (a long-running command may still load their chunks). */
const KEEP_BUILDS = 3;

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'cli', 'main.ts');

function cacheDir() {
  const fromEnv = process.env['SDDF_CACHE_DIR'];
  return fromEnv !== undefined && fromEnv !== ''
    ? resolve(fromEnv)
    : join(ROOT, 'node_modules', '.cache', 'sddf-model');
}

const sha1 = (data) => createHash('sha1').update(data).digest('hex');

function readManifest(path) {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8'));
    return m.version === BUILD_VERSION && m.root === ROOT && m.node === process.versions.node
      ? m
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when every input still has the content it was built from. Inputs whose size and mtime
 * match are taken as unchanged; the others are re-hashed (a `touch` or a checkout that restores
 * the same bytes does not rebuild). Updates the stamps in `manifest` and says whether it did.
 */
function isFresh(manifest) {
  let restamped = false;
  for (const input of manifest.inputs) {
    let st;
    try {
      st = statSync(join(ROOT, input.path));
    } catch {
      return { fresh: false, restamped };
    }
    if (st.size === input.size && st.mtimeMs === input.mtimeMs) continue;
    if (st.size !== input.size) return { fresh: false, restamped };
    if (sha1(readFileSync(join(ROOT, input.path))) !== input.sha1) {
      return { fresh: false, restamped };
    }
    input.mtimeMs = st.mtimeMs;
    restamped = true;
  }
  return { fresh: true, restamped };
}

function writeAtomically(path, text) {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * esbuild plugin: our sources locate data files and workers through `import.meta.url` (and
 * `dirname`/`filename`); in a bundle those would name the bundle. Each module gets its own source
 * location instead, so `new URL('./itf.schema.json', import.meta.url)` still finds the file.
 */
function sourceLocations() {
  return {
    name: 'sddf-source-locations',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        const contents = text
          .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
          .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
          .replaceAll('import.meta.filename', JSON.stringify(args.path));
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * Small pure-JavaScript packages every command loads: bundled in, which spares Node reading their
 * files and scanning them for CommonJS exports on each start (~20 ms for these two).
 */
const BUNDLED_PACKAGES = new Set(['commander', 'saxes', 'xmlchars']);

/** `pkg` of `pkg/sub/path` or `@scope/pkg/sub/path`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * esbuild plugin: other packages stay external (loaded from node_modules as usual: Z3 and its
 * WebAssembly, tsx, ajv, fast-check…), named by the path they resolve to from the repository, so
 * a cache outside the repository ($SDDF_CACHE_DIR) works.
 */
function externalPackages() {
  return {
    name: 'sddf-external-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:')) return { path: args.path, external: true };
        if (BUNDLED_PACKAGES.has(packageName(args.path))) return undefined;
        return { path: fileURLToPath(import.meta.resolve(args.path)), external: true };
      });
    },
  };
}

async function build(cache) {
  const esbuild = await import('esbuild');
  mkdirSync(cache, { recursive: true });
  const tmp = join(cache, `tmp-${process.pid}-${Date.now()}`);
  const result = await esbuild.build({
    entryPoints: { main: ENTRY },
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    metafile: true,
    logLevel: 'silent',
    plugins: [sourceLocations(), externalPackages()],
    // Bundled CommonJS packages call require() (node:events…): give every chunk one.
    banner: {
      js: "import { createRequire as __sddfCreateRequire } from 'node:module'; const require = __sddfCreateRequire(import.meta.url);",
    },
  });
  const inputs = Object.keys(result.metafile.inputs)
    .map((p) => resolve(p))
    .filter((p) => !p.includes(`${sep}node_modules${sep}`))
    .sort()
    .map((abs) => {
      const st = statSync(abs);
      return {
        path: relative(ROOT, abs),
        size: st.size,
        mtimeMs: st.mtimeMs,
        sha1: sha1(readFileSync(abs)),
      };
    });
  // The bundle bakes in absolute source paths (sourceLocations), so the key includes ROOT: two
  // checkouts with the same sources sharing one cache must not share a build.
  const key = sha1(
    JSON.stringify([BUILD_VERSION, esbuild.version, ROOT, inputs.map((i) => [i.path, i.sha1])]),
  ).slice(0, 16);
  const dir = `build-${key}`;
  if (existsSync(join(cache, dir))) rmSync(tmp, { recursive: true, force: true });
  else renameSync(tmp, join(cache, dir));
  const manifest = { version: BUILD_VERSION, root: ROOT, node: process.versions.node, dir, inputs };
  writeAtomically(join(cache, 'cli.json'), JSON.stringify(manifest));
  pruneOldBuilds(cache, dir);
  return manifest;
}

function pruneOldBuilds(cache, current) {
  const builds = readdirSync(cache)
    .filter((d) => (d.startsWith('build-') || d.startsWith('tmp-')) && d !== current)
    .map((d) => ({ d, t: statSync(join(cache, d)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { d } of builds.slice(KEEP_BUILDS)) {
    rmSync(join(cache, d), { recursive: true, force: true });
  }
}

/**
 * The compiled entry module's URL: from the cache when fresh, else built now. Throws when it
 * cannot compile (the caller then runs the sources through tsx).
 */
export async function compiledEntry() {
  const cache = cacheDir();
  const manifestPath = join(cache, 'cli.json');
  let manifest = readManifest(manifestPath);
  if (manifest !== undefined && existsSync(join(cache, manifest.dir, 'main.js'))) {
    const { fresh, restamped } = isFresh(manifest);
    if (fresh) {
      if (restamped) {
        try {
          writeAtomically(manifestPath, JSON.stringify(manifest));
        } catch {
          // A read-only cache still works; it only re-hashes the touched files next time.
        }
      }
      return pathToFileURL(join(cache, manifest.dir, 'main.js')).href;
    }
  }
  manifest = await build(cache);
  return pathToFileURL(join(cache, manifest.dir, 'main.js')).href;
}
