//! `agentcore identity audit` and `audit verify` against the fake audit service.

use crate::{
    cli::{Run, agentcore},
    fake::{TOKEN, audit},
};

async fn run_against(address: std::net::SocketAddr, args: &[&str]) -> Run {
    let endpoint = address.to_string();
    let env = [("AGENTCORE_IDENTITY_ENDPOINT", endpoint.as_str()), ("AGENTCORE_IDENTITY_TOKEN", TOKEN)];
    agentcore(args, &env).await
}

#[tokio::test]
async fn audit_prints_every_event_as_a_table_across_pages() {
    let (address, seen) = audit::start(false).await;
    let run = run_against(address, &["identity", "audit", "--max-results", "2"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let rows: Vec<Vec<&str>> = run.stdout.lines().map(|line| line.split_whitespace().collect()).collect();
    assert_eq!(
        rows,
        [
            vec!["TIME", "EVENT", "PRINCIPAL", "RESOURCE", "OUTCOME"],
            vec![
                "2026-01-01T00:00:01Z",
                "CreateWorkloadIdentity",
                "admin:bootstrap",
                "arn:aws:bedrock-agentcore:us-east-1:000000000000:workload-identity-directory/default/workload-identity/agent-1",
                "SUCCESS",
            ],
            vec![
                "2026-01-01T00:00:02Z",
                "CreateCredentialProvider",
                "admin:bootstrap",
                "arn:aws:bedrock-agentcore:us-east-1:000000000000:token-vault/default/apikeycredentialprovider/github",
                "SUCCESS",
            ],
        ]
    );
    assert_eq!(seen.lock().unwrap().last().unwrap().max_results, 2);

    // Without a limit, pages are followed to the end; an access key shows by id.
    let run = run_against(address, &["identity", "audit"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let tokens: Vec<_> = seen.lock().unwrap().iter().skip(1).map(|r| r.next_token.clone()).collect();
    assert_eq!(tokens, ["", "2"]);
    let last = run.stdout.lines().last().unwrap().split_whitespace().collect::<Vec<_>>();
    assert_eq!(last, ["2026-01-01T00:00:03Z", "CreateAccessKey", "admin:bootstrap", "AKIAFAKEFAKEFAKEFAKE", "SUCCESS"]);

    let run = run_against(
        address,
        &["identity", "audit", "--event-name", "CreateAccessKey", "--start-time", "2026-01-01T00:00:00Z", "-o", "json"],
    )
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["auditEvents"][0]["accessKeyId"], "AKIAFAKEFAKEFAKEFAKE");
    assert_eq!(json["auditEvents"][0]["sequenceNumber"], 3);
    let requests = seen.lock().unwrap();
    let last = requests.last().unwrap();
    assert_eq!(last.event_name, "CreateAccessKey");
    assert_eq!(last.start_time, Some(prost_types::Timestamp { seconds: 1_767_225_600, nanos: 0 }));
}

#[tokio::test]
async fn audit_verify_passes_an_intact_chain_and_names_the_first_broken_event() {
    let (address, seen) = audit::start(false).await;
    let run = run_against(address, &["identity", "audit", "verify"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "3 events, chain intact\n");
    // Verification reads the whole log, unfiltered.
    assert!(seen.lock().unwrap().iter().all(|r| r.event_name.is_empty() && r.start_time.is_none()));

    let (address, _) = audit::start(true).await;
    let run = run_against(address, &["identity", "audit", "verify"]).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(
        run.stderr,
        "error: audit chain broken at event 2: contents do not match its hash (altered) (2 events checked)\n"
    );
    assert!(run.stdout.is_empty());
}

#[tokio::test]
async fn audit_refuses_a_malformed_time_before_calling() {
    let run = agentcore(&["identity", "audit", "--start-time", "yesterday"], &[]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("RFC 3339"), "{run:?}");
}
