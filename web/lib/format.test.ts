import { describe, expect, it } from 'vitest';
import { participantsLabel } from './format';

describe('participantsLabel', () => {
  const mary = { name: 'Mary Jones', email: 'mary@example.org' };
  const me = { name: 'Ada Lovelace', email: 'ada@example.com', me: true };
  it('names one sender in full, the user as me', () => {
    expect(participantsLabel([mary])).toBe('Mary Jones');
    expect(participantsLabel([me])).toBe('me');
  });
  it('names several by first name, in order', () => {
    expect(participantsLabel([mary, me])).toBe('Mary, me');
    expect(participantsLabel([me, { name: '', email: 'bob@example.net' }])).toBe('me, bob');
  });
  it('shortens more than three to the first and the last two', () => {
    const p = (n: string) => ({ name: n, email: `${n.toLowerCase()}@x.test` });
    expect(participantsLabel([p('Ann'), p('Bea'), p('Cy'), p('Dee'), me])).toBe('Ann .. Dee, me');
  });
  it('falls back to the latest sender without participants', () => {
    expect(participantsLabel(undefined, mary)).toBe('Mary Jones');
    expect(participantsLabel([], undefined)).toBe('');
  });
});
