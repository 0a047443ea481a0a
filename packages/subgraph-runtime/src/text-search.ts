/** `text` with LIKE's wildcards (`%`, `_`) and its escape character escaped: a search matches what was typed. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/**
 * A Prisma filter for text containing `text`, case-insensitively. Prisma hands `contains` to SQL's LIKE as a
 * pattern, so `%` and `_` in a search would match anything: they are escaped here.
 */
export function containsText(text: string) {
  return { contains: escapeLike(text), mode: 'insensitive' as const };
}

/** The same match as an `ILIKE` pattern for SQL written by hand (served by the pg_trgm indexes). */
export const containsPattern = (text: string) => `%${escapeLike(text)}%`;
