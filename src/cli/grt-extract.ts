#!/usr/bin/env node
console.error("grt-extract: not implemented yet");
process.exitCode = 2;
