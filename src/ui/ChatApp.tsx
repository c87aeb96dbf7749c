/**
 * The interactive (ink) UI: scrollback of messages and results above (append-only, `<Static>`), a
 * status line, and the input line with history (up/down). Incoming messages are appended to the
 * scrollback, so they never disturb what the user is typing.
 */
import React, { useEffect, useRef, useState } from 'react'
import { Box, Static, Text, useApp, useInput } from 'ink'
import TextInput from 'ink-text-input'
import type { ChatController, Line, Status } from './controller.js'
import { toErrorInfo } from '../errors.js'

const COLOURS: Record<Line['kind'], string | undefined> = { message: undefined, info: 'gray', error: 'red', echo: 'cyan' }

/** One-line summary: name, peers, DHT routing table size, health, current space and channel. */
export function StatusLine ({ status }: { status: Status }): React.JSX.Element {
  const health = status.peers === 0 ? 'offline' : status.routingTable === 0 ? 'no DHT peers' : 'ok'
  const where = status.space == null ? 'no space' : `${status.space} #${status.channel ?? '?'}`
  return (
    <Box>
      <Text inverse>{` ${status.name} | ${status.peers} peer${status.peers === 1 ? '' : 's'} | DHT ${status.routingTable} | ${health} | ${where} `}</Text>
      {status.syncing != null ? <Text color='yellow'>{` ${status.syncing}`}</Text> : null}
    </Box>
  )
}

/**
 * The input line. It owns its text; the latest value is also kept in a ref, because a fast paste
 * followed by Enter reaches TextInput's submit handler before React re-renders it with the new
 * value. Up/down call `recall` (input history).
 */
export function InputLine ({ onSubmit, recall }: { onSubmit: (v: string) => void, recall: (direction: -1 | 1) => string }): React.JSX.Element {
  const [value, setValue] = useState('')
  const latest = useRef('')
  // Text and Enter that arrive in one chunk (a paste, or a terminal multiplexer sending keys at once)
  // reach us as one change containing line breaks. A chunk is one line: inner breaks become spaces
  // (a long invite token copied from a wrapped terminal line stays one argument), and a break at
  // its end submits it.
  const set = (v: string): void => {
    if (!/[\r\n]/.test(v)) {
      latest.current = v
      setValue(v)
      return
    }
    const submitNow = /[\r\n]$/.test(v)
    const line = v.replace(/[\r\n]+$/, '').replace(/[\r\n]+/g, ' ')
    latest.current = submitNow ? '' : line
    setValue(latest.current)
    if (submitNow) onSubmit(line)
  }
  useInput((_, key) => {
    if (key.upArrow) set(recall(-1))
    else if (key.downArrow) set(recall(1))
  })
  const submit = (): void => {
    const v = latest.current
    set('')
    onSubmit(v)
  }
  return (
    <Box>
      <Text color='green'>{'> '}</Text>
      <TextInput value={value} onChange={set} onSubmit={submit} />
    </Box>
  )
}

/** View: scrollback, status line, input. */
export function ChatView (props: { lines: Line[], status: Status, onSubmit: (v: string) => void, recall: (direction: -1 | 1) => string }): React.JSX.Element {
  return (
    <>
      <Static items={props.lines}>
        {(line) => <Text key={line.id} color={COLOURS[line.kind]}>{line.text}</Text>}
      </Static>
      <StatusLine status={props.status} />
      <InputLine onSubmit={props.onSubmit} recall={props.recall} />
    </>
  )
}

/** Container: connects the view to a ChatController. */
export function ChatApp ({ controller }: { controller: ChatController }): React.JSX.Element {
  const { exit } = useApp()
  const [, setTick] = useState(0)
  useEffect(() => {
    const update = (): void => { setTick(t => t + 1) }
    const quit = (): void => { exit() }
    controller.on('update', update)
    controller.on('quit', quit)
    return () => { controller.off('update', update); controller.off('quit', quit) }
  }, [controller, exit])
  // Lines run one after another, in the order they were entered (a paste may submit several at once).
  const queue = useRef<Promise<void>>(Promise.resolve())
  const submit = (value: string): void => {
    queue.current = queue.current.then(async () => { await controller.submit(value) }).catch(err => { const { code, message } = toErrorInfo(err); controller.push('error', `${code}: ${message}`) })
  }
  return <ChatView lines={[...controller.lines]} status={controller.status()} onSubmit={submit} recall={(d) => controller.recall(d)} />
}
