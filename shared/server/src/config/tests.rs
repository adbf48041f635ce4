use clap::Parser;

use super::*;

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    storage: StorageArgs,
}

fn resolve(args: &[&str]) -> Result<StorageConfig, ConfigError> {
    let cli = Cli::try_parse_from(std::iter::once("test").chain(args.iter().copied()))
        .map_err(|e| ConfigError(e.to_string()))?;
    cli.storage.resolve()
}

#[test]
fn embedded_default_generates_keys_under_data_dir() {
    // Guard against the test host's environment leaking in.
    if std::env::var_os("DATABASE_URL").is_some() || std::env::var_os("IDENTITY_MASTER_KEYS").is_some() {
        return;
    }
    let config = resolve(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.backend, Backend::Sqlite);
    assert_eq!(config.keyring, KeyRingSource::Generated(PathBuf::from("./data/master.keys")));
}

#[test]
fn postgres_requires_a_key_ring() {
    let err = resolve(&["--database-url", "postgres://db/identity"]).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("IDENTITY_MASTER_KEYS or IDENTITY_MASTER_KEY_FILE is required with Postgres"), "{err}");
    let ok = resolve(&["--database-url", "postgres://db/identity", "--master-key-file", "/etc/keys"]);
    assert!(matches!(ok.map(|c| c.keyring), Ok(KeyRingSource::File(_))));
}

#[test]
fn malformed_inputs_fail_at_start_up() {
    let cases: [(&[&str], &str); 4] = [
        (&["--database-url", "mysql://x"], "DATABASE_URL"),
        (&["--master-keys", "k1:AAAA"], "IDENTITY_MASTER_KEYS: master key ring: entry 1 is not a 32-byte key"),
        (&["--master-keys", "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "--master-key-file", "/k"], "not both"),
        (&["--region", "US East"], "IDENTITY_REGION"),
    ];
    for (args, expected) in cases {
        let err = resolve(args).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

#[test]
fn networks_parse_cidrs_and_addresses() {
    let nets = parse_networks("127.0.0.0/8, ::1 ,10.1.2.3").unwrap_or_default();
    assert_eq!(nets.len(), 3);
    assert!(parse_networks("").unwrap_or_default().is_empty());
    assert!(parse_networks("localhost").is_err());
}
