#!/usr/bin/env bash
# One-time setup of a Debian/Ubuntu machine for development and tests:
# system packages the tests use (espeak-ng and sox make speech-like test audio, redis-server for
# integration tests, python3-websockets/grpcio/grpc-tools run vosk-server's own clients against the
# engine), then the npm dependencies and the build.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(espeak-ng sox redis-server openssl chromium python3-websockets python3-grpcio python3-grpc-tools)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Integration tests need a Redis at 127.0.0.1:6379 (VOC_TEST_REDIS_URL overrides).
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "setup: starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

bash scripts/npm-deps.sh
npm run build
