/**
 * Runs the full-screen UI until the user quits: the alternate screen buffer and bracketed paste
 * are switched on (and off again on the way out, whatever happens), keys are decoded by Node's
 * `readline.emitKeypressEvents` and fed one by one to the view model, and ink draws its frames.
 */
import React from 'react'
import { emitKeypressEvents } from 'node:readline'
import { PassThrough } from 'node:stream'
import { spawn } from 'node:child_process'
import { render } from 'ink'
import type { SpaceClient } from '../client/space-client.js'
import { sanitizeText } from '../core/sanitize.js'
import { Screen } from './Screen.js'
import { ViewModel } from './view-model.js'

/** Alternate screen on, bracketed paste on (xterm control sequences, ECMA-48 private modes 1049 and 2004). */
const ENTER = '\u001b[?1049h\u001b[?2004h'
const LEAVE = '\u001b[?2004l\u001b[?1049l'

/** A desktop notification with `notify-send` (Linux) or `osascript` (macOS); failures are ignored. */
function desktopNotify (title: string, body: string): void {
  const t = sanitizeText(title).slice(0, 100)
  const b = sanitizeText(body).slice(0, 200)
  const child = process.platform === 'darwin'
    ? spawn('osascript', ['-e', `display notification ${JSON.stringify(b)} with title ${JSON.stringify(t)}`], { stdio: 'ignore' })
    : spawn('notify-send', ['--app-name=spaceway', t, b], { stdio: 'ignore' })
  child.on('error', () => {})
  child.unref()
}

/** How often changes that do not answer the user are drawn at most, ms. */
export const BACKGROUND_DRAW_MS = 50
/** How often answers to the user (command results, pages, messages in the channel on screen) are drawn at most, ms. */
export const URGENT_DRAW_MS = 16

export interface RunOptions { bell: boolean, notify: boolean }

/** Runs the UI on the process's terminal until the user quits. */
export async function runUi (client: SpaceClient, options: RunOptions): Promise<void> {
  const stdin = process.stdin
  const stdout = process.stdout
  const model = new ViewModel(client, {
    bell: options.bell,
    notify: options.notify ? desktopNotify : undefined,
    write: (data) => { stdout.write(data) }
  })
  // raw mode first: keys typed while the screen is prepared are read, not echoed by the terminal
  if (stdin.isTTY) stdin.setRawMode(true)
  model.resize(stdout.columns ?? 80, stdout.rows ?? 24)
  stdout.write(ENTER)
  const restore = (): void => { stdout.write(LEAVE); if (stdin.isTTY) stdin.setRawMode(false) }
  process.once('exit', restore)
  await model.start()
  // ink gets a stream of its own: the keys are ours (every key of a chunk, in order). Its render
  // throttle is set out of the way (maxFps 1000): a key is drawn once its burst is read (setImmediate),
  // everything else at most every BACKGROUND_DRAW_MS (ink's default 30 fps made a key wait up to 33 ms).
  // our resize handler first: ink's own redraws the last frame at the new size, which must be ours
  let drawNow = (): void => {}
  const onResize = (): void => { model.resize(stdout.columns ?? 80, stdout.rows ?? 24); drawNow() }
  stdout.on('resize', onResize)
  const inkInput = new PassThrough() as unknown as NodeJS.ReadStream
  const instance = render(React.createElement(Screen, { frame: model.frame() }), { stdin: inkInput, patchConsole: false, exitOnCtrlC: false, maxFps: 1000, incrementalRendering: true })
  // A key is drawn at once; what arrives from the network (other channels' counts, the status line)
  // at most every BACKGROUND_DRAW_MS, so a busy space does not take the terminal from the typist.
  let pending: NodeJS.Timeout | undefined
  const draw = (): void => {
    clearTimeout(pending)
    pending = undefined
    instance.rerender(React.createElement(Screen, { frame: model.frame() }))
  }
  const later = (): void => { pending ??= setTimeout(draw, BACKGROUND_DRAW_MS) }
  // what answers the user: drawn in the next tick, at most every URGENT_DRAW_MS (a busy channel on screen)
  let lastUrgent = 0
  let urgentDue: NodeJS.Timeout | undefined
  const soon = (): void => {
    if (urgentDue != null) return
    const wait = Math.max(0, URGENT_DRAW_MS - (performance.now() - lastUrgent))
    urgentDue = setTimeout(() => { urgentDue = undefined; lastUrgent = performance.now(); draw() }, wait)
  }
  const onUpdate = (urgent?: boolean): void => { if (urgent === true) soon(); else later() }
  drawNow = draw
  model.on('update', onUpdate)
  emitKeypressEvents(stdin)
  let keysDue: NodeJS.Immediate | undefined
  const onKey = (str: string | undefined, key: { name?: string, ctrl?: boolean, meta?: boolean, shift?: boolean, sequence?: string } | undefined): void => {
    model.key(str, key)
    // the rest of a paste or a burst arrives in the same tick: draw once, after it
    if (keysDue == null) keysDue = setImmediate(() => { keysDue = undefined; draw() })
  }
  stdin.on('keypress', onKey)
  stdin.resume()
  await new Promise<void>(resolve => model.once('quit', resolve))
  stdin.off('keypress', onKey)
  stdout.off('resize', onResize)
  model.off('update', onUpdate)
  clearTimeout(urgentDue)
  clearTimeout(pending)
  instance.unmount()
  restore()
  process.off('exit', restore)
  stdin.pause()
}
