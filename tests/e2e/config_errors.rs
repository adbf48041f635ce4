use std::process::Command;

use crate::support::bin_dir;

/// Runs a binary with only `env` set and returns (exit code, stderr).
fn run(binary: &str, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(bin_dir().join(binary));
    command.args(args).current_dir(dir.path()).env_clear();
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// A binary, its environment, and what its error must say.
type Case = (&'static str, &'static [(&'static str, &'static str)], &'static str);

/// Bad configuration fails at start-up, with the setting named and a non-zero exit.
#[test]
fn bad_configuration_fails_at_start_up() {
    let cases: [Case; 6] = [
        (
            "identity-control-plane",
            &[("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")],
            "IDENTITY_MASTER_KEYS or IDENTITY_MASTER_KEY_FILE is required with Postgres",
        ),
        ("identity-control-plane", &[("IDENTITY_MASTER_KEYS", "k1:not-base64!")], "IDENTITY_MASTER_KEYS"),
        ("identity-control-plane", &[("PUBLIC_BASE_URL", "not a url")], "PUBLIC_BASE_URL"),
        ("identity-data-plane", &[("DATABASE_URL", "mysql://db")], "DATABASE_URL"),
        ("identity-data-plane", &[("OUTBOUND_ALLOWED_NETWORKS", "everything")], "OUTBOUND_ALLOWED_NETWORKS"),
        (
            "identity-data-plane",
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317")],
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ),
    ];
    for (binary, env, expected) in cases {
        let (code, stderr) = run(binary, &[], env);
        assert_eq!(code, Some(1), "{binary} {env:?}: {stderr}");
        assert!(stderr.contains(expected), "{binary} {env:?}: {stderr}");
        assert!(!stderr.contains("not-base64!"), "a key value is never echoed: {stderr}");
    }
}

/// Every setting of the operator contract is listed by `--help` (values of secrets hidden).
#[test]
fn help_lists_every_setting() {
    for (binary, settings) in [
        (
            "identity-control-plane",
            &[
                "DATABASE_URL",
                "CONTROL_PLANE_LISTEN",
                "CONTROL_PLANE_METRICS_LISTEN",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "PUBLIC_BASE_URL",
                "IDENTITY_MASTER_KEYS",
                "IDENTITY_MASTER_KEY_FILE",
                "IDENTITY_BOOTSTRAP_ADMIN_TOKEN",
                "OUTBOUND_ALLOWED_NETWORKS",
            ][..],
        ),
        (
            "identity-data-plane",
            &[
                "DATABASE_URL",
                "DATA_PLANE_LISTEN",
                "DATA_PLANE_HTTP_LISTEN",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "PUBLIC_BASE_URL",
                "IDENTITY_MASTER_KEYS",
                "OUTBOUND_ALLOWED_NETWORKS",
                "AUDIT_QUEUE_CAPACITY",
                "AUDIT_QUEUE_FULL",
                "AUDIT_FLUSH_INTERVAL_MS",
            ][..],
        ),
    ] {
        let output = Command::new(bin_dir().join(binary))
            .arg("--help")
            .env("IDENTITY_BOOTSTRAP_ADMIN_TOKEN", "a-secret-that-help-must-not-show")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        for setting in settings {
            assert!(help.contains(setting), "{binary} --help lacks {setting}");
        }
        assert!(!help.contains("a-secret-that-help-must-not-show"));
    }
}
