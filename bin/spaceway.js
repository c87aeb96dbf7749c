#!/usr/bin/env node
// spaceway command: installs the Node 20 polyfill, then runs the compiled CLI (built by `npm install`).
// On Node 22.1+ compiled modules are cached on disk (module.enableCompileCache): a faster start.
import module from 'node:module'
import '../dist/src/polyfill.js'
module.enableCompileCache?.()
const { main } = await import('../dist/src/cli/main.js')
await main(process.argv)
