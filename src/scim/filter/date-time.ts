/**
 * SCIM dateTime values (RFC 7643 §2.3.5: xsd:dateTime) as instants. Strict: the fields must
 * be in range (no 30 February, no hour 25) and a sign or a leading zero on a year past 9999
 * is not xsd. A value without a time zone is read as UTC. Years beyond what an instant here
 * can hold still compare correctly: they come back as ±Infinity.
 */
const XSD_DATE_TIME = /^(-?)(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Milliseconds since the epoch (UTC), ±Infinity beyond about ±275,000 years, or undefined when not xsd:dateTime. */
export function parseDateTime(text: string): number | undefined {
  const m = XSD_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, sign, yearText, mo, d, h, mi, s, fraction, zone] = m;
  if (yearText!.length > 4 && yearText!.startsWith('0')) return undefined;
  const year = Number(yearText) * (sign ? -1 : 1);
  const month = Number(mo);
  const day = Number(d);
  const [hour, minute, second] = [Number(h), Number(mi), Number(s)];
  if (month < 1 || month > 12 || day < 1) return undefined;
  if (day > DAYS_IN_MONTH[month - 1]! || (month === 2 && day === 29 && !isLeap(year))) return undefined;
  const midnight = hour === 24 && minute === 0 && second === 0 && !/[1-9]/.test(fraction ?? '');
  if ((hour > 23 && !midnight) || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (zone && zone !== 'Z') {
    const [zh, zm] = zone.slice(1).split(':').map(Number) as [number, number];
    if (zh > 14 || zm > 59 || (zh === 14 && zm > 0)) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (zh * 60 + zm);
  }
  if (Math.abs(year) > 270_000) return year > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // Whole milliseconds, truncated (instants here are milliseconds).
  const milliseconds = Number(((fraction ?? '.').slice(1) + '000').slice(0, 3));
  date.setUTCHours(hour, minute, second, milliseconds);
  return date.getTime() - offsetMinutes * 60_000;
}
