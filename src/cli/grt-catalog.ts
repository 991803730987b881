#!/usr/bin/env node
console.error("grt-catalog: not implemented yet");
process.exitCode = 2;
