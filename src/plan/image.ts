/** Which werf image reference a config names (pure). */
import { UsageError } from '../errors.js';
import type { Config } from '../config/schema.js';

type ImageConfig = Config['image'];

/** Channels each group publishes (werf's release process); group 3 has only dev so far. */
const CHANNELS_OF_GROUP: Record<string, readonly string[]> = {
  '1.1': ['alpha', 'beta', 'ea', 'stable', 'rock-solid'],
  '1.2': ['alpha', 'beta', 'ea', 'stable', 'rock-solid'],
  '2': ['alpha', 'beta', 'ea', 'stable', 'rock-solid'],
  '3': ['dev'],
};

export function resolveImageRef(image: ImageConfig): string {
  if (image.reference) return image.reference;
  if (image.version) {
    // werf's tags replace a "+" in a version (build metadata) with ".".
    const version = image.version.replace(/^v/, '').replace(/\+/g, '.');
    return `${image.repository}:${version}-${image.distro}`;
  }
  const channels = CHANNELS_OF_GROUP[image.group] ?? [];
  if (!channels.includes(image.channel)) {
    const valid = Object.entries(CHANNELS_OF_GROUP)
      .map(([group, list]) => `${group}: ${list.join(', ')}`)
      .join('; ');
    throw new UsageError(
      `image.channel "${image.channel}" is not published for image.group "${image.group}"`,
      `choose a channel the group has (${valid})`,
    );
  }
  return `${image.repository}:${image.group}-${image.channel}-${image.distro}`;
}
