/**
 * The uid and gid a container's `User` value (`docker run --user`: name,
 * uid, name:group, uid:gid) stands for, read from the image's own
 * /etc/passwd and /etc/group the way runc resolves it when the container
 * starts (libcontainer/user, GetExecUser): a name must be in the file; a
 * number need not be (then its group is 0 unless the file knows it). Pure:
 * the files' text in, the ids or the missing name out. Used to own the files
 * handed in for a user the image contract does not know by uid.
 */

export type UserIds = { uid: number; gid: number } | { missing: 'user' | 'group'; name: string };

interface Row {
  name: string;
  id: number;
  gid?: number;
}

function rows(text: string, hasGid: boolean): Row[] {
  const out: Row[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(':');
    if (fields.length < 3 || fields[0] === '' || fields[0]!.startsWith('#')) continue;
    const id = Number(fields[2]);
    if (!/^\d+$/.test(fields[2]!)) continue;
    out.push({ name: fields[0]!, id, ...(hasGid && /^\d+$/.test(fields[3] ?? '') ? { gid: Number(fields[3]) } : {}) });
  }
  return out;
}

export function resolveUserIds(spec: string, passwd: string, group: string): UserIds {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const users = rows(passwd, true);
  const numeric = /^\d+$/.test(userPart);
  // runc: a name first, then a number (a passwd row with that uid lends its group).
  const row = users.find((u) => u.name === userPart) ?? (numeric ? users.find((u) => u.id === Number(userPart)) : undefined);
  if (!row && !numeric) return { missing: 'user', name: userPart };
  const uid = row ? row.id : Number(userPart);
  if (groupPart === undefined || groupPart === '') return { uid, gid: row?.gid ?? 0 };
  const named = rows(group, false).find((g) => g.name === groupPart);
  if (named) return { uid, gid: named.id };
  if (/^\d+$/.test(groupPart)) return { uid, gid: Number(groupPart) };
  return { missing: 'group', name: groupPart };
}

/** The engine's own words for a user or group the image lacks (runc's), so cli/user-error.ts names the config key. */
export function missingIdMessage(missing: { missing: 'user' | 'group'; name: string }): string {
  const file = missing.missing === 'user' ? 'passwd' : 'group';
  return `unable to find ${missing.missing} ${missing.name}: no matching entries in ${file} file`;
}
