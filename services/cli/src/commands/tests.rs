use clap::Parser as _;

use super::*;

/// Parses `agentcore identity <argv…>` and returns the identity command, for the request-building
/// tests of each resource module.
pub(crate) fn identity(argv: &[&str]) -> IdentityCommand {
    let argv = ["agentcore", "identity"].into_iter().chain(argv.iter().copied());
    let Service::Identity(command) = Cli::try_parse_from(argv).unwrap().service;
    command
}

#[test]
fn a_key_given_twice_is_refused() {
    let pairs = vec![("a".to_owned(), "1".to_owned()), ("a".to_owned(), "2".to_owned())];
    let err = key_values("--tag", pairs).unwrap_err();
    assert_eq!(err.to_string(), "--tag 'a' is given twice");
    let map = key_values("--tag", vec![("a".to_owned(), "1".to_owned())]).unwrap();
    assert_eq!(map.get("a").map(String::as_str), Some("1"));
}

#[test]
fn comma_lists_are_trimmed_and_blanks_dropped() {
    assert_eq!(clean_list(vec![" a".into(), "".into(), "b ".into()]), ["a", "b"]);
}

#[tokio::test]
async fn every_page_is_fetched_in_order() {
    let pages = all_pages(|token| async move {
        Ok(match token.as_str() {
            "" => (vec![1, 2], "p2".to_owned()),
            "p2" => (vec![3], "p3".to_owned()),
            _ => (vec![4], String::new()),
        })
    })
    .await
    .unwrap();
    assert_eq!(pages, [1, 2, 3, 4]);
}

#[tokio::test]
async fn a_server_repeating_its_token_does_not_loop_forever() {
    let pages = all_pages(|_| async { Ok((vec![1], "same".to_owned())) }).await.unwrap();
    assert_eq!(pages, [1, 1]);
}

#[tokio::test]
async fn a_failed_page_fails_the_list() {
    let result: Result<Vec<u8>, _> = all_pages(|_| async { Err(Status::permission_denied("no")) }).await;
    assert_eq!(result.unwrap_err().code(), tonic::Code::PermissionDenied);
}

#[test]
fn deletes_print_a_sentence_or_an_empty_object() {
    assert_eq!(deleted(OutputFormat::Table, "access key", "AKIA1").stdout, "deleted access key 'AKIA1'\n");
    assert_eq!(deleted(OutputFormat::Json, "access key", "AKIA1").stdout, "{}\n");
}
