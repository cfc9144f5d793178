// Writes rich content as TipTap's Collaboration extension does (a Y.XmlFragment "default" of
// ProseMirror nodes, marks as text formatting), and waits until it is stored.
// `initial`: a heading and a paragraph with a bold word; `append`: one more paragraph.
import { Y, editor, synced, until, decoding, done, fail } from './lib.mjs'

const [wsBase, pad, mode] = process.argv.slice(2)
try {
  const e = editor(wsBase, pad, { acks: '1' })
  let stored = 0
  e.provider.messageHandlers[100] = (_encoder, decoder) => { stored = decoding.readVarUint(decoder) }
  await synced(e, 'writer')
  const fragment = e.doc.getXmlFragment('default')
  e.doc.transact(() => {
    if (mode === 'initial') {
      const heading = new Y.XmlElement('heading')
      heading.setAttribute('level', 2)
      heading.insert(0, [new Y.XmlText('Minutes')])
      const paragraph = new Y.XmlElement('paragraph')
      const text = new Y.XmlText()
      paragraph.insert(0, [text])
      fragment.insert(0, [heading, paragraph])
      text.insert(0, 'Hello ')
      text.insert(6, 'world', { bold: {} })
    } else {
      const paragraph = new Y.XmlElement('paragraph')
      paragraph.insert(0, [new Y.XmlText('later')])
      fragment.insert(fragment.length, [paragraph])
    }
  })
  // The sync step 2 and this one edit.
  await until('stored', () => stored >= 2)
  const xml = fragment.toString()
  e.provider.destroy()
  done({ xml })
} catch (error) { fail(error) }
