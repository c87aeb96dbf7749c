import { describe, expect, it } from 'vitest'
import { splitWords } from '../../src/cli/parse.js'
import { parseLine } from '../../src/cli/commands.js'

describe('command lines', () => {
  it('splits quoted words', () => {
    expect(splitWords('space create "Test Space"')).toEqual(['space', 'create', 'Test Space'])
    expect(splitWords(`send 'it''s' "a \\"q\\""`)).toEqual(['send', 'its', 'a "q"'])
    expect(() => splitWords('send "open')).toThrow(/unclosed/)
  })
  it('finds two-word commands, aliases, a leading slash, and suggests the nearest on a typo', () => {
    expect(parseLine('/space create X')?.command.name).toBe('space create')
    expect(parseLine('space list')?.command.name).toBe('spaces')
    expect(parseLine('space abc')?.command.name).toBe('space')
    expect(parseLine('# comment')).toBeNull()
    expect(() => parseLine('conect /ip4/1.2.3.4')).toThrow(/did you mean `connect`/)
    expect(() => parseLine('mesages')).toThrow(expect.objectContaining({ code: 'UNKNOWN_COMMAND' }))
  })
})
