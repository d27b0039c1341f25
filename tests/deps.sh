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
  # Servers (ejabberd, prosody) are started by the tests themselves: no system service may
  # start at install time. Debian's policy-rc.d mechanism says so for this one apt run
  # (only if the machine has no policy of its own).
  local policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\n# tests/deps.sh: no services during this install\nexit 101\n' \
      | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy"
  fi
  local rc=0
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
         --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
  [ -n "$policy" ] && $sudo rm -f "$policy"
  return $rc
}

XTLS_BUILD_DEPS=(build-essential pkg-config meson ninja-build gettext python3
  libglib2.0-dev libgnutls28-dev libxml2-dev libpurple-dev pidgin-dev prosody openssl
  iproute2 util-linux librsvg2-common xvfb xauth xdotool imagemagick
  ejabberd python3-yaml)  # the integration tests' server matrix (tests/integration/servers.py)
