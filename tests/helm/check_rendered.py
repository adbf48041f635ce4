"""Checks a rendered agentcore-identity chart (`helm template` output on stdin) for what the
Kubernetes schemas cannot: pod security, probes, graceful shutdown, the migrations hook, secrets
taken only from Secret references, one Redis key prefix for the planes sharing Redis, and the
objects each values file must produce.

Usage: check_rendered.py KIND[,KIND...] < rendered.yaml
The argument lists the kinds that must be present (e.g. Deployment,Service,Job). Exits 1 and
prints every problem found; prints nothing on success.
"""

import sys

import yaml

SECRET_ENV = {"DATABASE_URL", "REDIS_URL", "IDENTITY_BOOTSTRAP_ADMIN_TOKEN", "IDENTITY_MASTER_KEYS"}


def pod_specs(docs):
    for doc in docs:
        kind = doc["kind"]
        if kind == "Deployment" or kind == "Job":
            yield doc, doc["spec"]["template"]["spec"]


def main() -> int:
    required_kinds = set(filter(None, sys.argv[1].split(","))) if len(sys.argv) > 1 else set()
    docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
    problems = []

    kinds = {d["kind"] for d in docs}
    for kind in sorted(required_kinds - kinds):
        problems.append(f"no {kind} rendered")
    if "Secret" in kinds:
        problems.append("the chart renders a Secret; secrets must come from existing Secrets only")

    # REDIS_KEY_PREFIX of each Deployment container that has a REDIS_URL: one value for all.
    redis_prefixes = {}
    for doc, spec in pod_specs(docs):
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        psc = spec.get("securityContext", {})
        if psc.get("runAsNonRoot") is not True:
            problems.append(f"{name}: pod securityContext.runAsNonRoot is not true")
        if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{name}: pod seccompProfile is not RuntimeDefault")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: the service account token is mounted")
        for c in spec["containers"]:
            cname = f"{name} container {c['name']}"
            csc = c.get("securityContext", {})
            if csc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{cname}: allowPrivilegeEscalation is not false")
            if csc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{cname}: readOnlyRootFilesystem is not true")
            if csc.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{cname}: capabilities are not all dropped")
            res = c.get("resources", {})
            if not res.get("requests") or not res.get("limits"):
                problems.append(f"{cname}: resource requests or limits missing")
            for env in c.get("env", []):
                if env["name"] in SECRET_ENV and "valueFrom" not in env:
                    problems.append(f"{cname}: {env['name']} is inlined, not taken from a Secret")
            listen = {e["name"]: e.get("value", "") for e in c.get("env", [])}
            if doc["kind"] == "Deployment" and "REDIS_URL" in listen:
                redis_prefixes[cname] = listen.get("REDIS_KEY_PREFIX")
            for var in ("CONTROL_PLANE_LISTEN", "DATA_PLANE_LISTEN", "DATA_PLANE_HTTP_LISTEN"):
                if var in listen and not listen[var].startswith("0.0.0.0:"):
                    problems.append(f"{cname}: {var} does not listen on 0.0.0.0")
            if "IDENTITY_MASTER_KEY_FILE" not in listen or "DATABASE_URL" not in listen:
                problems.append(f"{cname}: no master key ring or no database URL")
            if doc["kind"] == "Deployment":
                for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                    if probe not in c:
                        problems.append(f"{cname}: no {probe}")
                if "sleep" not in c.get("lifecycle", {}).get("preStop", {}):
                    problems.append(f"{cname}: no preStop sleep")
                sleep = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
                if sleep >= spec.get("terminationGracePeriodSeconds", 30):
                    problems.append(f"{cname}: preStop sleep is not shorter than the grace period")
        component = doc["metadata"]["labels"].get("app.kubernetes.io/component")
        container = spec["containers"][0]
        if component == "control-plane" and "grpc" not in container.get("readinessProbe", {}):
            problems.append(f"{name}: the control plane's readiness is not a gRPC probe")
        if component == "data-plane":
            if container.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
                problems.append(f"{name}: the data plane's readiness is not GET /readyz")
            if container.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
                problems.append(f"{name}: the data plane's liveness is not GET /healthz")
        if doc["kind"] == "Job":
            hooks = doc["metadata"].get("annotations", {}).get("helm.sh/hook", "")
            if set(hooks.split(",")) != {"pre-install", "pre-upgrade"}:
                problems.append(f"{name}: not a pre-install,pre-upgrade hook")
            if container.get("args") != ["migrate"]:
                problems.append(f"{name}: does not run `identity-control-plane migrate`")

    if None in redis_prefixes.values() or len(set(redis_prefixes.values())) > 1:
        problems.append(f"the planes sharing Redis do not all set the same REDIS_KEY_PREFIX: {redis_prefixes}")

    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
