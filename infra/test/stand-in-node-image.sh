#!/usr/bin/env bash
# Builds a stand-in for the Node.js base image named in infra/Dockerfile where no image registry
# can be reached: a Debian bookworm (debootstrap, minbase) from the mirror this machine's apt
# uses, with this machine's Node.js 20 and npm in /usr/local like the official image, and its
# `node` user (uid 1000). Usage: stand-in-node-image.sh TAG
set -euo pipefail

tag=${1:?usage: stand-in-node-image.sh TAG}

node_version=$(node --version)
case "$node_version" in
  v20.*) ;;
  *) echo "the stand-in needs Node.js 20 on this machine, found $node_version" >&2; exit 1 ;;
esac

# The first Debian mirror apt is configured with (deb822 sources or the classic list).
mirror=$(
  { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
    grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'; } |
    grep -v -- '-security' | head -n 1
) || true
[ -n "$mirror" ] || { echo "no Debian mirror found in apt's sources" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

echo "debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# The certificate authorities this machine trusts, for a registry reached through a proxy that
# signs with its own (ca-certificates, once a stage installs it, keeps them from here too).
mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/usr/local/share/ca-certificates"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
cp -a /usr/local/share/ca-certificates/. "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true

# apt inside the image uses the same mirror and the same acquire settings as this machine.
cp -a /etc/apt/apt.conf.d/. "$rootfs/etc/apt/apt.conf.d/"
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" >"$rootfs/etc/apt/sources.list"

node_bin=$(command -v node)
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
install -m 0755 "$(readlink -f "$node_bin")" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
# Node's headers, as the official image has them, so node-gyp builds native add-ons offline.
node_include=$(dirname "$(dirname "$(readlink -f "$node_bin")")")/include/node
mkdir -p "$rootfs/usr/local/include"
cp -a "$node_include" "$rootfs/usr/local/include/node"
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
rm -rf "$rootfs/var/cache/apt/archives"/*.deb "$rootfs/var/lib/apt/lists"/*

tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  --change "LABEL visionops.stand-in=${STAND_IN_VERSION:-unknown}" \
  - "$tag" >/dev/null
echo "built $tag (Node.js $node_version on Debian bookworm)"
