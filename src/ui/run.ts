/**
 * Runs the ink UI until the user quits (`quit` or Ctrl-C).
 */
import React from 'react'
import { render } from 'ink'
import type { App } from '../app.js'
import { ChatApp } from './ChatApp.js'
import { ChatController } from './controller.js'

export async function runInk (app: App): Promise<void> {
  const controller = new ChatController(app)
  controller.banner()
  const instance = render(React.createElement(ChatApp, { controller }), { patchConsole: false, exitOnCtrlC: true })
  await instance.waitUntilExit()
}
