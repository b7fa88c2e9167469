#!/usr/bin/env bash
# Builds kube-apiserver, kubectl, etcd and helm from the Go module proxy into a
# cache folder keyed by version, and skips each binary that is already there.
# Prints the folder that contains the binaries as its last line.
#
# The wrapper modules under go/ pin the versions. k8s.io/kubernetes cannot be
# built with `go install pkg@version` because its go.mod replaces every staging
# module with a local folder; the wrapper replaces them with published modules.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kubernetes_version=v1.36.3
etcd_version=v3.6.16
helm_version=v4.3.2

cache_root=${INFERENCE_CRDS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/inference-extension-crds}
bin_dir="$cache_root/bin/kubernetes-$kubernetes_version-etcd-$etcd_version-helm-$helm_version"
mkdir -p "$bin_dir"

log() { printf '[control-plane build] %s\n' "$*" >&2; }

# Builds one main package of a wrapper module unless the binary exists.
# The binary is written under a temporary name and renamed, so an interrupted
# build never leaves a half-written file that a later run would trust.
build() {
  local module_dir=$1 package=$2 output=$3 ldflags=${4:-}
  if [[ -x "$bin_dir/$output" ]]; then
    log "$output: cached in $bin_dir"
    return
  fi
  log "$output: building $package (a cold build takes several minutes on 2 cores)"
  local started=$SECONDS
  (cd "$here/go/$module_dir" && go build -trimpath -ldflags "$ldflags" -o "$bin_dir/$output.partial.$$" "$package")
  mv "$bin_dir/$output.partial.$$" "$bin_dir/$output"
  log "$output: built in $((SECONDS - started)) s"
}

# Without these the server reports v0.0.0-master, and Helm rejects charts whose
# kubeVersion constraint cannot parse that.
minor=${kubernetes_version#v1.}
minor=${minor%%.*}
version_flags=""
for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_flags+=" -X $package.gitVersion=$kubernetes_version"
  version_flags+=" -X $package.gitMajor=1 -X $package.gitMinor=$minor"
  version_flags+=" -X $package.gitTreeState=clean"
done

build etcd go.etcd.io/etcd/server/v3 etcd
build kubernetes k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver "$version_flags"
build kubernetes k8s.io/kubernetes/cmd/kubectl kubectl "$version_flags"
build helm helm.sh/helm/v4/cmd/helm helm
echo "$bin_dir"
