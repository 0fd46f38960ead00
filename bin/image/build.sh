#!/usr/bin/env bash
# Builds gateway-container/Dockerfile without Docker: makes the local base images when missing
# (base-images.sh), then runs `buildah bud` from the repository root with the Dockerfile's own context filter.
# Every argument is passed on to `buildah bud` (tags, --build-arg, --target, ...). Examples:
#
#   bash bin/image/build.sh --build-arg OPEND_SIMULATOR_ONLY=1 -t localhost/opend-gateway:sim
#   bash bin/image/build.sh --build-arg OPEND_SHA256=<64 hex> -t localhost/opend-gateway:10.9.6918
#
# The image lands in this project's buildah storage (lib.sh); to hand it to Docker or a registry:
#   bash -c '. bin/image/lib.sh && bh push localhost/opend-gateway:sim docker-archive:/tmp/gateway.tar'
#
# Invariants: no registry is asked for an image (--pull=never: the bases are local), the build has the host
# network (npm ci and apt-get inside it), intermediate images of failed or finished builds are pruned, and
# the exit code is buildah's.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bin/image/lib.sh
require_root bin/image/build.sh

if [ "$(uname -m)" != "x86_64" ]; then
  echo "error: the gateway image is linux/amd64 only (OpenD has no ARM build); this machine is $(uname -m)" >&2
  exit 1
fi
command -v buildah >/dev/null || { echo "error: buildah is not installed (Debian: apt-get install buildah debootstrap)" >&2; exit 1; }

bash bin/image/base-images.sh

# buildah (1.28) decides which stages to build before it applies ARG defaults, so `FROM opend-simonly-${...}`
# with the default OPEND_SIMULATOR_ONLY=0 would skip the OpenD stage and then fail to find it. Passing the
# default explicitly makes the selection visible to it; BuildKit needs no such help.
args=("$@")
case " $* " in *OPEND_SIMULATOR_ONLY=*) ;; *) args=(--build-arg OPEND_SIMULATOR_ONLY=0 "${args[@]}") ;; esac

t0=$SECONDS
rc=0
before=" $(bh containers -q --notruncate | tr '\n' ' ') "
# --layers=false: no per-step cache images (the vfs driver stores each one as a full copy of the filesystem).
bh bud --pull=never --network host --format docker --layers=false \
  --ignorefile gateway-container/Dockerfile.dockerignore -f gateway-container/Dockerfile "${args[@]}" . || rc=$?
# buildah can leave a working container behind for a stage used only through an alias (`FROM <stage> AS opend`),
# and stages stay behind as untagged images; neither is needed after the build. Only what this build made goes.
for c in $(bh containers -q --notruncate); do
  case "$before" in *" $c "*) ;; *) bh rm "$c" >/dev/null 2>&1 || true ;; esac
done
bh rmi --prune >/dev/null 2>&1 || true
log "buildah bud exited $rc after $((SECONDS - t0)) s"
exit "$rc"
