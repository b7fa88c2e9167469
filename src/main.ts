#!/usr/bin/env node
// Entry point of the inference-extension-crds command.
import { runCli } from './cli/run.ts';

process.exitCode = await runCli(process.argv.slice(2), process.env);
