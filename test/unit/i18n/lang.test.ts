/** Issue 26: which language answers: ?lang= > the user's profile > Accept-Language > the configured default. */
import { describe, expect, it } from 'vitest';
import { fromAcceptLanguage, pickLang } from '../../../src/i18n/lang.js';
import { plural } from '../../../src/i18n/plural.js';

describe('language choice (issue 26)', () => {
  it('Accept-Language by q, then order; regions and unknown languages', () => {
    expect(fromAcceptLanguage('ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7')).toBe('ru');
    expect(fromAcceptLanguage('de-DE, kk;q=0.5, en;q=0.4')).toBe('kk');
    expect(fromAcceptLanguage('en;q=0.2, kk-KZ;q=0.9')).toBe('kk');
    expect(fromAcceptLanguage('de, fr')).toBeUndefined();
    expect(fromAcceptLanguage('ru;q=0')).toBeUndefined();
    expect(fromAcceptLanguage(undefined)).toBeUndefined();
    expect(fromAcceptLanguage('x'.repeat(100_000))).toBeUndefined();
  });

  it('?lang= wins over the profile, the profile over the header, the header over the default', () => {
    const acceptLanguage = 'kk';
    expect(pickLang({ query: 'en', profile: 'ru', acceptLanguage, fallback: 'ru' })).toBe('en');
    expect(pickLang({ query: 'xx', profile: 'ru', acceptLanguage, fallback: 'en' })).toBe('ru');
    expect(pickLang({ acceptLanguage, fallback: 'en' })).toBe('kk');
    expect(pickLang({ acceptLanguage: 'de', fallback: 'ru' })).toBe('ru');
    expect(pickLang({})).toBe('en');
  });

  it('ICU plural categories: ru one / few / many, en one / other', () => {
    const forms = { one: '# счётчик', few: '# счётчика', many: '# счётчиков', other: '# счётчика' };
    expect([1, 2, 5, 11, 21, 22, 25].map((n) => plural('ru', n, forms))).toEqual([
      '1 счётчик',
      '2 счётчика',
      '5 счётчиков',
      '11 счётчиков',
      '21 счётчик',
      '22 счётчика',
      '25 счётчиков',
    ]);
    expect(plural('en', 1, { one: '# meter', other: '# meters' })).toBe('1 meter');
    expect(plural('en', 1000, { one: '# meter', other: '# meters' })).toBe('1,000 meters');
  });
});
