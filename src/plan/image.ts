/** Which werf image reference a config names, and whether it can exist (pure). */
import { UsageError } from '../errors.js';
import type { Config } from '../config/schema.js';
import { isBareDigest, isRepository, isTag, parseReference } from './reference.js';

type ImageConfig = Config['image'];

/** Channels each group publishes (werf's release process); group 3 has only dev so far. */
const CHANNELS_OF_GROUP: Record<string, readonly string[]> = {
  '1.1': ['alpha', 'beta', 'ea', 'stable', 'rock-solid'],
  '1.2': ['alpha', 'beta', 'ea', 'stable', 'rock-solid'],
  '2': ['alpha', 'beta', 'ea', 'stable', 'rock-solid'],
  '3': ['dev'],
};

const REFERENCE_FORMS =
  'a full reference (registry/repository:tag, or @sha256:<64 hex>), or a digest alone (sha256:<64 hex>, taken from image.repository)';

function checkRepository(repository: string): void {
  if (!isRepository(repository)) {
    throw new UsageError(
      `image.repository "${repository}" is not a valid repository name`,
      'use registry/path in lower case without a tag, e.g. ghcr.io/werf/werf or registry.werf.io/werf/werf',
    );
  }
}

export function resolveImageRef(image: ImageConfig): string {
  if (image.reference) {
    if (image.version) {
      throw new UsageError(
        `image.reference "${image.reference}" and image.version "${image.version}" are both set`,
        'set one: image.reference names the whole image, image.version picks a tag of image.repository',
      );
    }
    if (isBareDigest(image.reference)) {
      checkRepository(image.repository);
      return `${image.repository}@${image.reference}`;
    }
    if (!parseReference(image.reference)) {
      throw new UsageError(`image.reference "${image.reference}" is not a valid image reference`, `use ${REFERENCE_FORMS}`);
    }
    return image.reference;
  }
  checkRepository(image.repository);
  if (image.version) {
    // werf's tags replace a "+" in a version (build metadata) with ".".
    const version = image.version.replace(/^v/, '').replace(/\+/g, '.');
    const tag = `${version}-${image.distro}`;
    if (!/^\d+\.\d+(\.\d+)?([.-][0-9A-Za-z.-]+)?$/.test(version) || !isTag(tag)) {
      throw new UsageError(
        `image.version "${image.version}" is not a werf version`,
        'use a released version such as 2.35.1 or v1.2.300 (or image.group and image.channel to follow a channel)',
      );
    }
    return `${image.repository}:${tag}`;
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
