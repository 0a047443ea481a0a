/**
 * A Prisma filter for text containing `text`, case-insensitively. Prisma hands `contains` to SQL's LIKE as a
 * pattern, so `%` and `_` in a search would match anything: they (and LIKE's escape character) are escaped
 * here, so a search matches exactly what was typed.
 */
export function containsText(text: string) {
  return { contains: text.replace(/[\\%_]/g, (character) => `\\${character}`), mode: 'insensitive' as const };
}
