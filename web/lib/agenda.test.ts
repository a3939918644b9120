import { describe, expect, it } from 'vitest';
import { addDays, dateInZone, groupAgenda } from './agenda';
import type { CalendarEvent } from './types';

const ev = (id: string, start: string, end: string, all_day = false): CalendarEvent => ({
  id, summary: id, start, end, all_day, time_zone: '', location: '', attendees: [], organizer: null, meet_link: '', html_link: '', status: 'confirmed',
});

describe('groupAgenda', () => {
  const now = new Date('2026-11-26T09:00:00Z');

  it('groups timed events by the local day in the time zone', () => {
    const events = [ev('late', '2026-11-26T23:30:00Z', '2026-11-27T00:00:00Z'), ev('early', '2026-11-26T10:00:00Z', '2026-11-26T11:00:00Z')];
    const utc = groupAgenda(events, now, 7, 'UTC');
    expect(utc.map((d) => [d.date, d.timed.map((e) => e.id)])).toEqual([['2026-11-26', ['early', 'late']]]);
    const berlin = groupAgenda(events, now, 7, 'Europe/Berlin');
    expect(berlin.map((d) => [d.date, d.timed.map((e) => e.id)])).toEqual([['2026-11-26', ['early']], ['2026-11-27', ['late']]]);
  });

  it('puts all-day events apart, on every day they cover, end exclusive', () => {
    const days = groupAgenda([ev('trip', '2026-11-27', '2026-11-29', true)], now, 7, 'UTC');
    expect(days.map((d) => [d.date, d.allDay.length, d.timed.length])).toEqual([['2026-11-27', 1, 0], ['2026-11-28', 1, 0]]);
  });

  it('keeps to the range', () => {
    const days = groupAgenda([ev('far', '2026-12-20T10:00:00Z', '2026-12-20T11:00:00Z'), ev('long', '2026-11-01', '2027-01-01', true)], now, 7, 'UTC');
    expect(days).toHaveLength(7);
    expect(days[0].date).toBe('2026-11-26');
    expect(days[6].date).toBe('2026-12-02');
  });

  it('computes dates', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(dateInZone(new Date('2026-11-26T23:30:00Z'), 'Asia/Tokyo')).toBe('2026-11-27');
  });
});
