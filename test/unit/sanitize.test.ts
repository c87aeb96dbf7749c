import { describe, expect, it } from 'vitest'
import { sanitizeText } from '../../src/core/sanitize.js'

describe('sanitizeText', () => {
  it('removes CSI, OSC, C0/C1 controls and bidi overrides', () => {
    expect(sanitizeText('\u001b[2J\u001b[31mred\u001b[0m')).toBe('red')
    expect(sanitizeText('a\u001b]0;evil title\u0007b')).toBe('ab')
    expect(sanitizeText('a\u009b31mb\u0007c\u0000d')).toBe('abcd')
    expect(sanitizeText('x\u202eevil')).toBe('xevil')
    expect(sanitizeText('bell\u0007 back\bspace')).toBe('bell backspace')
  })
  it('keeps newlines only when asked, and keeps ordinary unicode', () => {
    expect(sanitizeText('a\nb')).toBe('a b')
    expect(sanitizeText('a\r\nb', true)).toBe('a\nb')
    expect(sanitizeText('héllo 👋 日本')).toBe('héllo 👋 日本')
  })
})
