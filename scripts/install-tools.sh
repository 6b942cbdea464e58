#!/usr/bin/env bash
# Builds the pinned Go tools kserve-gitops drives into .tools/bin when they are not on PATH, and installs
# promtool (Debian package "prometheus") when it is missing. Idempotent; safe to run on every `make`.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools/bin"
mkdir -p "$TOOLS"

# name | go package | version  (keep in step with src/kserve_gitops/tools.py PINNED)
PINS=(
  "kustomize|sigs.k8s.io/kustomize/kustomize/v5|v5.8.1"
  "kubeconform|github.com/yannh/kubeconform/cmd/kubeconform|v0.8.0"
  "opa|github.com/open-policy-agent/opa|v1.22.3"
  "conftest|github.com/open-policy-agent/conftest|v0.71.1"
  "actionlint|github.com/rhysd/actionlint/cmd/actionlint|v1.7.12"
  "kubectl-validate|sigs.k8s.io/kubectl-validate|v0.0.4"
  "helm|helm.sh/helm/v4/cmd/helm|v4.3.2"
)

for pin in "${PINS[@]}"; do
  IFS='|' read -r name pkg version <<<"$pin"
  stamp="$TOOLS/.$name.version"
  if [ -x "$TOOLS/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
    continue
  fi
  if [ -z "${KSERVE_GITOPS_FORCE_TOOLS:-}" ] && command -v "$name" >/dev/null 2>&1 && [ ! -x "$TOOLS/$name" ]; then
    echo "tools: $name found on PATH ($(command -v "$name")); not building the pinned $version"
    continue
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "tools: go is not installed; cannot build $name $version (install Go, or put $name on PATH)" >&2
    exit 3
  fi
  echo "tools: building $name $version with go install"
  GOBIN="$TOOLS" GOTOOLCHAIN=local GOFLAGS=-mod=mod go install "$pkg@$version"
  echo "$version" >"$stamp"
done

# kserve-admission: KServe's own admission webhooks (and the API server's CRD validation), one binary per
# KServe release that kserve-gitops.yaml uses, built from src/kserve_gitops/validate/admission_helper/.
# The release's inferenceservice-config ConfigMap comes from the kserve module itself, so nothing upstream
# is copied into the repo. Rebuilt when the release or the helper's source changes.
HELPER="$PWD/src/kserve_gitops/validate/admission_helper"
KSERVE_VERSIONS="${KSERVE_GITOPS_ADMISSION_VERSIONS:-$(awk '/^ *kserve: *$/ {k=1; next} k && /^ *version:/ {print $2; k=0}' kserve-gitops.yaml 2>/dev/null | tr -d '"' | sort -u)}"
for version in $KSERVE_VERSIONS; do
  src="$HELPER/kserve-$version"
  if [ ! -d "$src" ]; then
    echo "tools: no kserve-admission helper for KServe $version (have: $(ls "$HELPER" | sed -n 's/^kserve-//p' | tr '\n' ' '))" >&2
    exit 3
  fi
  name="kserve-admission-$version"
  digest="$version $(cat "$HELPER"/common/*.go "$HELPER"/common/go.* "$src"/*.go "$src"/go.* | sha256sum | cut -c1-16)"
  stamp="$TOOLS/.$name.version"
  if [ -x "$TOOLS/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$digest" ]; then
    continue
  fi
  echo "tools: building $name (KServe $version's webhooks; a few minutes the first time)"
  build="$(mktemp -d)"
  cp -r "$HELPER/common" "$src" "$build/"
  (
    cd "$build/kserve-$version"
    export GOTOOLCHAIN=local GOFLAGS=-mod=mod
    module_dir="$(go mod download -json "github.com/kserve/kserve@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    cp "$module_dir/config/configmap/inferenceservice.yaml" inferenceservice-config.yaml
    go build -trimpath -o "$TOOLS/$name" .
  )
  rm -rf "$build"
  echo "$digest" >"$stamp"
done

if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "tools: installing promtool (Debian package prometheus)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # policy-rc.d keeps the package from starting a Prometheus server on this machine.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    rm -f /usr/sbin/policy-rc.d
  else
    echo "tools: promtool is missing; install the Debian package 'prometheus' (needs root)" >&2
    exit 3
  fi
fi
