#!/usr/bin/env python3
"""Black-box client test of the AgentCore Identity control plane, from Python.

Generates Python stubs from the project's .proto files with grpc_tools.protoc
into a temporary directory, imports them, and drives the control plane over an
insecure gRPC channel: workload identities, credential providers (API key and
OAuth2), error codes with their google.rpc.ErrorInfo reasons, authentication,
and clean-up.

Usage:
    python client_test.py --endpoint 127.0.0.1:50051 --token ADMIN_TOKEN
    python client_test.py --generate-only

--endpoint and --token default to the environment variables
AGENTCORE_IDENTITY_ENDPOINT and AGENTCORE_IDENTITY_TOKEN.

Prints one line per check and, last, exactly one line `N passed, M failed`.
Exits 0 only when every check passed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import secrets
import sys
import tempfile
import traceback
from pathlib import Path
from types import SimpleNamespace

ENV_ENDPOINT = "AGENTCORE_IDENTITY_ENDPOINT"
ENV_TOKEN = "AGENTCORE_IDENTITY_TOKEN"
DEFAULT_PROTO_DIR = Path(__file__).resolve().parent / ".." / ".." / "proto"
ERROR_DETAILS_KEY = "grpc-status-details-bin"
PREFIX = "py-client-test"


# --------------------------------------------------------------------------- stubs


def generate_stubs(proto_dir: Path, out_dir: Path) -> list[str]:
    """Compiles every .proto under proto_dir into out_dir; returns the module names."""
    import grpc_tools
    from grpc_tools import protoc

    proto_dir = proto_dir.resolve()
    if not proto_dir.is_dir():
        raise SystemExit(f"proto dir not found: {proto_dir}")
    protos = sorted(p for p in proto_dir.rglob("*.proto") if p.is_file())
    if not protos:
        raise SystemExit(f"no .proto files under {proto_dir}")
    wkt_include = Path(grpc_tools.__file__).resolve().parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"--proto_path={proto_dir}",
        f"--proto_path={wkt_include}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *[str(p) for p in protos],
    ]
    rc = protoc.main(args)
    if rc != 0:
        raise SystemExit(f"grpc_tools.protoc failed with exit code {rc}")

    # Make every generated directory a regular package, so that an unrelated
    # installed package of the same top-level name cannot shadow it.
    for d in {p.parent for p in out_dir.rglob("*.py")}:
        while d != out_dir and d.is_relative_to(out_dir):
            (d / "__init__.py").touch(exist_ok=True)
            d = d.parent

    modules = []
    for py in sorted(out_dir.rglob("*_pb2*.py")):
        rel = py.relative_to(out_dir).with_suffix("")
        modules.append(".".join(rel.parts))
    return modules


def import_stubs(out_dir: Path, module_names: list[str]) -> SimpleNamespace:
    """Imports the generated modules.

    Returns a namespace with:
      pb       -- every public name (messages, enums, enum values) of the *_pb2 modules
      stubs    -- service name -> stub class, from the *_pb2_grpc modules
      services -- full names of the services found in the descriptors
    """
    sys.path.insert(0, str(out_dir))
    importlib.invalidate_caches()
    pb: dict[str, object] = {}
    stubs: dict[str, type] = {}
    services: list[str] = []
    for name in module_names:
        mod = importlib.import_module(name)
        if name.endswith("_pb2"):
            services.extend(s.full_name for s in mod.DESCRIPTOR.services_by_name.values())
            for attr in dir(mod):
                if not attr.startswith("_") and attr != "DESCRIPTOR":
                    pb.setdefault(attr, getattr(mod, attr))
        elif name.endswith("_pb2_grpc"):
            for attr in dir(mod):
                if attr.endswith("Stub"):
                    stubs[attr[: -len("Stub")]] = getattr(mod, attr)
    return SimpleNamespace(pb=SimpleNamespace(**pb), stubs=stubs, services=sorted(services))


# --------------------------------------------------------------------------- checks


class Results:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, desc: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"PASS {desc}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {desc}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    def run(self, desc: str, fn) -> object:
        """Runs fn() -> (ok, detail[, value]); an exception counts as a failure."""
        try:
            out = fn()
        except Exception as e:  # noqa: BLE001 -- any error is a failed check
            detail = describe_exception(e)
            if os.environ.get("CLIENT_TEST_TRACEBACK"):
                traceback.print_exc()
            self.check(desc, False, detail)
            return None
        ok, detail = out[0], out[1]
        self.check(desc, ok, detail)
        return out[2] if len(out) > 2 else None

    def summary(self) -> int:
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 else 1


def describe_exception(e: Exception) -> str:
    import grpc

    if isinstance(e, grpc.RpcError) and hasattr(e, "code"):
        reason = error_reason(e)
        return f"RPC failed: {e.code().name} {e.details()!r}" + (f" reason={reason}" if reason else "")
    return f"{type(e).__name__}: {e}"


def error_info(err) -> tuple[object | None, object | None]:
    """Parses grpc-status-details-bin of a failed call: (google.rpc.Status, ErrorInfo)."""
    from google.rpc import error_details_pb2, status_pb2

    raw = None
    for key, value in err.trailing_metadata() or ():
        if key == ERROR_DETAILS_KEY:
            raw = value
    if raw is None:
        return None, None
    status = status_pb2.Status.FromString(raw)
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return status, info
    return status, None


def error_reason(err) -> str | None:
    try:
        _, info = error_info(err)
    except Exception:  # noqa: BLE001
        return None
    return info.reason if info is not None else None


def expect_error(call, code, reason: str | None):
    """Returns a check function: call() must fail with `code` (and ErrorInfo `reason`)."""
    import grpc

    def fn():
        try:
            resp = call()
        except grpc.RpcError as err:
            problems = []
            if err.code() != code:
                problems.append(f"code {err.code().name}, expected {code.name} ({err.details()!r})")
            if reason is not None:
                status, info = error_info(err)
                if status is None:
                    problems.append(f"no {ERROR_DETAILS_KEY} trailer")
                else:
                    if status.code != code.value[0]:
                        problems.append(f"google.rpc.Status.code {status.code}, expected {code.value[0]}")
                    if info is None:
                        problems.append("no google.rpc.ErrorInfo in status details")
                    elif info.reason != reason:
                        problems.append(f"ErrorInfo.reason {info.reason!r}, expected {reason!r}")
            return not problems, "; ".join(problems)
        return False, f"call succeeded, expected {code.name}: {type(resp).__name__}"

    return fn


# --------------------------------------------------------------------------- test flow


def drive(endpoint: str, token: str, api: SimpleNamespace, timeout: float) -> int:
    import grpc

    pb = api.pb
    r = Results()
    md = (("authorization", f"Bearer {token}"),)
    suffix = secrets.token_hex(4)

    channel = grpc.insecure_channel(endpoint)
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        r.check(f"connect to {endpoint}", False, f"channel not ready after {timeout}s")
        return r.summary()
    r.check(f"connect to {endpoint}", True)

    wi = api.stubs["WorkloadIdentityService"](channel)
    cp = api.stubs["CredentialProviderService"](channel)

    # Everything created, for clean-up in case a check fails half-way.
    created_workloads: list[str] = []
    created_providers: list[str] = []

    try:
        # ---- workload identity: create
        wi_name = f"{PREFIX}-wi-{suffix}"
        wi_req = pb.CreateWorkloadIdentityRequest(
            name=wi_name,
            description=f"Python client test workload {suffix}",
            type=pb.WORKLOAD_IDENTITY_TYPE_AGENT,
            attributes=pb.WorkloadIdentityAttributes(
                agent_runtime_arn=f"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/{PREFIX}-{suffix}",
                capabilities=["crm", "email", "calendar"],
            ),
            allowed_resource_oauth2_return_urls=[
                "https://app.example.com/oauth2/return",
                "http://localhost:8080/callback",
            ],
            tags={"suite": "python-client-test", "run": suffix},
        )

        def create_wi():
            resp = wi.CreateWorkloadIdentity(wi_req, metadata=md, timeout=timeout)
            created_workloads.append(wi_name)
            w = resp.workload_identity
            problems = []
            if w.name != wi_name:
                problems.append(f"name {w.name!r}")
            if not w.workload_identity_id.startswith("wi-"):
                problems.append(f"workload_identity_id {w.workload_identity_id!r} does not start with 'wi-'")
            if not w.workload_identity_arn.endswith(f"/workload-identity/{wi_name}"):
                problems.append(f"workload_identity_arn {w.workload_identity_arn!r}")
            if not w.HasField("created_time"):
                problems.append("created_time not set")
            return not problems, "; ".join(problems), w

        created = r.run(f"CreateWorkloadIdentity {wi_name}", create_wi)

        # ---- workload identity: get, every field round-trips
        def get_wi():
            w = wi.GetWorkloadIdentity(pb.GetWorkloadIdentityRequest(name=wi_name), metadata=md, timeout=timeout).workload_identity
            expected = {
                "name": wi_req.name,
                "description": wi_req.description,
                "type": wi_req.type,
                "attributes.agent_runtime_arn": wi_req.attributes.agent_runtime_arn,
                "attributes.capabilities": list(wi_req.attributes.capabilities),
                "allowed_resource_oauth2_return_urls": list(wi_req.allowed_resource_oauth2_return_urls),
                "tags": dict(wi_req.tags),
            }
            actual = {
                "name": w.name,
                "description": w.description,
                "type": w.type,
                "attributes.agent_runtime_arn": w.attributes.agent_runtime_arn,
                "attributes.capabilities": list(w.attributes.capabilities),
                "allowed_resource_oauth2_return_urls": list(w.allowed_resource_oauth2_return_urls),
                "tags": dict(w.tags),
            }
            if created is not None:
                for f in ("workload_identity_id", "workload_identity_arn", "created_time"):
                    expected[f] = getattr(created, f)
                    actual[f] = getattr(w, f)
            problems = [f"{k}: got {actual[k]!r}, want {v!r}" for k, v in expected.items() if actual[k] != v]
            if not w.HasField("last_updated_time"):
                problems.append("last_updated_time not set")
            return not problems, "; ".join(problems), w

        got = r.run("GetWorkloadIdentity round-trips every field", get_wi)

        # ---- workload identity: list and find it
        def list_wi():
            found, token_, pages = None, "", 0
            while True:
                resp = wi.ListWorkloadIdentities(
                    pb.ListWorkloadIdentitiesRequest(max_results=100, next_token=token_), metadata=md, timeout=timeout
                )
                pages += 1
                for w in resp.workload_identities:
                    if w.name == wi_name:
                        found = w
                token_ = resp.next_token
                if not token_ or found is not None or pages >= 1000:
                    break
            if found is None:
                return False, f"{wi_name} not in {pages} page(s)"
            if got is not None and found != got:
                return False, "listed entry differs from GetWorkloadIdentity's"
            return True, ""

        r.run("ListWorkloadIdentities finds it", list_wi)

        # ---- conflict on a duplicate name
        r.run(
            "CreateWorkloadIdentity with a taken name -> ALREADY_EXISTS / ConflictException",
            expect_error(
                lambda: wi.CreateWorkloadIdentity(pb.CreateWorkloadIdentityRequest(name=wi_name), metadata=md, timeout=timeout),
                grpc.StatusCode.ALREADY_EXISTS,
                "ConflictException",
            ),
        )

        # ---- API-key credential provider: the key never comes back
        ak_name = f"{PREFIX}-apikey-{suffix}"
        api_key = f"sk-test-{secrets.token_hex(24)}"
        key_bytes = api_key.encode()

        def create_ak():
            resp = cp.CreateCredentialProvider(
                pb.CreateCredentialProviderRequest(
                    name=ak_name,
                    api_key_provider_config_input=pb.ApiKeyProviderConfigInput(
                        api_key=api_key, header_name="X-API-Key", vendor="example"
                    ),
                    tags={"suite": "python-client-test"},
                ),
                metadata=md,
                timeout=timeout,
            )
            created_providers.append(ak_name)
            p = resp.credential_provider
            problems = []
            if p.name != ak_name:
                problems.append(f"name {p.name!r}")
            if p.credential_provider_type != pb.CREDENTIAL_PROVIDER_TYPE_API_KEY:
                problems.append(f"credential_provider_type {p.credential_provider_type}")
            if key_bytes in resp.SerializeToString():
                problems.append("API key present in the response")
            return not problems, "; ".join(problems)

        r.run(f"CreateCredentialProvider (API key) {ak_name}, key not echoed", create_ak)

        def get_ak():
            resp = cp.GetCredentialProvider(pb.GetCredentialProviderRequest(name=ak_name), metadata=md, timeout=timeout)
            p = resp.credential_provider
            problems = []
            if key_bytes in resp.SerializeToString():
                problems.append("API key present in the serialized GetCredentialProvider response")
            if p.api_key_provider_config_output.header_name != "X-API-Key":
                problems.append(f"header_name {p.api_key_provider_config_output.header_name!r}")
            if p.api_key_provider_config_output.vendor != "example":
                problems.append(f"vendor {p.api_key_provider_config_output.vendor!r}")
            return not problems, "; ".join(problems)

        r.run("GetCredentialProvider (API key) does not return the key", get_ak)

        # ---- OAuth2 credential provider (Salesforce): callback URL, secret never comes back
        oa_name = f"{PREFIX}-oauth2-{suffix}"
        client_id = f"{PREFIX}-client-{suffix}"
        client_secret = f"cs-{secrets.token_hex(24)}"
        secret_bytes = client_secret.encode()

        def create_oa():
            resp = cp.CreateCredentialProvider(
                pb.CreateCredentialProviderRequest(
                    name=oa_name,
                    credential_provider_vendor=pb.CREDENTIAL_PROVIDER_VENDOR_SALESFORCE_OAUTH2,
                    oauth2_provider_config_input=pb.Oauth2ProviderConfigInput(
                        client_id=client_id,
                        client_secret=client_secret,
                        default_scopes=["api", "refresh_token"],
                    ),
                ),
                metadata=md,
                timeout=timeout,
            )
            created_providers.append(oa_name)
            p = resp.credential_provider
            problems = []
            if not p.callback_url:
                problems.append("callback_url empty")
            if p.credential_provider_type != pb.CREDENTIAL_PROVIDER_TYPE_OAUTH2:
                problems.append(f"credential_provider_type {p.credential_provider_type}")
            if p.credential_provider_vendor != pb.CREDENTIAL_PROVIDER_VENDOR_SALESFORCE_OAUTH2:
                problems.append(f"credential_provider_vendor {p.credential_provider_vendor}")
            if secret_bytes in resp.SerializeToString():
                problems.append("client secret present in the response")
            return not problems, "; ".join(problems), p

        oa = r.run(f"CreateCredentialProvider (OAuth2 SALESFORCE) {oa_name}: callback_url, secret not echoed", create_oa)

        def get_oa():
            resp = cp.GetCredentialProvider(pb.GetCredentialProviderRequest(name=oa_name), metadata=md, timeout=timeout)
            p = resp.credential_provider
            problems = []
            if secret_bytes in resp.SerializeToString():
                problems.append("client secret present in the serialized GetCredentialProvider response")
            if not p.callback_url:
                problems.append("callback_url empty")
            elif oa is not None and p.callback_url != oa.callback_url:
                problems.append(f"callback_url {p.callback_url!r} differs from Create's {oa.callback_url!r}")
            if p.oauth2_provider_config_output.client_id != client_id:
                problems.append(f"client_id {p.oauth2_provider_config_output.client_id!r}")
            if list(p.oauth2_provider_config_output.default_scopes) != ["api", "refresh_token"]:
                problems.append(f"default_scopes {list(p.oauth2_provider_config_output.default_scopes)!r}")
            return not problems, "; ".join(problems)

        r.run("GetCredentialProvider (OAuth2) returns callback_url, not the secret", get_oa)

        def list_cp():
            names, leaked, token_, pages = set(), False, "", 0
            while True:
                resp = cp.ListCredentialProviders(
                    pb.ListCredentialProvidersRequest(max_results=100, next_token=token_), metadata=md, timeout=timeout
                )
                pages += 1
                raw = resp.SerializeToString()
                leaked = leaked or key_bytes in raw or secret_bytes in raw
                names.update(p.name for p in resp.credential_providers)
                token_ = resp.next_token
                if not token_ or pages >= 1000:
                    break
            problems = [f"{n} not listed" for n in (ak_name, oa_name) if n not in names]
            if leaked:
                problems.append("a secret is present in ListCredentialProviders")
            return not problems, "; ".join(problems)

        r.run("ListCredentialProviders lists both, without secrets", list_cp)

        # ---- errors
        missing = f"{PREFIX}-missing-{suffix}"
        r.run(
            "GetWorkloadIdentity of a missing name -> NOT_FOUND / ResourceNotFoundException",
            expect_error(
                lambda: wi.GetWorkloadIdentity(pb.GetWorkloadIdentityRequest(name=missing), metadata=md, timeout=timeout),
                grpc.StatusCode.NOT_FOUND,
                "ResourceNotFoundException",
            ),
        )
        r.run(
            "GetCredentialProvider of a missing name -> NOT_FOUND / ResourceNotFoundException",
            expect_error(
                lambda: cp.GetCredentialProvider(pb.GetCredentialProviderRequest(name=missing), metadata=md, timeout=timeout),
                grpc.StatusCode.NOT_FOUND,
                "ResourceNotFoundException",
            ),
        )
        r.run(
            "ListWorkloadIdentities without a token -> UNAUTHENTICATED",
            expect_error(
                lambda: wi.ListWorkloadIdentities(pb.ListWorkloadIdentitiesRequest(), timeout=timeout),
                grpc.StatusCode.UNAUTHENTICATED,
                None,
            ),
        )
        r.run(
            "ListWorkloadIdentities with a wrong token -> UNAUTHENTICATED",
            expect_error(
                lambda: wi.ListWorkloadIdentities(
                    pb.ListWorkloadIdentitiesRequest(),
                    metadata=(("authorization", f"Bearer wrong-{secrets.token_hex(16)}"),),
                    timeout=timeout,
                ),
                grpc.StatusCode.UNAUTHENTICATED,
                None,
            ),
        )
        bad_name = f"bad name!{suffix}"

        def create_bad_tracked():
            resp = wi.CreateWorkloadIdentity(pb.CreateWorkloadIdentityRequest(name=bad_name), metadata=md, timeout=timeout)
            created_workloads.append(bad_name)  # it should not exist; clean it up if it does
            return resp

        r.run(
            f"CreateWorkloadIdentity with invalid name {bad_name!r} -> INVALID_ARGUMENT / ValidationException",
            expect_error(create_bad_tracked, grpc.StatusCode.INVALID_ARGUMENT, "ValidationException"),
        )

        # ---- delete what was created, and check it is gone
        def delete_wi(name):
            def fn():
                wi.DeleteWorkloadIdentity(pb.DeleteWorkloadIdentityRequest(name=name), metadata=md, timeout=timeout)
                created_workloads.remove(name)
                return expect_error(
                    lambda: wi.GetWorkloadIdentity(pb.GetWorkloadIdentityRequest(name=name), metadata=md, timeout=timeout),
                    grpc.StatusCode.NOT_FOUND,
                    "ResourceNotFoundException",
                )()

            return fn

        def delete_cp(name):
            def fn():
                cp.DeleteCredentialProvider(pb.DeleteCredentialProviderRequest(name=name), metadata=md, timeout=timeout)
                created_providers.remove(name)
                return expect_error(
                    lambda: cp.GetCredentialProvider(pb.GetCredentialProviderRequest(name=name), metadata=md, timeout=timeout),
                    grpc.StatusCode.NOT_FOUND,
                    "ResourceNotFoundException",
                )()

            return fn

        r.run(f"DeleteCredentialProvider {ak_name}, then Get -> NOT_FOUND", delete_cp(ak_name))
        r.run(f"DeleteCredentialProvider {oa_name}, then Get -> NOT_FOUND", delete_cp(oa_name))
        r.run(f"DeleteWorkloadIdentity {wi_name}, then Get -> NOT_FOUND", delete_wi(wi_name))

        def gone_from_list():
            token_, pages = "", 0
            while True:
                resp = wi.ListWorkloadIdentities(
                    pb.ListWorkloadIdentitiesRequest(max_results=100, next_token=token_), metadata=md, timeout=timeout
                )
                pages += 1
                if any(w.name == wi_name for w in resp.workload_identities):
                    return False, f"{wi_name} still listed"
                token_ = resp.next_token
                if not token_ or pages >= 1000:
                    return True, ""

        r.run("ListWorkloadIdentities no longer lists it", gone_from_list)
    finally:
        # Best-effort clean-up of whatever a failed check left behind (not counted).
        for name in list(created_providers):
            try:
                cp.DeleteCredentialProvider(pb.DeleteCredentialProviderRequest(name=name), metadata=md, timeout=timeout)
                print(f"cleanup: deleted credential provider {name}", flush=True)
            except grpc.RpcError as e:
                print(f"cleanup: could not delete credential provider {name}: {describe_exception(e)}", flush=True)
        for name in list(created_workloads):
            try:
                wi.DeleteWorkloadIdentity(pb.DeleteWorkloadIdentityRequest(name=name), metadata=md, timeout=timeout)
                print(f"cleanup: deleted workload identity {name}", flush=True)
            except grpc.RpcError as e:
                print(f"cleanup: could not delete workload identity {name}: {describe_exception(e)}", flush=True)
        channel.close()

    return r.summary()


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", default=os.environ.get(ENV_ENDPOINT), help=f"control plane host:port (env {ENV_ENDPOINT})")
    ap.add_argument("--token", default=os.environ.get(ENV_TOKEN), help=f"admin bearer token (env {ENV_TOKEN})")
    ap.add_argument("--proto-dir", type=Path, default=DEFAULT_PROTO_DIR, help="root of the .proto tree (default: ../../proto from this script)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per RPC and for connecting (default 10)")
    ap.add_argument("--generate-only", action="store_true", help="only generate and import the stubs, print the services, exit")
    args = ap.parse_args(argv)

    if not args.generate_only:
        missing = [n for n, v in (("--endpoint", args.endpoint), ("--token", args.token)) if not v]
        if missing:
            ap.error(f"{' and '.join(missing)} required (or set {ENV_ENDPOINT} / {ENV_TOKEN})")

    with tempfile.TemporaryDirectory(prefix="agentcore-identity-stubs-") as tmp:
        out_dir = Path(tmp)
        modules = generate_stubs(args.proto_dir, out_dir)
        api = import_stubs(out_dir, modules)
        if args.generate_only:
            print(f"generated {len(modules)} modules from {args.proto_dir.resolve()}")
            for m in modules:
                print(f"  module {m}")
            for s in api.services:
                print(f"  service {s}")
            needed = {"WorkloadIdentityService", "CredentialProviderService"}
            absent = needed - set(api.stubs)
            if absent:
                print(f"missing stubs: {sorted(absent)}", file=sys.stderr)
                return 1
            return 0
        return drive(args.endpoint, args.token, api, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
