const formats = new Map<string, Intl.NumberFormat>();

/** Minor units as the visitor's locale writes them, e.g. { amount: 1999, currency: 'EUR' } → €19.99. */
export function formatMoney({ amount, currency }: { amount: number; currency: string }): string {
  let format = formats.get(currency);
  if (!format) {
    format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    formats.set(currency, format);
  }
  return format.format(amount / 100);
}
