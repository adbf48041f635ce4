//! `identity-data-plane`: credential vending over gRPC, OAuth2 endpoints over HTTP.

use std::process::ExitCode;

use clap::Parser;
use identity_data_plane::{Listeners, ServeArgs, run};
use identity_server::shutdown_signal;
use identity_telemetry::LogArgs;

/// The identity service's data plane: vends workload access tokens, OAuth2 tokens and API keys.
#[derive(Parser)]
#[command(name = "identity-data-plane", version, after_help = identity_telemetry::TRACING_HELP)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    log: LogArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let telemetry = match identity_telemetry::init(&cli.log, "identity-data-plane") {
        Ok(telemetry) => telemetry,
        Err(message) => {
            eprintln!("identity-data-plane: {message}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = serve(cli.serve).await;
    // Spans still buffered are exported before the process exits.
    telemetry.shutdown().await;
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("identity-data-plane: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let config = args.resolve().map_err(|e| e.to_string())?;
    let grpc = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {} (DATA_PLANE_LISTEN): {e}", config.listen))?;
    let http = tokio::net::TcpListener::bind(config.http_listen)
        .await
        .map_err(|e| format!("cannot listen on {} (DATA_PLANE_HTTP_LISTEN): {e}", config.http_listen))?;
    run(config, Listeners { grpc, http }, shutdown_signal()).await.map_err(|e| e.to_string())
}
