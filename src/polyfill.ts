/**
 * Node 20 lacks `Promise.withResolvers`, which the libp2p 3 stack calls (it-queue, mortice).
 * Import this module before any libp2p module loads: every entry point and the vitest setup do.
 */
import 'core-js/actual/promise/with-resolvers.js'
