// Hostile input closes only the connection that sent it: garbage bytes, a truncated integer,
// a corrupt update, a text frame. Two editors keep editing meanwhile, and converge.
import { raw, syncMessage, editor, synced, until, done, fail } from './lib.mjs'

const [wsBase, pad] = process.argv.slice(2)
try {
  const a = editor(wsBase, pad)
  const b = editor(wsBase, pad)
  await synced(a, 'a')
  await synced(b, 'b')
  a.text.insert(0, 'before ')
  await until('b has a\'s first text', () => b.text.toString().includes('before'))
  const attacks = {
    garbage: new Uint8Array([0xff, 0xff, 0xff, 0xff]),
    truncated: new Uint8Array([0, 2, 0x80]),
    corrupt_update: syncMessage(2, new Uint8Array([7, 200, 1, 3, 9, 9, 9, 255, 255, 1])),
    text_frame: 'hello'
  }
  const closes = {}
  for (const [name, payload] of Object.entries(attacks)) {
    const attacker = await raw(`${wsBase}/${pad}`)
    attacker.ws.send(payload)
    await until(`${name} closes its connection`, () => attacker.closed !== null)
    closes[name] = attacker.closed
  }
  b.text.insert(b.text.length, ' after')
  a.text.insert(0, 'still ')
  await until('a and b converge after the attacks', () =>
    a.text.toString() === b.text.toString() && a.text.toString().includes('after') &&
    a.text.toString().includes('still'))
  const late = editor(wsBase, pad)
  await synced(late, 'late')
  await until('a late client has it all', () => late.text.toString() === a.text.toString())
  const result = { closes, text: a.text.toString(), a_connected: a.provider.wsconnected, b_connected: b.provider.wsconnected }
  for (const e of [a, b, late]) e.provider.destroy()
  done(result)
} catch (error) { fail(error) }
