/**
 * Reads the `.eml` files that Maille writes into `<data dir>/outbox/` in development:
 * just enough MIME to find the text/plain part of a message, whatever its transfer encoding
 * (7bit, 8bit, quoted-printable or base64), and the links in it.
 */

/** Splits a raw message (a latin1 string: one char per byte) into unfolded headers and body. */
function splitMessage(raw) {
  const match = /\r?\n\r?\n/.exec(raw);
  const head = match ? raw.slice(0, match.index) : raw;
  const body = match ? raw.slice(match.index + match[0].length) : '';
  const headers = new Map();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    }
  }
  return { headers, body };
}

function headerParam(value, name) {
  const match = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value ?? '');
  return match ? (match[1] ?? match[2]) : undefined;
}

/** Decodes quoted-printable text into bytes (soft line breaks removed). */
export function decodeQuotedPrintable(text) {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i += 1) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(joined.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function decodeBody(body, encoding, charset) {
  const kind = (encoding ?? '7bit').toLowerCase().trim();
  let bytes;
  if (kind === 'base64') bytes = Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (kind === 'quoted-printable') bytes = decodeQuotedPrintable(body);
  else bytes = Buffer.from(body, 'latin1');
  const label = (charset ?? 'utf-8').toLowerCase();
  return new TextDecoder(label === 'us-ascii' ? 'utf-8' : label).decode(bytes);
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?Q?...?=`, `=?UTF-8?B?...?=`) in a header value. */
export function decodeHeader(value) {
  return (value ?? '')
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, charset, kind, text) => {
      const bytes =
        kind.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : decodeQuotedPrintable(text.replace(/_/g, ' '));
      return new TextDecoder(charset.toLowerCase()).decode(bytes);
    });
}

/** Collects the leaf parts of a message: {type, text}. */
function leafParts(raw) {
  const { headers, body } = splitMessage(raw);
  const contentType = headers.get('content-type') ?? 'text/plain; charset=us-ascii';
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = headerParam(contentType, 'boundary');
    if (!boundary) return [];
    const parts = [];
    const chunks = body.split(new RegExp(`^--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*\\r?$`, 'm'));
    // The first chunk is the preamble and the last the epilogue.
    for (const chunk of chunks.slice(1, -1)) {
      parts.push(...leafParts(chunk.replace(/^\r?\n/, '')));
    }
    return parts;
  }
  return [{ type, text: decodeBody(body, headers.get('content-transfer-encoding'), headerParam(contentType, 'charset')) }];
}

/** Parses an .eml file's bytes: recipients, subject, plain text (or text from HTML) and links. */
export function parseEmail(bytes) {
  const raw = Buffer.isBuffer(bytes) ? bytes.toString('latin1') : Buffer.from(bytes, 'utf8').toString('latin1');
  const { headers } = splitMessage(raw);
  const parts = leafParts(raw);
  const plain = parts.find((part) => part.type === 'text/plain');
  const html = parts.find((part) => part.type === 'text/html');
  const text = plain
    ? plain.text
    : (html?.text ?? '').replace(/<a\s[^>]*href="([^"]+)"[^>]*>/gi, ' $1 ').replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&');
  return {
    to: decodeHeader(headers.get('to')),
    subject: decodeHeader(headers.get('subject')),
    text,
    links: [...text.matchAll(/https?:\/\/[^\s<>"'()[\]]+/g)].map((m) => m[0].replace(/[.,;:!?]+$/, '')),
  };
}
