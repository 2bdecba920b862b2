#!/usr/bin/env node
// Entry point of the `sddf` command. The project is TypeScript run through tsx (no build step),
// so a fresh clone works after `npm ci` alone. See docs/adr/001-typescript-via-tsx.md.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
