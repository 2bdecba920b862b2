#!/usr/bin/env node
// Entry point of the `sddf` command. The sources are TypeScript; the command runs them compiled
// once and cached (./compile.mjs, docs/adr/001), so a fresh clone works after `npm ci` alone and
// starts in a few tens of milliseconds after its first run. SDDF_NO_COMPILE=1 runs the sources
// through tsx instead (as does any failure to compile).
let main;
if (process.env['SDDF_NO_COMPILE'] !== '1') {
  try {
    const { compiledEntry } = await import('./compile.mjs');
    ({ main } = await import(await compiledEntry()));
  } catch (e) {
    // Still works, only slower to start: say so, so that a broken fast path does not go unseen.
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    process.stderr.write(`sddf: note: running uncompiled, slower to start (${why})\n`);
  }
}
if (main === undefined) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
