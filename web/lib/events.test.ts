import { describe, expect, it } from 'vitest';
import { eventPatch, eventRequest, formOf, myResponse, newEventForm, repeatOf, rrule, wallTime } from './events';
import { splitAddresses } from './format';
import type { CalendarEvent } from './types';

describe('event times', () => {
  it('reads an instant on the clocks of a zone', () => {
    expect(wallTime(new Date('2026-12-07T15:00:00Z'), 'America/New_York')).toEqual({ date: '2026-12-07', time: '10:00' });
    expect(wallTime(new Date('2026-07-07T15:00:00Z'), 'America/New_York')).toEqual({ date: '2026-07-07', time: '11:00' });
  });

  it('sends wall-clock times with the explicit zone, an end before the start on the next day', () => {
    const f = { ...newEventForm(new Date('2026-12-07T09:20:00Z'), 'America/New_York'), summary: ' Review ', attendees: 'grace@example.com; bob@example.com' };
    expect(f.start).toBe('05:00');
    const r = eventRequest({ ...f, date: '2026-12-07', start: '23:00', end: '00:30', endDate: '2026-12-07', repeat: 'weekly' }, splitAddresses);
    expect(r).toMatchObject({
      summary: 'Review', time_zone: 'America/New_York', start: '2026-12-07T23:00', end: '2026-12-08T00:30',
      attendees: ['grace@example.com', 'bob@example.com'], recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO'],
    });
    const allDay = eventRequest({ ...f, allDay: true, date: '2026-12-07', endDate: '2026-12-08' }, splitAddresses);
    expect(allDay).toMatchObject({ start: '2026-12-07', end: '2026-12-09' });
  });

  it('patches only what changed, never a new rule for one instance', () => {
    const before = { ...newEventForm(new Date('2026-12-07T09:20:00Z'), 'Europe/London'), summary: 'Standup', repeat: 'none' as const };
    expect(eventPatch(before, { ...before, summary: 'Stand-up' }, 'following', splitAddresses)).toEqual({ summary: 'Stand-up', scope: 'following', send_updates: 'all' });
    const moved = eventPatch(before, { ...before, start: '11:00', end: '11:30', repeat: 'daily' }, 'instance', splitAddresses);
    expect(moved).toMatchObject({ start: `${before.date}T11:00`, end: `${before.date}T11:30`, time_zone: 'Europe/London', scope: 'instance' });
    expect(moved.recurrence).toBeUndefined();
    expect(eventPatch(before, { ...before, repeat: 'daily' }, 'series', splitAddresses).recurrence).toEqual(['RRULE:FREQ=DAILY']);
  });

  it('turns presets into RRULEs and back', () => {
    for (const p of ['daily', 'weekdays', 'weekly', 'monthly', 'yearly'] as const) expect(repeatOf([rrule(p, '2026-12-07')!])).toBe(p);
    expect(rrule('none', '2026-12-07')).toBeNull();
    expect(repeatOf(['RRULE:FREQ=HOURLY'])).toBe('none');
  });

  it('fills the form from an event in its own zone', () => {
    const ev = { id: 'e', summary: 'Sync', start: '2026-12-07T15:00:00Z', end: '2026-12-07T15:30:00Z', all_day: false, time_zone: 'America/New_York',
      location: '', attendees: [{ email: 'ada@example.com', name: '', response_status: 'needsAction' }], organizer: { email: 'grace@example.com', name: '' },
      meet_link: '', html_link: '', status: 'confirmed', recurrence: ['RRULE:FREQ=DAILY'] } as CalendarEvent;
    expect(formOf(ev, 'UTC')).toMatchObject({ date: '2026-12-07', start: '10:00', end: '10:30', timeZone: 'America/New_York', repeat: 'daily' });
    expect(myResponse(ev, new Set(['ada@example.com']))).toBe('needsAction');
    expect(myResponse(ev, new Set(['grace@example.com']))).toBeNull();
  });
});
