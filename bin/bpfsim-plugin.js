#!/usr/bin/env node
// bpf_conformance plugin entry: `bpfsim-plugin MEMHEX [OPTIONS]` is `bpfsim plugin MEMHEX [OPTIONS]`.
process.argv.splice(2, 0, 'plugin');
await import('./bpfsim.js');
