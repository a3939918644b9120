import { describe, expect, it } from 'vitest';
import { applyChatEvent, startTurn, toChatEvent, type ChatState } from './chat';

describe('chat events', () => {
  it('decodes known events by their SSE type', () => {
    expect(toChatEvent('message.delta', '{"text":"hi"}')).toEqual({ type: 'message.delta', text: 'hi' });
    expect(toChatEvent('message', '{"type":"message.done","message_id":"m"}')).toEqual({ type: 'message.done', message_id: 'm' });
    expect(toChatEvent('unknown', '{}')).toBeNull();
    expect(toChatEvent('message.delta', 'not json')).toBeNull();
  });

  it('folds a stream into a turn', () => {
    let s: ChatState = startTurn({ turns: [] }, 'Draft a reply', 'x');
    const events = [
      ['conversation', '{"conversation_id":"c1"}'],
      ['message.delta', '{"text":"Let me "}'],
      ['tool.call', '{"id":"t1","name":"search_threads","arguments":{"q":"from:ada"}}'],
      ['tool.result', '{"id":"t1","name":"search_threads","ok":true,"summary":"3 threads"}'],
      ['message.delta', '{"text":"look."}'],
      ['approval.required', '{"approval_id":"a1","tool":"create_draft","proposal":{"to":["ada@example.com"],"subject":"Re: Hi","body_text":"Thanks"}}'],
      ['message.done', '{"message_id":"m1"}'],
    ];
    for (const [t, d] of events) s = applyChatEvent(s, toChatEvent(t, d)!);
    expect(s.conversationId).toBe('c1');
    expect(s.turns).toHaveLength(2);
    const a = s.turns[1];
    expect(a).toMatchObject({ id: 'm1', text: 'Let me look.', streaming: false });
    expect(a.toolCalls).toEqual([{ id: 't1', name: 'search_threads', arguments: { q: 'from:ada' }, ok: true, summary: '3 threads', state: 'ok' }]);
    expect(a.approvals[0]).toMatchObject({ id: 'a1', status: 'pending', proposal: { subject: 'Re: Hi' } });
  });
});
