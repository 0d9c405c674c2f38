#!/usr/bin/env bash
# Prints the prefix of a Node.js taken from the npm registry (bin/node and include/node, the headers
# node-gyp builds native addons against), fetching it into a cache on first use.
#
# Why the registry: the machines reach the npm registry and Debian's archive only, and neither the
# machine's Node nor Debian's is the documented runtime (Node 24 LTS). The registry's
# `node-<platform>-<arch>` packages are the official release builds repackaged. The version and the
# tarball's integrity are pinned here, as the lockfile pins every other package: a changed tarball
# stops CI instead of running.
set -euo pipefail

VERSION="24.22.3"
platform_arch="$(node -p 'process.platform + "-" + process.arch')"
case "$platform_arch" in
  linux-x64) INTEGRITY="sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==" ;;
  linux-arm64) INTEGRITY="sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==" ;;
  *)
    echo "registry-node: no pinned Node $VERSION build for $platform_arch" >&2
    exit 1
    ;;
esac
package="node-$platform_arch"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/trusted-provisioning"
prefix="$cache/node-v$VERSION-$platform_arch"
if [ -x "$prefix/bin/node" ] && [ "$("$prefix/bin/node" --version)" = "v$VERSION" ]; then
  echo "$prefix"
  exit 0
fi

mkdir -p "$cache"
staging="$(mktemp -d "$cache/.fetch.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
# npm checks the tarball against the registry's own integrity; the pin checks the registry.
npm pack "$package@$VERSION" --pack-destination "$staging" --json --silent >"$staging/pack.json"
got="$(node -p 'require(process.argv[1])[0].integrity' "$staging/pack.json")"
if [ "$got" != "$INTEGRITY" ]; then
  echo "registry-node: $package@$VERSION has integrity $got, pinned $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$staging/$package-$VERSION.tgz" -C "$staging"
[ "$("$staging/package/bin/node" --version)" = "v$VERSION" ]
# Moved into place whole, so an interrupted fetch never leaves a half prefix that looks usable.
rm -rf "$prefix"
mv "$staging/package" "$prefix"
echo "$prefix"
