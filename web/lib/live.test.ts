import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useLive, type LiveEvent } from './live';

// A stand-in for the browser's EventSource that the test drives.
class FakeSource {
  static all: FakeSource[] = [];
  listeners = new Map<string, (ev: MessageEvent) => void>();
  onerror: (() => void) | null = null;
  closed = false;
  constructor(public url: string) {
    FakeSource.all.push(this);
  }
  addEventListener(t: string, fn: (ev: MessageEvent) => void) {
    this.listeners.set(t, fn);
  }
  close() {
    this.closed = true;
  }
  emit(t: string, data: unknown) {
    this.listeners.get(t)?.({ data: JSON.stringify(data) } as MessageEvent);
  }
}

describe('useLive', () => {
  beforeEach(() => {
    FakeSource.all = [];
    vi.useFakeTimers();
    vi.stubGlobal('EventSource', FakeSource);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('shares one stream, hands every listener the events, and closes with the last', () => {
    const a: LiveEvent[] = [];
    const b: LiveEvent[] = [];
    const ha = renderHook(() => useLive((e) => a.push(e)));
    const hb = renderHook(() => useLive((e) => b.push(e)));
    expect(FakeSource.all).toHaveLength(1);
    expect(FakeSource.all[0].url).toBe('/events');
    act(() => FakeSource.all[0].emit('mail.changed', { account_id: 'acc', thread_ids: ['t'] }));
    expect(a).toEqual([{ type: 'mail.changed', data: { account_id: 'acc', thread_ids: ['t'] } }]);
    expect(b).toEqual(a);
    ha.unmount();
    expect(FakeSource.all[0].closed).toBe(false);
    hb.unmount();
    expect(FakeSource.all[0].closed).toBe(true);
  });

  it('hands on every step of an action the server streams', () => {
    const got: LiveEvent[] = [];
    const h = renderHook(() => useLive((e) => got.push(e)));
    for (const t of ['action.requested', 'action.approved', 'action.rejected', 'action.expired', 'action.executed', 'action.failed']) {
      act(() => FakeSource.all[0].emit(t, { action_id: 'a1', kind: 'gmail.message.send', status: 'pending', requester_type: 'assistant' }));
    }
    expect(got.map((e) => e.type)).toEqual(['action.requested', 'action.approved', 'action.rejected', 'action.expired', 'action.executed', 'action.failed']);
    h.unmount();
  });

  it('reconnects after an error with a growing delay, and asks for a reload', () => {
    const got: LiveEvent[] = [];
    const h = renderHook(() => useLive((e) => got.push(e)));
    act(() => FakeSource.all[0].onerror?.());
    expect(FakeSource.all[0].closed).toBe(true);
    act(() => vi.advanceTimersByTime(999));
    expect(FakeSource.all).toHaveLength(1);
    act(() => vi.advanceTimersByTime(1));
    expect(FakeSource.all).toHaveLength(2);
    expect(got).toEqual([{ type: 'reload', data: {} }]);
    act(() => FakeSource.all[1].onerror?.());
    act(() => vi.advanceTimersByTime(1999));
    expect(FakeSource.all).toHaveLength(2);
    act(() => vi.advanceTimersByTime(1));
    expect(FakeSource.all).toHaveLength(3);
    h.unmount();
  });
});
