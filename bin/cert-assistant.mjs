#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx cert-assistant …` works right after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main, processIO } = await import('../main/cli/main.ts');
const code = await main(process.argv.slice(2), processIO());
process.exitCode = code;
