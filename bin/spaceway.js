#!/usr/bin/env node
// spaceway command: installs the Node 20 polyfill, then runs the compiled CLI (built by `npm install`).
import '../dist/src/polyfill.js'
const { main } = await import('../dist/src/cli/main.js')
await main(process.argv)
