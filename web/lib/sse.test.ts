import { describe, expect, it } from 'vitest';
import { SSEParser, readSSE, type SSEEvent } from './sse';

const enc = new TextEncoder();

function feed(chunks: (string | Uint8Array)[]): SSEEvent[] {
  const p = new SSEParser();
  const out: SSEEvent[] = [];
  for (const c of chunks) out.push(...p.push(typeof c === 'string' ? enc.encode(c) : c));
  out.push(...p.end());
  return out;
}

const stream =
  'event: conversation\ndata: {"conversation_id":"c1"}\n\n' +
  ': keep-alive\n\n' +
  'event: message.delta\ndata: {"text":"Héllo 👋"}\n\n' +
  'event: message.delta\r\ndata: {"text":" world"}\r\n\r\n' +
  'data: line one\ndata: line two\n\n' +
  'event: message.done\rdata: {"message_id":"m1"}\r\r';

const expected: SSEEvent[] = [
  { event: 'conversation', data: '{"conversation_id":"c1"}' },
  { event: 'message.delta', data: '{"text":"Héllo 👋"}' },
  { event: 'message.delta', data: '{"text":" world"}' },
  { event: 'message', data: 'line one\nline two' },
  { event: 'message.done', data: '{"message_id":"m1"}' },
];

describe('SSEParser', () => {
  it('parses a whole stream in one chunk', () => {
    expect(feed([stream])).toEqual(expected);
  });

  it('gives the same events however the bytes are split', () => {
    const bytes = enc.encode(stream);
    // Every split point, including inside the multi-byte characters and between \r and \n.
    for (let i = 1; i < bytes.length; i++) {
      expect(feed([bytes.slice(0, i), bytes.slice(i)])).toEqual(expected);
    }
  });

  it('handles one byte at a time', () => {
    const bytes = enc.encode(stream);
    const chunks = Array.from(bytes, (b) => new Uint8Array([b]));
    expect(feed(chunks)).toEqual(expected);
  });

  it('handles three-way splits around CRLF', () => {
    const s = 'event: a\r\ndata: 1\r\n\r\nevent: b\r\ndata: 2\r\n\r\n';
    const bytes = enc.encode(s);
    for (let i = 1; i < bytes.length - 1; i++) {
      for (let j = i + 1; j < bytes.length; j++) {
        expect(feed([bytes.slice(0, i), bytes.slice(i, j), bytes.slice(j)])).toEqual([
          { event: 'a', data: '1' },
          { event: 'b', data: '2' },
        ]);
      }
    }
  });

  it('keeps the id, strips one leading space, ignores comments and unknown fields', () => {
    expect(feed(['id: 7\nretry: 100\nfoo: bar\ndata:  two spaces\n\n'])).toEqual([{ event: 'message', data: ' two spaces', id: '7' }]);
  });

  it('drops an event without data and an unterminated trailing event', () => {
    expect(feed(['event: ping\n\n', 'data: partial'])).toEqual([]);
  });

  it('skips a byte order mark', () => {
    expect(feed(['\uFEFFdata: x\n\n'])).toEqual([{ event: 'message', data: 'x' }]);
  });
});

describe('readSSE', () => {
  it('reads a response body stream', async () => {
    const bytes = enc.encode(stream);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 7) c.enqueue(bytes.slice(i, i + 7));
        c.close();
      },
    });
    const got: SSEEvent[] = [];
    await readSSE(body, (e) => got.push(e));
    expect(got).toEqual(expected);
  });
});
