/**
 * Does werf-run's stdin carry data werf may read (`date | werf-run helm secret
 * encrypt`, `werf-run kubectl apply -f - < file`)? A pipe, a file or a socket
 * does, as `docker run -i` would pass it on; a TTY is handled as a terminal,
 * and a closed stdin (`<&-`) or /dev/null's character device carries nothing.
 */
import { fstatSync } from 'node:fs';

export function stdinCarriesData(fd = 0): boolean {
  try {
    const s = fstatSync(fd);
    return s.isFIFO() || s.isFile() || s.isSocket();
  } catch {
    return false; // closed
  }
}
