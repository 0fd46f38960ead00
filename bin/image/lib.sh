# Shared settings for the daemonless image scripts in bin/image/ (sourced, not run).
#
# buildah builds the gateway Dockerfile without a Docker daemon: chroot isolation (no runc, no user namespace
# setup), the vfs storage driver (no overlay mounts, works inside containers and on any filesystem) and the
# host network (the build's `npm ci` and `apt-get` need the registries). Its storage lives in a root of its
# own, so these scripts never touch another tool's images, and the local base images survive between runs.
# Invariant: every buildah call in these scripts goes through `bh`, so they all see the same storage.

IMAGE_STORAGE_ROOT="${OPEND_IMAGE_STORAGE_ROOT:-/var/lib/opend-cloud/containers}"
IMAGE_RUN_ROOT="${OPEND_IMAGE_RUN_ROOT:-/run/opend-cloud/containers}"
export BUILDAH_ISOLATION=chroot

bh() {
  buildah --root "$IMAGE_STORAGE_ROOT" --runroot "$IMAGE_RUN_ROOT" --storage-driver vfs "$@"
}

# The names the Dockerfile's FROM lines use (ARG NODE_IMAGE / DEBIAN_IMAGE defaults), fully qualified: a
# short name resolves to docker.io/library/<name>, so a local image under that name needs no registry.
DEBIAN_BASE=docker.io/library/debian:bookworm-slim
NODE_BASE=docker.io/library/node:22-bookworm-slim

have_image() {
  bh inspect --type image "$1" >/dev/null 2>&1
}

log() {
  printf '[image %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2
}

# debootstrap, chroot and buildah's chroot isolation need root; say so at once instead of failing midway.
require_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "error: $1 needs root (debootstrap, chroot and buildah's chroot isolation); run it as root, e.g. with sudo" >&2
    exit 1
  fi
}
