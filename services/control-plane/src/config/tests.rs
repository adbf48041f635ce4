use clap::Parser;

use super::*;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

fn resolve(args: &[&str]) -> Result<Config, ConfigError> {
    let cli = Cli::try_parse_from(std::iter::once("cp").chain(args.iter().copied()))
        .map_err(|e| ConfigError(e.to_string()))?;
    cli.serve.resolve()
}

#[test]
fn defaults_follow_the_operator_contract() {
    let config =
        resolve(&["--database-url", "sqlite://./data/identity.db", "--public-base-url", "http://127.0.0.1:8080/"])
            .unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.1:50051");
    assert_eq!(config.public_base_url, "http://127.0.0.1:8080");
    assert_eq!(config.quotas, Quotas::default());
    assert_eq!((config.redis_url, config.redis_key_prefix.as_str()), (None, "agentcore-identity:"));
}

#[test]
fn bad_settings_are_refused_with_the_variable_named() {
    for (args, expected) in [
        (vec!["--public-base-url", "ftp://x"], "PUBLIC_BASE_URL"),
        (vec!["--bootstrap-admin-token", "short"], "IDENTITY_BOOTSTRAP_ADMIN_TOKEN must be at least 20"),
        (vec!["--outbound-allowed-networks", "nonsense"], "OUTBOUND_ALLOWED_NETWORKS"),
        (vec!["--listen", "not-an-address"], "invalid value"),
        (vec!["--redis-url", "http://cache:6379"], "REDIS_URL must start with redis://"),
    ] {
        let err = resolve(&args).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}
