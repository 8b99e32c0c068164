#!/usr/bin/env bash
# Installs and starts the Debian packages the tests use, when missing:
# PostgreSQL (production config, plugin database tests), the OCI registry,
# openssl (independent signatures), Python's FastAPI stack (generated services'
# own tests) and Chromium (browser tests). Prints the environment to export.
set -euo pipefail

packages=(postgresql docker-registry openssl python3-fastapi python3-pytest python3-httpx chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "system-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# PostgreSQL: the Debian cluster, on loopback, with a known password for the tests.
version="$(ls /usr/lib/postgresql | sort -n | tail -n 1)"
if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
  pg_ctlcluster "$version" main start >&2
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 1
done
runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD 'postgres'" >&2
echo "export BACKSTAGE_TEST_DATABASE_POSTGRES${version}_CONNECTION_STRING=postgresql://postgres:postgres@127.0.0.1:5432"
echo "export BASE_IMAGES_TEST_POSTGRES=postgresql://postgres:postgres@127.0.0.1:5432"
