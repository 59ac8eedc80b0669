/** How the pages write numbers, sizes and times. */

/** `20,000`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `1,234 B`, `12.3 KiB`, `4.5 MiB`. */
export function formatBytes(size: number): string {
  if (size < 1024) return `${size.toLocaleString('en-US')} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

/** `2024-01-02 03:04:05 UTC`. */
export function formatTime(time: Date): string {
  return `${time.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
