import { describe, expect, it } from 'vitest';
import { missingFeatures } from './permissions';

const G = 'https://www.googleapis.com/auth/';

describe('missingFeatures', () => {
  it('names the features a refused permission disables', () => {
    expect(missingFeatures([`${G}gmail.readonly`, `${G}gmail.compose`, `${G}gmail.modify`, `${G}calendar.readonly`])).toEqual([]);
    expect(missingFeatures([`${G}gmail.readonly`, `${G}gmail.compose`, `${G}gmail.modify`]).map((f) => f.name)).toEqual(['Reading your calendar']);
    // A grant from before Jarvis asked for gmail.modify: organising is what it lacks.
    expect(missingFeatures([`${G}gmail.readonly`, `${G}gmail.compose`, `${G}calendar.readonly`]).map((f) => f.name)).toEqual(['Organising your mail']);
    expect(missingFeatures([`${G}gmail.modify`, `${G}calendar.readonly`])).toEqual([]);
    expect(missingFeatures(['https://mail.google.com/']).map((f) => f.name)).toEqual(['Reading your calendar']);
    expect(missingFeatures([]).length).toBe(4);
  });
});
