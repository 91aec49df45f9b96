/**
 * The desktop products that run a Docker Engine in a VM on a laptop (Docker
 * Desktop, OrbStack, Colima, Rancher Desktop, Podman machine, Lima), told
 * apart from what the engine says (/info) and where it answers, and what
 * each one means for werf: which bind sources its VM can see, and how (if
 * at all) the ssh agent reaches a container. Pure; docs/laptops.md says the
 * same for people.
 */

export type LaptopProduct = 'docker-desktop' | 'orbstack' | 'colima' | 'rancher-desktop' | 'podman-machine' | 'lima';

export interface ProductClues {
  /** /info OperatingSystem: "Docker Desktop", "OrbStack", "Rancher Desktop WSL Distribution", ... */
  operatingSystem?: string;
  /** /info Name: the VM's hostname ("colima", "colima-PROFILE", "lima-rancher-desktop", "lima-NAME"). */
  name?: string;
  /** The endpoint werf-run talks to (unix:///Users/me/.colima/default/docker.sock, ...). */
  endpointUrl?: string;
  product?: 'docker' | 'podman';
}

/** The product, or undefined for an engine that is none of them (a Linux engine, a remote one). */
export function laptopProduct(clues: ProductClues): LaptopProduct | undefined {
  const os = clues.operatingSystem ?? '';
  const name = clues.name ?? '';
  const url = clues.endpointUrl ?? '';
  if (/Docker Desktop/i.test(os) || /dockerDesktopLinuxEngine|docker_engine_linux|\/\.docker\/(desktop|run)\/docker\.sock/.test(url))
    return 'docker-desktop';
  if (/OrbStack/i.test(os) || /\/\.orbstack\//.test(url)) return 'orbstack';
  if (/^colima(-|$)/.test(name) || /\/\.colima\//.test(url)) return 'colima';
  if (/Rancher Desktop/i.test(os) || name === 'lima-rancher-desktop' || /\/\.rd\/docker\.sock|rancher_desktop|rancher-desktop/.test(url))
    return 'rancher-desktop';
  if (clues.product === 'podman' && /podman[-/]machine|podman-machine-default/.test(url)) return 'podman-machine';
  if (/^lima-/.test(name) || /\/\.lima\//.test(url)) return 'lima';
  return undefined;
}

const PRODUCT_NAMES: Record<LaptopProduct, string> = {
  'docker-desktop': 'Docker Desktop',
  orbstack: 'OrbStack',
  colima: 'Colima',
  'rancher-desktop': 'Rancher Desktop',
  'podman-machine': 'Podman machine',
  lima: 'Lima',
};

/** Docker Desktop's bridge to the host's ssh-agent inside its VM (werf: pkg/container_backend/utils.go SSHHostAuthSockPath). */
export const HOST_SERVICES_SSH_AUTH_SOCK = '/run/host-services/ssh-auth.sock';

/** werf's own way to ssh keys without an agent (werf's --ssh-key; werf-run copies the named file in). */
const KEY_ALTERNATIVE =
  'give werf a key file instead: WERF_SSH_KEY_<NAME>=<path to the private key> (werf-run copies it into the container), or fetch git over https with a token; set forward.sshAgent to false to silence this';

export type AgentRoute =
  /** The product's own bridge inside its VM: bind that path. */
  | { kind: 'bridge'; socket: string; note: string }
  /** Bind this machine's SSH_AUTH_SOCK (the engine runs on this machine's kernel). */
  | { kind: 'host-socket' }
  /** No way for the agent into the container: say so, with the alternative. */
  | { kind: 'none'; warning: string };

/**
 * How the ssh agent reaches werf's container, per product (for a local
 * engine; a remote one never gets this machine's agent):
 * - Docker Desktop for Mac and Linux: its bridge at /run/host-services/ssh-auth.sock
 *   (docs.docker.com/desktop/features/networking, "SSH agent forwarding"); Docker
 *   Desktop for Windows has none (docker/roadmap#495, open).
 * - OrbStack: offers the same path as Docker Desktop for compatibility.
 * - Colima: `colima start --ssh-agent` forwards the agent into the VM's ssh
 *   sessions only, at a path that changes per session (abiosoft/colima#127):
 *   nothing stable to bind.
 * - Rancher Desktop, Podman machine, Lima: no agent bridge for containers
 *   (rancher-sandbox/rancher-desktop#1667 is open); a host socket cannot be
 *   bind-mounted across the VM's file sharing.
 * - No product on Linux: the host's socket, as before. No product on macOS
 *   or Windows: the engine still runs in some VM that cannot see the socket.
 */
export function sshAgentRoute(input: { product?: LaptopProduct; platform: string; socket: string }): AgentRoute {
  const { product, platform, socket } = input;
  if ((product === 'docker-desktop' && platform !== 'win32') || product === 'orbstack') {
    return {
      kind: 'bridge',
      socket: HOST_SERVICES_SSH_AUTH_SOCK,
      note: `ssh-agent: the engine is ${PRODUCT_NAMES[product]}, so its agent bridge ${HOST_SERVICES_SSH_AUTH_SOCK} is forwarded instead of ${socket}`,
    };
  }
  const why =
    product === 'docker-desktop'
      ? 'Docker Desktop for Windows has no ssh-agent bridge for containers'
      : product === 'colima'
        ? "Colima forwards the agent (colima start --ssh-agent) only into its VM's ssh sessions, at a path that changes per session"
        : product
          ? `${PRODUCT_NAMES[product]} has no ssh-agent bridge for containers, and a socket on this machine cannot be bind-mounted into its VM`
          : platform === 'linux'
            ? undefined
            : `the engine runs in a VM, which cannot reach a socket on this ${platform === 'win32' ? 'Windows' : 'macOS'} machine`;
  if (!why) return { kind: 'host-socket' };
  return { kind: 'none', warning: `the ssh-agent (SSH_AUTH_SOCK=${socket}) is not forwarded: ${why}. Fix: ${KEY_ALTERNATIVE}` };
}

/**
 * A refusal of a bind source that means "the engine's host cannot see this
 * path": the project is shipped instead, and `note` names the setting that
 * would let the engine see it (one line; undefined when there is none).
 */
export interface BindRefusal {
  why: string;
  note?: string;
}

const FILE_SHARING = 'Settings > Resources > File sharing';

/**
 * The refusal texts of each product (an Engine API error message) for a bind
 * source its VM does not share:
 * - Docker Desktop: "Mounts denied: \nThe path /x is not shared from the host
 *   and is not known to Docker.\nYou can configure shared paths from Docker ->
 *   Preferences... -> Resources -> File Sharing." (older: "from OS X");
 *   Docker for Windows with Hyper-V: "drive is not shared" / "drive has not been shared".
 * - Colima, Lima, Rancher Desktop on macOS (Lima VMs mount only some host
 *   dirs; Docker in them says): "invalid mount config for type \"bind\": bind
 *   source path does not exist: /x".
 * - Podman machine: "statfs /x: no such file or directory".
 * - A Linux engine given a Windows path (not Docker Desktop): moby refuses
 *   it: "invalid mount path: 'C:\x' mount path must be absolute".
 */
export function bindRefusal(message: string, root: string, product?: LaptopProduct): BindRefusal | undefined {
  const text = message.replace(/\r/g, '');
  if (/Mounts denied:[\s\S]*not shared from (the host|OS X)|drive (is not|has not been) shared/i.test(text)) {
    return {
      why: `Docker Desktop does not share ${root} with its VM`,
      note: `note: to bind-mount the checkout instead of shipping it, add ${root} (or a parent) in Docker Desktop under ${FILE_SHARING}`,
    };
  }
  if (/mount path must be absolute/i.test(text)) {
    return { why: `the engine does not take this machine's Windows paths such as ${root} (it is not Docker Desktop)` };
  }
  if (/bind source path does not exist|no such file or directory|not a directory/i.test(text)) {
    const how: Partial<Record<LaptopProduct, string>> = {
      colima: 'add it to mounts in colima start --edit (Colima shares only your home directory by default)',
      lima: "add it to the VM's mounts (limactl edit)",
      'rancher-desktop':
        "add it to the VM's mounts (Rancher Desktop's lima override.yaml; by default it shares your home directory and /Volumes)",
      'podman-machine':
        'give the machine a volume for it (podman machine init --volume HOST:HOST; by default it shares your home directory)',
      'docker-desktop': `add it in Docker Desktop under ${FILE_SHARING}`,
    };
    const fix = product ? how[product] : undefined;
    return {
      why: `the engine's host has no ${root}`,
      ...(fix && product
        ? {
            note: `note: ${PRODUCT_NAMES[product]} does not share the checkout with its VM; to bind-mount it instead of shipping it, ${fix}`,
          }
        : {}),
    };
  }
  return undefined;
}
