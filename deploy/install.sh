#!/bin/sh
# Installs the shm executable of a release: finds this machine's OS and architecture, downloads
# the matching executable and the release's SHA256SUMS, checks the sum, and only then installs.
#
#   curl -fsSL https://github.com/OWNER/REPO/releases/latest/download/install.sh | sh
#   sh install.sh --version v0.2.0 --prefix "$HOME/.local"
#
# Options (or environment): --version TAG (SHM_VERSION; default the latest release),
# --prefix DIR (SHM_PREFIX; default /usr/local, the executable goes to DIR/bin/shm),
# --repo OWNER/NAME (SHM_REPO; the release workflow fills it in), --base-url URL
# (SHM_RELEASE_URL; default https://github.com/OWNER/NAME/releases, e.g. a mirror).
set -eu

repo="${SHM_REPO:-@REPOSITORY@}"
version="${SHM_VERSION:-latest}"
prefix="${SHM_PREFIX:-/usr/local}"
base_url="${SHM_RELEASE_URL:-}"

fail() {
  echo "shm install: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --version) [ $# -ge 2 ] || fail "--version needs a tag, e.g. v0.2.0"; version="$2"; shift 2 ;;
    --prefix) [ $# -ge 2 ] || fail "--prefix needs a folder"; prefix="$2"; shift 2 ;;
    --repo) [ $# -ge 2 ] || fail "--repo needs OWNER/NAME"; repo="$2"; shift 2 ;;
    --base-url) [ $# -ge 2 ] || fail "--base-url needs a URL"; base_url="$2"; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0" 2>/dev/null | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown option $1 (see --help)" ;;
  esac
done

if [ -z "$base_url" ]; then
  case "$repo" in
    @*@ | "") fail "no repository: give --repo OWNER/NAME, or run the install.sh of a release" ;;
  esac
  base_url="https://github.com/${repo}/releases"
fi
case "$version" in
  latest | v[0-9]*) ;;
  *) fail "cannot install version \"$version\": give a tag such as v0.2.0, or latest" ;;
esac

os="${SHM_INSTALL_OS:-$(uname -s)}"
arch="${SHM_INSTALL_ARCH:-$(uname -m)}"
case "$os/$arch" in
  Linux/x86_64 | Linux/amd64) target=x86_64-unknown-linux-gnu ;;
  Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-gnu ;;
  Darwin/x86_64) target=x86_64-apple-darwin ;;
  Darwin/arm64 | Darwin/aarch64) target=aarch64-apple-darwin ;;
  *) fail "no release executable for $os on $arch (there are: Linux and macOS, x86_64 and arm64; Windows: download shm-x86_64-pc-windows-msvc.exe by hand)" ;;
esac

if [ "$version" = latest ]; then
  download_url="${base_url}/latest/download"
else
  download_url="${base_url}/download/${version}"
fi

if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 2 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  fail "neither curl nor wget is installed"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sum_of() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  sum_of() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
else
  fail "neither sha256sum nor shasum is installed: cannot check the download"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT INT TERM

asset="shm-${target}"
echo "shm install: downloading ${asset} (${version}) from ${download_url}"
fetch "${download_url}/${asset}" "${work}/${asset}" || fail "cannot download ${download_url}/${asset}"
fetch "${download_url}/SHA256SUMS" "${work}/SHA256SUMS" || fail "cannot download ${download_url}/SHA256SUMS"

expected="$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1 }' "${work}/SHA256SUMS")"
[ -n "$expected" ] || fail "SHA256SUMS lists no ${asset}"
actual="$(sum_of "${work}/${asset}")"
[ "$expected" = "$actual" ] || fail "the download's SHA-256 is ${actual}, the release says ${expected}: nothing installed"

mkdir -p "${prefix}/bin" || fail "cannot make ${prefix}/bin (try --prefix \"\$HOME/.local\", or sudo)"
chmod 0755 "${work}/${asset}"
mv -f "${work}/${asset}" "${prefix}/bin/shm" || fail "cannot write ${prefix}/bin/shm (try sudo)"
echo "shm install: installed ${prefix}/bin/shm"
"${prefix}/bin/shm" version || fail "${prefix}/bin/shm does not run on this machine"
