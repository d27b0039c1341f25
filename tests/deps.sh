# Sourced by the README's commands: installs the Debian packages the project needs, once.
# Idempotent: packages already installed are not touched and apt is not called at all.
xtls_install_deps () {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

XTLS_BUILD_DEPS=(build-essential pkg-config meson ninja-build gettext python3
  libglib2.0-dev libgnutls28-dev libxml2-dev libpurple-dev pidgin-dev prosody openssl
  iproute2 util-linux librsvg2-common xvfb xauth xdotool imagemagick)
