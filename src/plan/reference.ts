/**
 * Docker image reference syntax (distribution/reference's grammar), to reject
 * a malformed image.reference before the engine does it with a vaguer message.
 */
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const name = `(?:${domain}/)?${pathComponent}(?:/${pathComponent})*`;
const tag = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const REFERENCE = new RegExp(`^(${name})(?::(${tag}))?(?:@(${DIGEST}))?$`);
const REPOSITORY = new RegExp(`^${name}$`);
const TAG = new RegExp(`^${tag}$`);
const BARE_DIGEST = new RegExp(`^${DIGEST}$`);

export interface ParsedReference {
  name: string;
  tag?: string;
  digest?: string;
}

/** The parts of a reference, or undefined when it is malformed. */
export function parseReference(reference: string): ParsedReference | undefined {
  const match = REFERENCE.exec(reference);
  if (!match?.[1] || match[1].length > 255) return undefined;
  return { name: match[1], tag: match[2], digest: match[3] };
}

export const isRepository = (value: string): boolean => REPOSITORY.test(value);
export const isTag = (value: string): boolean => TAG.test(value);
export const isBareDigest = (value: string): boolean => BARE_DIGEST.test(value);
