/**
 * The interactive (ink) UI: scrollback of messages and results above (append-only, `<Static>`), a
 * status line, and the input line with history (up/down). Incoming messages are appended to the
 * scrollback, so they never disturb what the user is typing.
 */
import React, { useEffect, useState } from 'react'
import { Box, Static, Text, useApp, useInput } from 'ink'
import TextInput from 'ink-text-input'
import type { ChatController, Line, Status } from './controller.js'

const COLOURS: Record<Line['kind'], string | undefined> = { message: undefined, info: 'gray', error: 'red', echo: 'cyan' }

/** One-line summary: name, peers, DHT routing table size, health, current space and channel. */
export function StatusLine ({ status }: { status: Status }): React.JSX.Element {
  const health = status.peers === 0 ? 'offline' : status.routingTable === 0 ? 'no DHT peers' : 'ok'
  const where = status.space == null ? 'no space' : `${status.space} #${status.channel ?? '?'}`
  return (
    <Box>
      <Text inverse>{` ${status.name} | ${status.peers} peer${status.peers === 1 ? '' : 's'} | DHT ${status.routingTable} | ${health} | ${where} `}</Text>
    </Box>
  )
}

/** Pure view: scrollback, status line, input. */
export function ChatView (props: { lines: Line[], status: Status, input: string, onChange: (v: string) => void, onSubmit: (v: string) => void }): React.JSX.Element {
  return (
    <>
      <Static items={props.lines}>
        {(line) => <Text key={line.id} color={COLOURS[line.kind]}>{line.text}</Text>}
      </Static>
      <StatusLine status={props.status} />
      <Box>
        <Text color='green'>{'> '}</Text>
        <TextInput value={props.input} onChange={props.onChange} onSubmit={props.onSubmit} />
      </Box>
    </>
  )
}

/** Container: connects the view to a ChatController. */
export function ChatApp ({ controller }: { controller: ChatController }): React.JSX.Element {
  const { exit } = useApp()
  const [input, setInput] = useState('')
  const [, setTick] = useState(0)
  useEffect(() => {
    const update = (): void => { setTick(t => t + 1) }
    const quit = (): void => { exit() }
    controller.on('update', update)
    controller.on('quit', quit)
    return () => { controller.off('update', update); controller.off('quit', quit) }
  }, [controller, exit])
  useInput((_, key) => {
    if (key.upArrow) setInput(controller.recall(-1))
    else if (key.downArrow) setInput(controller.recall(1))
  })
  const submit = (value: string): void => {
    setInput('')
    controller.submit(value).catch(err => { controller.push('error', String(err)) })
  }
  return <ChatView lines={[...controller.lines]} status={controller.status()} input={input} onChange={setInput} onSubmit={submit} />
}
