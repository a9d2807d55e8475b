#!/usr/bin/env bash
# Installs the descent Python package assembled in BUILD/python/descent where /usr/bin/python3
# finds it (its site-packages under /usr/local), replacing an earlier install in one rename so an
# interrupted install never leaves half a package. Uses sudo when the folder is not writable.
set -euo pipefail
build=${1:?usage: scripts/install-python.sh BUILD_DIR}
package=$build/python/descent
[ -f "$package/__init__.py" ] && ls "$package"/_C*.so >/dev/null 2>&1 || {
  echo "install-python: $package is not a built package (build the descent_python target first)" >&2
  exit 1
}
site=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
sudo_cmd=()
mkdir -p "$site" 2>/dev/null || true
if [ ! -w "$site" ]; then sudo_cmd=(sudo); "${sudo_cmd[@]}" mkdir -p "$site"; fi
staging=$("${sudo_cmd[@]}" mktemp -d "$site/.descent-install-XXXXXX")
"${sudo_cmd[@]}" cp -r "$package"/. "$staging"/
"${sudo_cmd[@]}" chmod 755 "$staging"
"${sudo_cmd[@]}" rm -rf "$site/descent.previous"
[ -e "$site/descent" ] && "${sudo_cmd[@]}" mv "$site/descent" "$site/descent.previous"
"${sudo_cmd[@]}" mv "$staging" "$site/descent"
"${sudo_cmd[@]}" rm -rf "$site/descent.previous"
echo "install-python: descent installed in $site/descent" >&2
