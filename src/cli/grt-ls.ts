#!/usr/bin/env node
console.error("grt-ls: not implemented yet");
process.exitCode = 2;
