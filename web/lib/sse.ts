// A parser for text/event-stream that is fed arbitrary chunks of bytes, as a
// fetch body reader delivers them: a line, an event, or a multi-byte
// character may be split across any two chunks.

export interface SSEEvent {
  /** The event type; "message" when the stream named none. */
  event: string;
  /** The data lines joined with "\n". */
  data: string;
  id?: string;
}

export class SSEParser {
  private decoder = new TextDecoder('utf-8');
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private hasData = false;
  private sawCR = false;
  private first = true;

  /** push feeds bytes (or already decoded text) and returns the events completed by them. */
  push(chunk: Uint8Array | string): SSEEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return this.consume(text);
  }

  /** end flushes the decoder. An event without its closing blank line is dropped, as the spec says. */
  end(): SSEEvent[] {
    const out = this.consume(this.decoder.decode());
    this.buffer = '';
    return out;
  }

  private consume(text: string): SSEEvent[] {
    const out: SSEEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '\n' && this.sawCR && i === start && this.buffer === '') {
        // The \n of a \r\n pair whose \r ended the previous line.
        this.sawCR = false;
        start = i + 1;
        continue;
      }
      this.sawCR = false;
      if (c === '\r' || c === '\n') {
        const line = this.buffer + text.slice(start, i);
        this.buffer = '';
        if (c === '\r') {
          if (text[i + 1] === '\n') i++;
          else if (i + 1 === text.length) this.sawCR = true;
        }
        start = i + 1;
        const ev = this.line(line);
        if (ev) out.push(ev);
      }
    }
    this.buffer += text.slice(start);
    return out;
  }

  private line(line: string): SSEEvent | null {
    if (line === '') {
      if (!this.hasData) {
        this.event = '';
        return null;
      }
      const ev: SSEEvent = { event: this.event || 'message', data: this.data.join('\n') };
      if (this.id !== undefined) ev.id = this.id;
      this.event = '';
      this.data = [];
      this.hasData = false;
      return ev;
    }
    if (line[0] === ':') return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      default:
        // "retry" and unknown fields mean nothing to a fetch-based reader.
        break;
    }
    return null;
  }
}

/** readSSE reads a response body to its end, calling onEvent for each event. */
export async function readSSE(body: ReadableStream<Uint8Array>, onEvent: (e: SSEEvent) => void, signal?: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const parser = new SSEParser();
  const abort = () => reader.cancel().catch(() => {});
  signal?.addEventListener('abort', abort);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const ev of parser.push(value)) onEvent(ev);
    }
    for (const ev of parser.end()) onEvent(ev);
  } finally {
    signal?.removeEventListener('abort', abort);
    reader.releaseLock();
  }
}
