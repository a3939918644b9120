'use client';

import { useCallback, useRef, useState } from 'react';
import { api } from '@/lib/api';
import { formatSize, initials, longDate, personFull, shortDate } from '@/lib/format';
import type { Message, Person } from '@/lib/types';

/** TextBody keeps line breaks and sets quoted lines ("> …") apart. */
export function TextBody({ text }: { text: string }) {
  const blocks: { quote: boolean; lines: string[] }[] = [];
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const quote = /^\s*>/.test(line);
    const last = blocks[blocks.length - 1];
    if (last && last.quote === quote) last.lines.push(line);
    else blocks.push({ quote, lines: [line] });
  }
  return (
    <div className="mail-text">
      {blocks.map((b, i) =>
        b.quote ? (
          <blockquote key={i} className="quote">{b.lines.join('\n')}</blockquote>
        ) : (
          <div key={i}>{b.lines.join('\n')}</div>
        ),
      )}
    </div>
  );
}

/**
 * MailFrame shows a message's HTML from the API's own route, which
 * sanitises it and sends a CSP without scripts. The sandbox leaves scripts
 * off; same-origin lets the page measure the content to size the frame.
 */
export function MailFrame({ message, account }: { message: Message; account?: string }) {
  const [images, setImages] = useState(false);
  const frame = useRef<HTMLIFrameElement>(null);
  const fit = useCallback(() => {
    const f = frame.current;
    try {
      const doc = f?.contentDocument;
      if (f && doc?.documentElement) {
        const h = Math.max(doc.documentElement.scrollHeight, doc.body?.scrollHeight || 0);
        f.style.height = `${Math.min(Math.max(h + 8, 120), 20000)}px`;
      }
    } catch {
      // Not measurable: keep the default height.
    }
  }, []);
  return (
    <div>
      <div className="images-note">
        {images ? (
          <span className="muted">Remote images are shown.</span>
        ) : (
          <>
            <span className="muted">Remote images are blocked to protect your privacy.</span>
            <button type="button" onClick={() => setImages(true)}>Show remote images</button>
          </>
        )}
      </div>
      <iframe
        ref={frame}
        className="mail-frame"
        title={`Message from ${message.from?.name || message.from?.email || 'sender'}`}
        sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
        referrerPolicy="no-referrer"
        src={api.messageHTMLURL(message.id, images, account)}
        onLoad={fit}
      />
    </div>
  );
}

function People({ list }: { list: Person[] }) {
  return <>{list.map(personFull).join(', ')}</>;
}

/**
 * MessageView shows one message of a thread. Collapsed (a read message that
 * is not the last, as Gmail shows them), it is one line — sender, snippet,
 * date — that expands when activated. A draft is marked as one (a "Draft"
 * badge, "Saved" rather than "Date", a note that it is not sent) and offers
 * to open it in the composer: it is never shown as if it had been sent.
 */
export function MessageView({ message, account, headingId, collapsed = false, onExpand, draft = false, onOpenDraft }: {
  message: Message;
  /** The Google account the message is in ("" for the primary). */
  account?: string;
  headingId?: string;
  collapsed?: boolean;
  onExpand?: () => void;
  draft?: boolean;
  onOpenDraft?: () => void;
}) {
  const from = message.from || { name: '', email: '' };
  const badge = draft && <span className="badge badge-draft">Draft</span>;
  if (collapsed) {
    return (
      <article className={`card message message-collapsed${draft ? ' message-draft' : ''}`} aria-labelledby={headingId}>
        <h2 className="message-line">
          <button type="button" id={headingId} aria-expanded="false" onClick={onExpand}>
            <span className="avatar" aria-hidden="true">{initials(from.name, from.email)}</span>
            <span className="message-line-from">{badge}{from.name || from.email}</span>
            <span className="message-line-snippet muted">{message.snippet}</span>
            <time className="muted small" dateTime={message.date}>{shortDate(message.date)}</time>
          </button>
        </h2>
      </article>
    );
  }
  const attachments = (message.attachments || []).filter((a) => !a.content_id || !message.html);
  return (
    <article className={`card message${draft ? ' message-draft' : ''}`} aria-labelledby={headingId}>
      <div className="message-head">
        <span className="avatar" aria-hidden="true">{initials(from.name, from.email)}</span>
        <div className="message-meta">
          <h2 id={headingId} className="h-from">
            {badge}
            {from.name || from.email}{from.name && <span className="muted small"> &lt;{from.email}&gt;</span>}
          </h2>
          {message.authentication?.dmarc === 'fail' && (
            <p className="sender-warning small" title={`Gmail's DMARC check failed for ${message.authentication.from_domain || 'the sender\'s domain'}: this From may be forged.`}>
              Gmail could not verify this sender
            </p>
          )}
          <dl>
            {message.to?.length > 0 && (<><dt>To</dt><dd><People list={message.to} /></dd></>)}
            {message.cc?.length > 0 && (<><dt>Cc</dt><dd><People list={message.cc} /></dd></>)}
            <dt>{draft ? 'Saved' : 'Date'}</dt><dd><time dateTime={message.date}>{longDate(message.date)}</time></dd>
          </dl>
        </div>
        {draft && onOpenDraft && (
          <button type="button" onClick={onOpenDraft}>Open in composer</button>
        )}
      </div>
      {draft && <p className="muted small draft-note">Not sent: this draft is in your Gmail Drafts.</p>}
      {message.html ? <MailFrame message={message} account={account} /> : <TextBody text={message.text || message.snippet || ''} />}
      {attachments.length > 0 && (
        <>
          <h3>Attachments</h3>
          <ul className="attachments">
            {attachments.map((a) => (
              <li key={a.id}>
                <a href={api.attachmentURL(message.id, a.id, account)} download={a.filename || true}>
                  <strong>{a.filename || 'attachment'}</strong>
                  <span className="muted small">{a.mime_type} · {formatSize(a.size)}</span>
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </article>
  );
}
