/**
 * The user that runs a rootless daemon, when werf-run can tell (pure): its
 * socket sits in that user's runtime dir, /run/user/<uid>/ (rootless Docker's
 * docker.sock, rootless Podman's podman/podman.sock), and that uid is this
 * process's own. Otherwise undefined (the remedy then names <daemon-user>).
 */
export function daemonUserOf(endpointUrl: string, self: { uid: number; username: string }): string | undefined {
  const match = /^unix:\/\/\/run\/user\/(\d+)\//.exec(endpointUrl);
  return match && Number(match[1]) === self.uid ? self.username : undefined;
}
