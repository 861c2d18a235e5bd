#!/usr/bin/env node
/* global process */
// Runs the TypeScript CLI directly (tsx), so `npx sightline …` works right after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
