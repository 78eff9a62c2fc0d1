#!/usr/bin/env node
// The `visionops` command. The CLI is TypeScript run through tsx, registered here for this process.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
