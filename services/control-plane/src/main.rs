//! `identity-control-plane`: serve the admin API (default), apply migrations, or mint an admin token.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use identity_control_plane::{ServeArgs, create_admin_token, migrate, run};
use identity_domain::AccountId;
use identity_server::{config::StorageArgs, shutdown_signal};
use identity_telemetry::LogArgs;

/// The identity service's control plane: workload identities, credential providers, JWT
/// authorizers and access keys, over gRPC.
#[derive(Parser)]
#[command(name = "identity-control-plane", version, args_conflicts_with_subcommands = true, after_help = identity_telemetry::TRACING_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    log: LogArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the admin gRPC API (the default).
    Serve {
        // Boxed: the serving settings are many, the other commands' few.
        #[command(flatten)]
        serve: Box<ServeArgs>,
        #[command(flatten)]
        log: LogArgs,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        storage: StorageArgs,
        #[command(flatten)]
        log: LogArgs,
    },
    /// Create an admin API token for an account, print it once, and exit.
    CreateAdminToken {
        /// 12-digit account id the token administers.
        #[arg(long, default_value = identity_domain::DEFAULT_ACCOUNT)]
        account: String,
        /// Label for the token.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        storage: StorageArgs,
        #[command(flatten)]
        log: LogArgs,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command.unwrap_or(Command::Serve { serve: Box::new(cli.serve), log: cli.log }) {
        Command::Serve { serve, log } => match identity_telemetry::init(&log, "identity-control-plane") {
            Ok(telemetry) => {
                let outcome = serve_until_signal(*serve).await;
                // Spans still buffered are exported before the process exits.
                telemetry.shutdown().await;
                outcome
            }
            Err(message) => Err(message),
        },
        Command::Migrate { storage, log } => {
            // One-shot commands: logs; bad OTEL_* settings matter (and fail) only for `serve`.
            let _telemetry = identity_telemetry::init(&log, "identity-control-plane");
            match storage.resolve() {
                Ok(config) => {
                    migrate(&config).await.map(|()| tracing::info!("migrations applied")).map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            }
        }
        Command::CreateAdminToken { account, name, storage, log } => {
            // One-shot commands: logs; bad OTEL_* settings matter (and fail) only for `serve`.
            let _telemetry = identity_telemetry::init(&log, "identity-control-plane");
            match (AccountId::parse(&account), storage.resolve()) {
                (Ok(account), Ok(config)) => create_admin_token(&config, &account, &name)
                    .await
                    .map(|token| println!("{token}"))
                    .map_err(|e| e.to_string()),
                (Err(e), _) => Err(format!("--account: {e}")),
                (_, Err(e)) => Err(e.to_string()),
            }
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("identity-control-plane: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_until_signal(args: ServeArgs) -> Result<(), String> {
    let config = args.resolve().map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {} (CONTROL_PLANE_LISTEN): {e}", config.listen))?;
    run(config, listener, shutdown_signal()).await.map_err(|e| e.to_string())
}
