// Types `text` into the pad and waits until the server says it is stored.
import { editor, synced, until, decoding, done, fail } from './lib.mjs'

const [wsBase, pad, text] = process.argv.slice(2)
try {
  const e = editor(wsBase, pad, { acks: '1' })
  let stored = 0
  let sent = 0
  e.provider.messageHandlers[100] = (_encoder, decoder) => { stored = decoding.readVarUint(decoder) }
  await synced(e, 'writer')
  // The provider has sent its sync step 2; each insert below is one more update message.
  sent = 1
  for (const word of text.split(' ')) {
    e.text.insert(e.text.length, word + ' ')
    sent += 1
  }
  await until('everything stored', () => stored >= sent)
  e.provider.destroy()
  done({ stored, sent })
} catch (error) { fail(error) }
