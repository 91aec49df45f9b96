/**
 * Pull progress as layers and bytes, from the engine's pull events (pure).
 * Docker sends per-layer events ("Pulling fs layer", "Downloading" with
 * current/total, "Download complete", "Extracting", "Pull complete",
 * "Already exists"); Podman's compatible API sends only "Pulling fs layer",
 * "Downloading" and "Download complete" (and counts the config blob as a
 * layer), so counting done layers never depends on byte totals.
 */
import type { PullProgress } from '../engine/port.js';

const LAYER_STATUS =
  /^(Pulling fs layer|Waiting|Downloading|Verifying Checksum|Download complete|Extracting|Pull complete|Already exists|Copying blob)/;
// A layer counts once it is downloaded: Podman's API never sends "Pull complete" (seen with 4.3).
const DONE_STATUS = /^(Download complete|Pull complete|Already exists)/;

interface Layer {
  current: number;
  total: number;
  done: boolean;
}

export class PullTracker {
  private readonly layers = new Map<string, Layer>();

  /** Feeds one event; returns true when it changed what the summary says. */
  add(event: PullProgress): boolean {
    if (!event.id || !LAYER_STATUS.test(event.status)) return false;
    const layer = this.layers.get(event.id) ?? { current: 0, total: 0, done: false };
    if (event.status.startsWith('Downloading') && event.total) {
      layer.total = event.total;
      layer.current = event.current ?? layer.current;
    }
    if (/^(Download complete|Extracting|Pull complete)/.test(event.status) && layer.total) layer.current = layer.total;
    if (DONE_STATUS.test(event.status)) layer.done = true;
    this.layers.set(event.id, layer);
    return true;
  }

  get counts(): { layers: number; done: number; current: number; total: number } {
    let done = 0;
    let current = 0;
    let total = 0;
    for (const layer of this.layers.values()) {
      if (layer.done) done++;
      current += layer.current;
      total += layer.total;
    }
    return { layers: this.layers.size, done, current, total };
  }

  /** "3/5 layers, 12.3/45.6 MB" (bytes only once the engine has told any). */
  summary(): string {
    const { layers, done, current, total } = this.counts;
    const bytes = total > 0 ? `, ${megabytes(current)}/${megabytes(total)} MB` : '';
    return `${done}/${layers} layers${bytes}`;
  }
}

const megabytes = (bytes: number): string => (bytes / 1e6).toFixed(1);
