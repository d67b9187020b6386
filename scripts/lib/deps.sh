# SPDX-License-Identifier: MIT
# Sourced by scripts/test and scripts/demo: make sure Debian/Ubuntu packages
# are installed. As root, install what is missing with apt-get; otherwise
# print the exact apt-get line to run and stop.

# ensure_packages PKG... : returns only when every package is installed.
ensure_packages() {
  missing=""
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing="$missing $pkg"
    fi
  done
  [ -z "$missing" ] && return 0

  if [ "$(id -u)" -ne 0 ]; then
    echo "vaultlet needs these packages:$missing" >&2
    echo "Install them, then run this command again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
    exit 1
  fi
  echo "==> installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || { echo "apt-get update failed" >&2; exit 1; }
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
    { echo "apt-get install failed for:$missing" >&2; exit 1; }
}

# ensure_command CMD PKG : CMD on the PATH, else install Debian's PKG. For
# tools a machine may have from elsewhere (npm ships with NodeSource's
# nodejs, which conflicts with Debian's npm package).
ensure_command() {
  command -v "$1" >/dev/null 2>&1 || ensure_packages "$2"
}

# The clang sanitizer runtime lives in a versioned package on Debian 12.
clang_rt_package() {
  major=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
  [ -n "$major" ] || return 0
  if apt-cache show "libclang-rt-$major-dev" >/dev/null 2>&1; then
    echo "libclang-rt-$major-dev"
  fi
}
