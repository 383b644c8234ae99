import { slugify } from '../../src/domain/organization.js';

describe('slugify', () => {
  it('lower-cases, folds accents and joins words with dashes', () => {
    expect(slugify('Acme Corp')).toBe('acme-corp');
    expect(slugify('  Société Générale  ')).toBe('societe-generale');
    expect(slugify('R&D / Lab #1')).toBe('r-d-lab-1');
  });

  it('falls back to "org" when nothing usable is left and caps the length', () => {
    expect(slugify('日本')).toBe('org');
    expect(slugify('a'.repeat(80))).toHaveLength(50);
  });
});
