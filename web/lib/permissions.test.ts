import { describe, expect, it } from 'vitest';
import { missingFeatures } from './permissions';

const G = 'https://www.googleapis.com/auth/';

describe('missingFeatures', () => {
  it('names the features a refused permission disables', () => {
    expect(missingFeatures([`${G}gmail.readonly`, `${G}gmail.compose`, `${G}calendar.readonly`])).toEqual([]);
    expect(missingFeatures([`${G}gmail.readonly`, `${G}gmail.compose`]).map((f) => f.name)).toEqual(['Reading your calendar']);
    expect(missingFeatures(['https://mail.google.com/']).map((f) => f.name)).toEqual(['Reading your calendar']);
    expect(missingFeatures([]).length).toBe(3);
  });
});
