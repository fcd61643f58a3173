/** Numbers written the way a voice reads them well: whole or one decimal, thousands grouped. */
const formatter = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export function spokenNumber(value: number): string {
  return formatter.format(value);
}

export function kilograms(value: number): string {
  return `${spokenNumber(value)} kg`;
}

/** "1 set", "3 sets". */
export function count(value: number, noun: string): string {
  return `${spokenNumber(value)} ${noun}${value === 1 ? '' : 's'}`;
}
